package qcldpc

import (
	"math"
	"os"
	"strconv"
	"testing"
)

// coarse is the grid of the tests: fine enough to bracket (3,6) within
// ±0.005 in σ, fast enough for seconds.
var coarse = DDEOptions{Delta: 0.1, LMax: 20}

// TestDDERegular36 brackets the discretized-DE threshold of the regular
// (3,6) ensemble around σ* = 0.8809 (Richardson, Shokrollahi, Urbanke 2001).
func TestDDERegular36(t *testing.T) {
	t.Parallel()
	p := regular(3, 6)
	if ok, _ := ddeConverges(p, nil, SNRFromSigma(0.876), coarse); !ok {
		t.Error("(3,6) does not converge at σ = 0.876, below σ* = 0.8809")
	}
	if ok, _ := ddeConverges(p, nil, SNRFromSigma(0.886), coarse); ok {
		t.Error("(3,6) converges at σ = 0.886, above σ* = 0.8809")
	}
}

// ddeAgrees checks that discretized DE converges at (1+tol)·snr and fails
// at snr/(1+tol), snr being the PEXIT threshold.
func ddeAgrees(t *testing.T, name string, p *Protograph, extra []ColumnChannel, tol float64, o DDEOptions) {
	t.Helper()
	snr, err := GAThreshold(p, extra, GAOptions{MD8: o.MD8})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := ddeConverges(p, extra, snr*(1+tol), o); !ok {
		t.Errorf("%s: discretized DE fails at %.5f, %.0f%% above the PEXIT threshold %.5f", name, snr*(1+tol), 100*tol, snr)
	}
	if ok, _ := ddeConverges(p, extra, snr/(1+tol), o); ok {
		t.Errorf("%s: discretized DE converges at %.5f, %.0f%% below the PEXIT threshold %.5f", name, snr/(1+tol), 100*tol, snr)
	}
}

// TestDDEAgreesWithPEXIT: the two DE methods agree within 5% in snr
// (0.2 dB) on a low-rate regular ensemble, on AR4JA and on the
// high-rate end of the shipped family.
func TestDDEAgreesWithPEXIT(t *testing.T) {
	if testing.Short() {
		t.Skip("discretized DE of two ensembles takes 10–30 s; run without -short")
	}
	t.Parallel()
	all := &Protograph{Rows: 3, Cols: 4, B: []uint8{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}} // regular (3,4), rate 1/4
	ddeAgrees(t, "regular (3,4)", all, nil, 0.05, coarse)
	f := families[FamilyAR4JA].raptor
	p, _ := f.Protograph(3)
	ddeAgrees(t, "AR4JA", p, nil, 0.05, coarse)
}

