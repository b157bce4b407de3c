package qcldpc

import "testing"

// mdBeta is the β at the PEXIT threshold on the MD channel of the ForRate
// description of family id at effective rate rate (2^20 bits).
func mdBeta(t *testing.T, id int, rate float64) float64 {
	t.Helper()
	d, err := ForRateAmong(rate, 1<<20, []int{id})
	if err != nil {
		t.Fatal(err)
	}
	row, err := EnsembleWith(d, GAOptions{MD8: true})
	if err != nil {
		t.Fatal(err)
	}
	return row.Beta
}

// TestFamilyMDHighBeatsAR4JAOnMD8: FamilyMDHigh exists because on the
// channel multidimensional reconciliation presents its PEXIT thresholds
// beat FamilyAR4JA's over the rates ForRate gives it (0.45 down to 0.143,
// punctured above 0.4): by 0.02–0.03 at 0.4–0.45 (SNR 1),
// by 0.019 at rate 0.26, where SNR 0.5 (25 km) operates, 0.03–0.04 at 0.3
// and above, 0.005 at 0.22; and at its lowest rate, where FamilyMD3 takes over, it
// is within 0.005 of FamilyMD3 and better than FamilyMD.
func TestFamilyMDHighBeatsAR4JAOnMD8(t *testing.T) {
	if testing.Short() {
		t.Skip("PEXIT on the MD channel at eight rates takes about 10 s; run without -short")
	}
	t.Parallel()
	rates := []float64{0.45, 0.43, 0.4, 0.35, 0.3, 0.26, 0.22, 0.18, 0.16, 0.143}
	if testRace {
		rates = []float64{0.26, 0.16} // the race detector slows density evolution tenfold
	}
	for _, r := range rates {
		bHigh, bAR := mdBeta(t, FamilyMDHigh, r), mdBeta(t, FamilyAR4JA, r)
		t.Logf("rate %.3f: β at the MD8 threshold %.4f against %.4f (FamilyAR4JA)", r, bHigh, bAR)
		if !(bHigh > bAR+0.004) {
			t.Errorf("rate %.3f: FamilyMDHigh's β %.4f does not beat FamilyAR4JA's %.4f", r, bHigh, bAR)
		}
	}
	if testRace {
		return
	}
	low := families[FamilyMDHigh].raptor.RateAt(families[FamilyMDHigh].raptor.MaxRows())
	bHigh, b3, b5 := mdBeta(t, FamilyMDHigh, low), mdBeta(t, FamilyMD3, low), mdBeta(t, FamilyMD, low)
	t.Logf("rate %.4f (handover): FamilyMDHigh %.4f, FamilyMD3 %.4f, FamilyMD %.4f", low, bHigh, b3, b5)
	if !(bHigh > b3-0.005 && bHigh > b5) {
		t.Errorf("rate %.4f: FamilyMDHigh's β %.4f against FamilyMD3's %.4f and FamilyMD's %.4f: the handover is misplaced", low, bHigh, b3, b5)
	}
}

// TestFamilyMDHighDecodesBobsWord: codes of FamilyMDHigh of 2^16 bits at
// its highest rate (punctured), its fewest rows, 0.26 and its lowest, on
// the BIAWGN channel at β = 0.85, decode Bob's exact word in every block.
func TestFamilyMDHighDecodesBobsWord(t *testing.T) {
	const blocks = 3
	f := &families[FamilyMDHigh].raptor
	for i, rate := range []float64{families[FamilyMDHigh].punctureTo, f.RateAt(families[FamilyMDHigh].minRows), 0.26, f.RateAt(f.MaxRows())} {
		snr := snrForBeta(rate, 0.85)
		d, err := ForRateAmong(rate, 1<<16, []int{FamilyMDHigh})
		if err != nil {
			t.Fatal(err)
		}
		a, err := Build(d)
		if err != nil {
			t.Fatal(err)
		}
		if fails, wrong, iters := decodeBlocks(t, a, snr, blocks, uint64(60+i)); fails != 0 {
			t.Errorf("rate %.3f at SNR %.4f (β 0.85): %d of %d blocks failed (%d wrong words), iterations %v",
				rate, snr, fails, blocks, wrong, iters)
		}
	}
}

// TestFamilyMDHighNoFourCyclesAndFrozen: FamilyMDHigh's codes at
// 2^18–2^21 bits have no 4-cycles, both stations build the same code, and
// the construction is frozen.
func TestFamilyMDHighNoFourCyclesAndFrozen(t *testing.T) {
	f := &families[FamilyMDHigh].raptor
	for _, c := range []struct {
		rate float64
		n    int
	}{
		{0.45, 1 << 21}, {f.RateAt(families[FamilyMDHigh].minRows), 1 << 18}, {0.26, 1 << 21}, {0.2, 1 << 20}, {f.RateAt(f.MaxRows()), 1 << 21},
	} {
		d, err := ForRateAmong(c.rate, c.n, []int{FamilyMDHigh})
		if err != nil {
			t.Fatal(err)
		}
		checkNoFourCycles(t, d)
	}
	a := buildTwice(t, Description{Family: FamilyMDHigh, Z: 40, Rows: 9, Shortened: 300, Punctured: 50, Seed: 9})
	if got, frozen := constructionDigest(a), uint64(0xe4729fb180d1cb7f); got != frozen {
		t.Errorf("construction digest %#x, frozen %#x: a shipped family changed", got, frozen)
	}
}
