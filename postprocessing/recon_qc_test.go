package postprocessing

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// A channel LLR larger than any message a check can send, with the wrong
// sign, on a bit of degree 1 (the last column of a Raptor-like code is an
// extension parity bit): the decoder must still overturn it. Unclamped, such
// a bit stays wrong forever; multidimensional reconciliation at high SNR
// produces them (|LLR| up to 30 at SNR 1.4).
func TestQCOverturnsStrongWrongLLR(t *testing.T) {
	d, err := qcldpc.ForRate(0.4, 1<<14)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := qcBlockCode(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	bits := make([]uint8, bc.n)
	llr := make([]float64, bc.n)
	for i := range bits {
		switch bc.roles[i] {
		case roleShortened:
			llr[i] = math.Inf(1)
		case rolePunctured:
			bits[i] = uint8(rng.IntN(2))
		default:
			bits[i] = uint8(rng.IntN(2))
			llr[i] = 25 * float64(1-2*int(bits[i]))
		}
	}
	last := bc.n - 1
	if bc.roles[last] != roleChannel {
		t.Fatalf("bit %d is not on the channel", last)
	}
	llr[last] = -llr[last] // confidently wrong
	syn := make([]uint8, bc.m)
	if err := bc.syndrome(bits, syn); err != nil {
		t.Fatal(err)
	}
	dec, err := bc.newDecoder(0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint8, bc.n)
	it, ok, err := dec.Decode(llr, syn, out)
	if err != nil || !ok {
		t.Fatalf("not decoded after %d iterations (%v)", it, err)
	}
	for i := range out {
		if out[i] != bits[i] {
			t.Fatalf("bit %d decoded wrong", i)
		}
	}
}

// The planner's code serves every SNR of the long-distance points with a
// multiple of 8 channel bits per block, within the key quadratures, at an
// effective rate at most the target β·I_AB.
func TestPlanQC(t *testing.T) {
	for _, snr := range []float64{3, 1, 0.5, 0.16, 0.08, 0.03, 0.015} {
		for _, q := range []int{1 << 14, 70000, 10_000_000} {
			plan, err := PlanReconciliation(PlanParams{KeyQuadratures: q, SNR: snr, Noise: 1, Seed: 1, Scheme: SchemeMultidimensional, Efficiency: 0.93})
			if err != nil {
				t.Fatalf("snr %g, %d quadratures: %v", snr, q, err)
			}
			if plan.QC == nil || plan.ChannelBits()%8 != 0 || plan.Quadratures() > q || plan.Quadratures() < q*9/10 {
				t.Fatalf("snr %g, %d quadratures: plan %+v of %d quadratures", snr, q, plan, plan.Quadratures())
			}
			if plan.ChannelBits() > DefaultQCBlockLength {
				t.Fatalf("snr %g: %d channel bits per block", snr, plan.ChannelBits())
			}
			lo, _ := qcldpc.RateRange()
			if r := plan.Rate(); r > max(0.93*GaussianCapacity(snr), lo)+1e-12 {
				t.Fatalf("snr %g: rate %g above the target %g", snr, r, 0.93*GaussianCapacity(snr))
			}
		}
	}
}