// TestDDEMD8: on the channel of multidimensional reconciliation the
// discretized DE, whose channel density is the exact fading mixture, and
// PEXIT, which averages the mutual information over the same quadrature,
// agree within 5 % on the (3,6) ensemble and on a rate-1/4 one; and the
// fading costs: both thresholds lie above the BIAWGN ones.
func TestDDEMD8(t *testing.T) {
	if testing.Short() {
		t.Skip("discretized DE of two ensembles takes 10–30 s; run without -short")
	}
	t.Parallel()
	md := coarse
	md.MD8 = true
	for _, c := range []struct {
		name string
		p    *Protograph
	}{
		{"regular (3,6)", regular(3, 6)},
		{"regular (3,4)", &Protograph{Rows: 3, Cols: 4, B: []uint8{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}},
	} {
		ddeAgrees(t, c.name+" on MD8", c.p, nil, 0.05, md)
		flat, err := GAThreshold(c.p, nil, GAOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := ddeConverges(c.p, nil, flat*1.02, md); ok {
			t.Errorf("%s: discretized DE on MD8 converges 2%% above the BIAWGN threshold %.4f", c.name, flat)
		}
	}
}

// TestPEXITAR4JA: the PEXIT threshold of the AR4JA rate-1/2 protograph is
// Eb/N0 = 0.628 dB (Divsalar, Dolinar, Jones, Andrews, IEEE JSAC 2009).
func TestPEXITAR4JA(t *testing.T) {
	f := families[FamilyAR4JA].raptor
	p, _ := f.Protograph(3)
	snr, err := GAThreshold(p, nil, GAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// snr = 1/σ² = 2·R·Eb/N0
	ebn0 := 10 * math.Log10(snr/(2*p.Rate()))
	if math.Abs(ebn0-0.628) > 0.02 {
		t.Errorf("AR4JA PEXIT threshold Eb/N0 = %.3f dB, want 0.628", ebn0)
	}
}

// TestDDEFamilyLines confirms the PEXIT thresholds of the table lines with
// discretized DE. It takes minutes: set QCLDPC_DDE=1 to run it, and
// QCLDPC_DDE_TOL to change the relative tolerance in snr (default 0.05).
func TestDDEFamilyLines(t *testing.T) {
	if os.Getenv("QCLDPC_DDE") == "" {
		t.Skip("set QCLDPC_DDE=1 to confirm the table with discretized DE (minutes)")
	}
	tol := 0.05
	if v := os.Getenv("QCLDPC_DDE_TOL"); v != "" {
		var err error
		if tol, err = strconv.ParseFloat(v, 64); err != nil || tol <= 0 {
			t.Fatalf("QCLDPC_DDE_TOL = %q", v)
		}
	}
	t.Run("BIAWGN", func(t *testing.T) {
		for _, rate := range []float64{0.475, 0.277, 0.103, 0.053, 0.02} {
			d, err := ForRate(rate, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			p, extra, err := d.ensemble()
			if err != nil {
				t.Fatal(err)
			}
			ddeAgrees(t, "rate "+fmtRate(rate), p, extra, tol, coarse)
		}
	})
	// FamilyMD4, FamilyMD3, FamilyMD and FamilyMD2 were designed on the MD
	// channel: confirm them there (ForRate gives their wide twins, the same
	// ensembles, at these lengths).
	t.Run("MD8", func(t *testing.T) {
		md := coarse
		md.MD8 = true
		for _, rate := range []float64{0.12, 0.1, 0.095, 0.085, 0.07, 0.0527, 0.045} {
			d, err := ForRate(rate, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			id := d.Family
			if twin, ok := IsWide(id); ok {
				id = twin // the same ensemble
			}
			if id != FamilyMD4 && id != FamilyMD3 && id != FamilyMD && id != FamilyMD2 {
				t.Fatalf("ForRate(%g) uses family %d, not one designed on the MD channel", rate, d.Family)
			}
			p, extra, err := d.ensemble()
			if err != nil {
				t.Fatal(err)
			}
			ddeAgrees(t, "FamilyMD on MD8, rate "+fmtRate(rate), p, extra, tol, md)
		}
	})
	// FamilyMDHigh too, at rates 0.35 to 0.16.
	t.Run("MD8High", func(t *testing.T) {
		md := coarse
		md.MD8 = true
		for _, rate := range []float64{0.35, 0.26, 0.2, 0.16} {
			d, err := ForRate(rate, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			id := d.Family
			if twin, ok := IsWide(id); ok {
				id = twin // the same ensemble
			}
			if id != FamilyMDHigh {
				t.Fatalf("ForRate(%g) uses family %d, not FamilyMDHigh", rate, d.Family)
			}
			p, extra, err := d.ensemble()
			if err != nil {
				t.Fatal(err)
			}
			ddeAgrees(t, "FamilyMDHigh on MD8, rate "+fmtRate(rate), p, extra, tol, md)
		}
	})
}

// biawgnDensity is the LLR density of the BIAWGN channel at snr given a
// 0, N(2·snr, 4·snr), on the grid of o, built here from the normal
// distribution function.
func biawgnDensity(snr float64, o DDEOptions) []float64 {
	delta, k := o.DDEBins()
	d := make([]float64, 2*k+1)
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(x-2*snr)/(2*math.Sqrt(snr)*math.Sqrt2)) }
	for i := range d {
		lo, hi := (float64(i-k)-0.5)*delta, (float64(i-k)+0.5)*delta
		switch i {
		case 0:
			d[i] = cdf(hi)
		case 2 * k:
			d[i] = 1 - cdf(lo)
		default:
			d[i] = cdf(hi) - cdf(lo)
		}
	}
	return d
}

// DDEConvergesOn with the BIAWGN channel's density brackets the (3,6)
// threshold as DDEConverges does, and agrees with it on a punctured and
// shortened protograph; a density that is not one is an error.
func TestDDEConvergesOn(t *testing.T) {
	t.Parallel()
	p := regular(3, 6)
	for _, c := range []struct {
		sigma float64
		want  bool
	}{{0.876, true}, {0.886, false}} {
		got, err := DDEConvergesOn(p, nil, biawgnDensity(SNRFromSigma(c.sigma), coarse), coarse)
		if err != nil || got != c.want {
			t.Errorf("(3,6) at σ = %g: converges %v (%v), want %v", c.sigma, got, err, c.want)
		}
	}
	ar, _ := families[FamilyAR4JA].raptor.Protograph(3)
	extra := make([]ColumnChannel, ar.Cols)
	extra[0] = ColumnChannel{Shortened: 0.2}
	extra[1] = ColumnChannel{Punctured: 0.1}
	for _, snr := range []float64{0.9, 1.2, 1.6} {
		want, _ := ddeConverges(ar, extra, snr, coarse.norm())
		got, err := DDEConvergesOn(ar, extra, biawgnDensity(snr, coarse), coarse)
		if err != nil || got != want {
			t.Errorf("AR4JA, shortened and punctured, at SNR %g: DDEConvergesOn %v (%v), DDEConverges %v", snr, got, err, want)
		}
	}
	good := biawgnDensity(1, coarse)
	for name, d := range map[string][]float64{
		"short":    good[1:],
		"negative": append([]float64{-0.1}, good[1:]...),
		"NaN":      append([]float64{math.NaN()}, good[1:]...),
		"empty":    make([]float64, len(good)),
	} {
		if _, err := DDEConvergesOn(p, nil, d, coarse); err == nil {
			t.Errorf("%s density accepted", name)
		}
	}
}
