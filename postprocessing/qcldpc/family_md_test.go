package qcldpc

import "testing"

// TestFamilyMDBeatsLowRandomOnMD8: FamilyMD4, FamilyMD3, FamilyMD and FamilyMD2 exist because on
// the channel multidimensional reconciliation presents their PEXIT
// thresholds are better than FamilyLowRandom's over the rates ForRate gives
// them; and where one hands over to the next (FamilyMD3 to FamilyMD4 at
// rate 0.107, FamilyMD4 to FamilyMD at 0.1, FamilyMD to FamilyMD2 at 0.083)
// the one ForRate prefers is the better there.
func TestFamilyMDBeatsLowRandomOnMD8(t *testing.T) {
	if testing.Short() {
		t.Skip("PEXIT on the MD channel for three families takes about 15 s; run without -short")
	}
	t.Parallel()
	md := GAOptions{MD8: true}
	beta := func(id, rows int) float64 {
		t.Helper()
		fam := families[id]
		d := Description{Family: id, Rows: rows, Z: 1 << 20 / (fam.raptor.Cols(rows) * fam.preLiftAt(rows))}
		row, err := EnsembleWith(d, md)
		if err != nil {
			t.Fatal(err)
		}
		return row.Beta
	}
	md1, md2 := families[FamilyMD], families[FamilyMD2]
	cases := []struct{ id, rows int }{
		{FamilyMD4, 28}, {FamilyMD2, 54}, {FamilyMD3, families[FamilyMD3].minRows}, {FamilyMD4, families[FamilyMD4].minRows}, {FamilyMD, 30},
		{FamilyMD, md1.raptor.MaxRows()}, {FamilyMD2, 36}, {FamilyMD2, 42}, {FamilyMD2, md2.raptor.MaxRows()},
	}
	if testRace {
		cases = cases[:2] // the race detector slows density evolution tenfold
	}
	for _, c := range cases {
		bMD, bLow := beta(c.id, c.rows), beta(FamilyLowRandom, c.rows)
		t.Logf("family %d, rows %d (rate %.4f): β at the MD8 threshold %.4f against %.4f (FamilyLowRandom)",
			c.id, c.rows, families[c.id].raptor.RateAt(c.rows), bMD, bLow)
		if !(bMD > bLow+0.004) {
			t.Errorf("family %d, rows %d: β %.4f does not beat FamilyLowRandom's %.4f on the MD channel", c.id, c.rows, bMD, bLow)
		}
	}
	// At each handover (FamilyMD4's first rows, above which FamilyMD3 is
	// better, FamilyMD4's lowest rate, where FamilyMD starts, and
	// FamilyMD's, where FamilyMD2 starts) the family ForRate tries first is
	// the better one.
	md4 := families[FamilyMD4]
	for _, h := range []struct{ first, next, rows int }{
		{FamilyMD4, FamilyMD3, md4.minRows},
		{FamilyMD4, FamilyMD3, md4.raptor.MaxRows()},
		{FamilyMD4, FamilyMD, md4.raptor.MaxRows()},
		{FamilyMD2, FamilyMD, md1.raptor.MaxRows()},
	} {
		if beta(h.first, h.rows) <= beta(h.next, h.rows) {
			t.Errorf("family %d at %d rows does not beat family %d there: the handover is misplaced", h.first, h.rows, h.next)
		}
	}
	// Above FamilyMD4's first rows its extension rows lose to FamilyMD3's,
	// which keeps those rates.
	rows := md4.minRows - 1
	p4, err := md4.raptor.Protograph(rows)
	if err != nil {
		t.Fatal(err)
	}
	snr4, err := GAThreshold(p4, nil, md)
	if err != nil {
		t.Fatal(err)
	}
	if b4, b3 := Beta(p4.Rate(), snr4), beta(FamilyMD3, rows); b4 >= b3 {
		t.Errorf("at %d rows FamilyMD4's rows reach β %.4f, FamilyMD3's %.4f: FamilyMD4 should start there", rows, b4, b3)
	}
}

