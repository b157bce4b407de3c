package qcldpc

import (
	"math"
	"testing"
)

// regular returns the 1×(dc/dv) protograph with every entry dv: the
// regular (dv, dc) ensemble.
func regular(dv, dc int) *Protograph {
	k := dc / dv
	p := &Protograph{Rows: 1, Cols: k, B: make([]uint8, k)}
	for i := range p.B {
		p.B[i] = uint8(dv)
	}
	return p
}

func TestPhiForms(t *testing.T) {
	for _, x := range []float64{1e-4, 0.01, 0.1, 1, 3, 9, 12, 30, 59, 61, 200} {
		want := math.Log(phiNumeric(x))
		if got := exactPhiLog(x); math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) && x <= 60 {
			t.Errorf("ln φ(%g) = %.6g, numeric %.6g", x, got, want)
		}
		if x >= 0.5 && x <= 60 {
			if got := chungPhiLog(x); math.Abs(got-want) > 0.05*math.Max(1, math.Abs(want)) {
				t.Errorf("Chung ln φ(%g) = %.6g, numeric %.6g", x, got, want)
			}
		}
		for _, f := range [][2]func(float64) float64{{exactPhiLog, exactPhiInvLog}, {chungPhiLog, chungPhiInvLog}} {
			if x < 0.05 && f[0](x) == 0 {
				continue
			}
			if back := f[1](f[0](x)); math.Abs(back-x) > 1e-6*x {
				t.Errorf("φ⁻¹(φ(%g)) = %g", x, back)
			}
		}
	}
}

func TestGARegular36(t *testing.T) {
	snr, err := GAThreshold(regular(3, 6), nil, GAOptions{MeanGA: true, ChungForms: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := SigmaFromSNR(snr); math.Abs(s-0.8747) > 0.0005 {
		t.Errorf("GA threshold of (3,6) with Chung's φ: σ* = %.5f, want 0.8747 (Chung et al. 2001)", s)
	}
	snr, err = GAThreshold(regular(3, 6), nil, GAOptions{MeanGA: true})
	if err != nil {
		t.Fatal(err)
	}
	// exact φ: the GA's own error against exact DE (0.8809) is below 0.01
	if s := SigmaFromSNR(snr); math.Abs(s-0.8719) > 0.0005 {
		t.Errorf("GA threshold of (3,6) with exact φ: σ* = %.5f, want 0.8719", s)
	}
}

func TestBIAWGNCapacity(t *testing.T) {
	// Shannon limit of rate 1/2 on the BIAWGN channel: σ = 0.9787 (Eb/N0 0.187 dB)
	if s := SigmaFromSNR(BIAWGNShannonSNR(0.5)); math.Abs(s-0.9787) > 0.0005 {
		t.Errorf("rate-1/2 BIAWGN limit σ = %.5f, want 0.9787", s)
	}
	// low SNR: C ≈ snr/(2 ln 2) − …, bounded by the Gaussian capacity
	for _, snr := range []float64{0.01, 0.1, 1} {
		if c, g := BIAWGNCapacity(snr), GaussianCapacity(snr); c >= g || c < 0.9*g*(1-snr) {
			t.Errorf("C_BIAWGN(%g) = %g against Gaussian %g", snr, c, g)
		}
	}
}
