package postprocessing

import (
	"math"
	"testing"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// densityCapacity is the capacity of a symmetric binary-input channel
// whose LLR density, given a 0, is d on the grid (i − k)·delta.
func densityCapacity(d []float64, delta float64) float64 {
	k := (len(d) - 1) / 2
	c := 0.0
	for i, p := range d {
		l := float64(i-k) * delta
		loss := math.Log1p(math.Exp(-l)) / math.Ln2
		if l < -30 {
			loss = -l / math.Ln2
		}
		c += p * (1 - loss)
	}
	return c
}

// The slice channel's LLR density, built from Alice's LLRs, carries the
// slice's capacity as SliceCapacities computes it from the intervals'
// entropies: two routes to I(S_j; X | the slices known before).
func TestSliceLLRDensityCapacity(t *testing.T) {
	for _, c := range []struct {
		snr             float64
		bits, disclosed int
	}{{0.5, 7, 2}, {1, 7, 2}, {0.16, 5, 2}, {2, 6, 1}} {
		_, caps := SliceCapacities(c.snr, c.bits, c.disclosed)
		for j, want := range caps {
			d, err := SliceLLRDensity(c.snr, c.bits, c.disclosed, j, 0.02, 1500)
			if err != nil {
				t.Fatal(err)
			}
			got := densityCapacity(d, 0.02)
			if math.Abs(got-want) > 5e-5 {
				t.Errorf("SNR %g, %d/%d, slice %d: capacity %.5f from the LLR density, %.5f from SliceCapacities", c.snr, c.bits, c.disclosed, j, got, want)
			}
		}
	}
}

// Discretized density evolution on the channel of the first coded slice
// (7 slices, 2 disclosed), with the LLR density Alice's decoder sees, at
// rate 1/6: FamilyMDHigh's protograph (11 rows; the wide family 38 that
// coded that slice at SNR 0.5 before FamilySixth has the same density
// evolution) has its threshold between SNR 0.5081 and 0.5089, 0.952–0.954
// of the slice's capacity, and FamilySixth's between 0.4953 and 0.4962,
// 0.971–0.972 (docs/ldpc-codes.md): each converges 1 % above its
// threshold and fails 1 % below, and FamilySixth converges where
// FamilyMDHigh fails.
func TestSliceChannelDDE(t *testing.T) {
	if testRace {
		t.Skip("discretized DE takes minutes under the race detector; the plain run covers it")
	}
	t.Parallel()
	o := qcldpc.DDEOptions{Delta: 0.1, LMax: 20, MaxIter: 1000, Target: 1e-7}
	delta, k := o.DDEBins()
	for _, c := range []struct {
		family int
		snr    float64
		want   bool
	}{
		{qcldpc.FamilyMDHigh, 0.514, true}, {qcldpc.FamilyMDHigh, 0.503, false},
		{qcldpc.FamilySixth, 0.501, true}, {qcldpc.FamilySixth, 0.490, false},
	} {
		f, _, err := qcldpc.FamilyRaptor(c.family)
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.Protograph(11)
		if err != nil {
			t.Fatal(err)
		}
		d, err := SliceLLRDensity(c.snr, 7, 2, 0, delta, k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := qcldpc.DDEConvergesOn(p, nil, d, o)
		if err != nil {
			t.Fatal(err)
		}
		_, caps := SliceCapacities(c.snr, 7, 2)
		if got != c.want {
			t.Errorf("family %d, rate %.4f at SNR %g (%.4f of slice 0's capacity): converges %v, want %v", c.family, p.Rate(), c.snr, p.Rate()/caps[0], got, c.want)
		}
	}
}
