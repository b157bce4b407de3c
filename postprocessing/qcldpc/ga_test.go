package qcldpc

import (
	"fmt"
	"math"
	"testing"
	"time"
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

// TestMD8TableMatchesDirect: the tabulated fading average of the MD channel
// gives the thresholds of the direct average over md8States within 10^-4
// relative, on the (3,6) ensemble and on a FamilyMD and a FamilyLowRandom
// code (the codes not under the race detector; BenchmarkMD8Threshold
// compares the speed).
func TestMD8TableMatchesDirect(t *testing.T) {
	if testing.Short() {
		t.Skip("direct density evolution on the MD channel takes about 10 s; run without -short")
	}
	t.Parallel()
	type ens struct {
		name  string
		p     *Protograph
		extra []ColumnChannel
	}
	list := []ens{{"(3,6)", regular(3, 6), nil}}
	codes := []struct{ id, rows int }{{FamilyMD, 22}, {FamilyLowRandom, 34}}
	if testRace {
		codes = codes[:0] // minutes under the race detector
	}
	for _, c := range codes {
		fam := families[c.id]
		d := Description{Family: c.id, Rows: c.rows, Z: 1 << 20 / (fam.raptor.Cols(c.rows) * fam.preLiftAt(c.rows))}
		p, extra, err := d.ensemble()
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, ens{fmt.Sprintf("family %d, %d rows", c.id, c.rows), p, extra})
	}
	for _, e := range list {
		start := time.Now()
		tab, err := GAThreshold(e.p, e.extra, GAOptions{MD8: true})
		if err != nil {
			t.Fatal(err)
		}
		tTab := time.Since(start)
		start = time.Now()
		direct, err := GAThreshold(e.p, e.extra, GAOptions{MD8: true, md8Direct: true})
		if err != nil {
			t.Fatal(err)
		}
		tDirect := time.Since(start)
		t.Logf("%s: threshold %.6f (table, %v) against %.6f (direct, %v)", e.name, tab, tTab, direct, tDirect)
		if math.Abs(tab/direct-1) > 1e-4 {
			t.Errorf("%s: tabulated threshold %.6f, direct %.6f", e.name, tab, direct)
		}
	}
}

// BenchmarkMD8Threshold: the PEXIT threshold of FamilyLowRandom's 54-row
// code on the MD channel, through the table and, as the baseline in the
// same run, with the direct average over the fading.
func BenchmarkMD8Threshold(b *testing.B) {
	fam := families[FamilyLowRandom]
	d := Description{Family: FamilyLowRandom, Rows: 54, Z: 1 << 20 / (fam.raptor.Cols(54) * fam.preLiftAt(54))}
	p, extra, err := d.ensemble()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opt  GAOptions
	}{{"table", GAOptions{MD8: true}}, {"direct", GAOptions{MD8: true, md8Direct: true}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := GAThreshold(p, extra, c.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