// TestForRateFamilies: at 2^16 bits and more ForRate gives FamilyMDHigh the
// rates 0.45 (punctured above 0.4) down to 0.1429, FamilyMD3 those below down to 0.107,
// FamilyMD4 those below down to 0.1, FamilyMD
// those below 0.1 down to its lowest, FamilyMD2 the rates below down to its
// own lowest, and FamilyLowRandom the rest; FamilyAR4JA serves the rates
// above 0.45, and in shorter blocks down to 0.091, and FamilyLow the rest.
// From WideMinLength bits on, the wide twin of each of those families
// takes its place (family_wide.go), and FamilySixth FamilyMDHighWide's at
// rates 1/7 to 1/6 (family_sixth.go).
func TestForRateFamilies(t *testing.T) {
	low3 := families[FamilyMD3].raptor.RateAt(families[FamilyMD3].raptor.MaxRows())
	top4 := families[FamilyMD4].raptor.RateAt(families[FamilyMD4].minRows)
	low := families[FamilyMD].raptor.RateAt(families[FamilyMD].raptor.MaxRows())
	low2 := families[FamilyMD2].raptor.RateAt(families[FamilyMD2].raptor.MaxRows())
	for _, c := range []struct {
		rate float64
		n    int
		want int
	}{
		{0.4, 1 << 20, FamilyMDHigh}, {0.23, 1 << 21, FamilyMDHigh}, {0.26, 1 << 16, FamilyMDHigh}, {0.15, 1 << 20, FamilySixth}, {0.15, 1 << 17, FamilyMDHigh}, {0.1429, 1 << 16, FamilyMDHigh},
		{0.26, 1 << 15, FamilyAR4JA}, {0.401, 1 << 20, FamilyMDHigh}, {0.45, 1 << 21, FamilyMDHigh}, {0.451, 1 << 20, FamilyAR4JA},
		{0.14, 1 << 20, FamilyMD3}, {top4 + 0.001, 1 << 21, FamilyMD3}, {top4, 1 << 21, FamilyMD4}, {0.1, 1 << 21, FamilyMD4}, {low3, 1 << 16, FamilyMD4},
		{low3 - 0.001, 1 << 20, FamilyMD}, {low, 1 << 18, FamilyMD},
		{low - 0.001, 1 << 20, FamilyMD2}, {0.0527, 1 << 21, FamilyMD2}, {low2, 1 << 16, FamilyMD2},
		{low2 - 0.001, 1 << 20, FamilyLowRandom}, {0.05, 1 << 12, FamilyLow},
		{0.47, 1 << 21, FamilyAR4JA}, {0.1, 1 << 14, FamilyAR4JA},
	} {
		d, err := ForRate(c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		want := c.want
		if _, ok := families[wideIDOffset+want]; ok && c.n >= WideMinLength {
			want += wideIDOffset
		}
		if d.Family != want {
			t.Errorf("ForRate(%.4f, %d) uses family %d, want %d", c.rate, c.n, d.Family, want)
		}
	}
}

// TestFamilyMDDecodesBobsWord: codes of FamilyMD4 (rates 0.105 and 0.1), FamilyMD3 (0.14 and 0.1),
// FamilyMD (0.095 and its lowest) and FamilyMD2 (its highest, 0.0527 and
// its lowest) of 2^16 bits,
// on the BIAWGN channel at β = 0.85, decode Bob's exact word in every
// block.
func TestFamilyMDDecodesBobsWord(t *testing.T) {
	const blocks = 3
	fam, fam2 := families[FamilyMD], families[FamilyMD2]
	for i, c := range []struct {
		id   int
		rate float64
	}{
		{FamilyMD3, 0.14}, {FamilyMD3, 0.1}, {FamilyMD, 0.095}, {FamilyMD, fam.raptor.RateAt(fam.raptor.MaxRows())},
		{FamilyMD2, fam2.raptor.RateAt(fam2.minRows)}, {FamilyMD2, 0.0527}, {FamilyMD2, fam2.raptor.RateAt(fam2.raptor.MaxRows())},
		{FamilyMD4, 0.105}, {FamilyMD4, 0.1},
	} {
		snr := snrForBeta(c.rate, 0.85)
		d, err := forRateFamily(c.id, c.rate, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Build(d)
		if err != nil {
			t.Fatal(err)
		}
		if fails, wrong, iters := decodeBlocks(t, a, snr, blocks, uint64(40+i)); fails != 0 {
			t.Errorf("family %d, rate %.3f at SNR %.4f (β 0.85): %d of %d blocks failed (%d wrong words), iterations %v",
				c.id, c.rate, snr, fails, blocks, wrong, iters)
		}
	}
}

// TestFamilyMDNoFourCyclesAndFrozen: the codes of FamilyMD4, FamilyMD3, FamilyMD and
// FamilyMD2 at 2^18–2^21 bits have no 4-cycles; both stations build the same code; and the
// construction is frozen (a digest of one code's circulants and positions).
func TestFamilyMDNoFourCyclesAndFrozen(t *testing.T) {
	fam, fam2 := families[FamilyMD], families[FamilyMD2]
	for _, c := range []struct {
		rate float64
		n    int
		id   int
	}{
		{0.105, 1 << 18, FamilyMD4}, {0.1, 1 << 21, FamilyMD4}, {0.14, 1 << 18, FamilyMD3}, {0.1, 1 << 21, FamilyMD3}, {0.095, 1 << 20, FamilyMD}, {fam.raptor.RateAt(fam.raptor.MaxRows()), 1 << 21, FamilyMD},
		{fam2.raptor.RateAt(fam2.minRows), 1 << 18, FamilyMD2}, {0.0527, 1 << 21, FamilyMD2}, {fam2.raptor.RateAt(fam2.raptor.MaxRows()), 1 << 20, FamilyMD2},
	} {
		d, err := forRateFamily(c.id, c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		checkNoFourCycles(t, d)
	}
	checkFrozen(t, []frozenCode{
		{Description{Family: FamilyMD, Z: 40, Rows: 30, Shortened: 300, Punctured: 50, Seed: 9}, 0xc5aefb7a4e998ef},
		{Description{Family: FamilyMD2, Z: 40, Rows: 60, Shortened: 300, Punctured: 50, Seed: 9}, 0x5985b21abe223a7a},
		{Description{Family: FamilyMD3, Z: 40, Rows: 28, Shortened: 300, Punctured: 50, Seed: 9}, 0x4bd838deb1b2fbe8},
		{Description{Family: FamilyMD4, Z: 40, Rows: 28, Shortened: 300, Punctured: 50, Seed: 9}, 0x43c774cd56449507},
	})
}
