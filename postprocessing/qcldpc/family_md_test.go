package qcldpc

import (
	"hash/fnv"
	"slices"
	"testing"
)

// TestFamilyMDBeatsLowRandomOnMD8: FamilyMD exists because on the channel
// multidimensional reconciliation presents its PEXIT thresholds are better
// than FamilyLowRandom's over the rates ForRate gives it; at its lowest
// rate the gain is smallest, and below it FamilyLowRandom is better (which
// is why the family stops there).
func TestFamilyMDBeatsLowRandomOnMD8(t *testing.T) {
	if testing.Short() {
		t.Skip("PEXIT on the MD channel for two families takes about 20 s; run without -short")
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
	md5 := families[FamilyMD]
	for _, rows := range []int{md5.minRows, 28, md5.raptor.MaxRows()} {
		bMD, bLow := beta(FamilyMD, rows), beta(FamilyLowRandom, rows)
		t.Logf("rows %d (rate %.4f): β at the MD8 threshold %.4f (FamilyMD) against %.4f (FamilyLowRandom)",
			rows, md5.raptor.RateAt(rows), bMD, bLow)
		if !(bMD > bLow+0.004) {
			t.Errorf("rows %d: FamilyMD β %.4f does not beat FamilyLowRandom's %.4f on the MD channel", rows, bMD, bLow)
		}
	}
	if rows := md5.raptor.MaxRows() + 4; beta(FamilyLowRandom, rows) < 0.935 {
		t.Errorf("FamilyLowRandom at %d rows below 0.935: the reason FamilyMD stops at %d rows is gone", rows, md5.raptor.MaxRows())
	}
}

// TestForRateFamilies: at 2^16 bits and more ForRate gives FamilyMD the
// rates 0.15 down to its lowest rate and FamilyLowRandom the rates below;
// FamilyAR4JA serves the rates above 0.15, and in shorter blocks down to
// 0.091, and FamilyLow the rest.
func TestForRateFamilies(t *testing.T) {
	low := families[FamilyMD].raptor.RateAt(families[FamilyMD].raptor.MaxRows())
	for _, c := range []struct {
		rate float64
		n    int
		want int
	}{
		{0.15, 1 << 20, FamilyMD}, {0.1, 1 << 21, FamilyMD}, {low, 1 << 18, FamilyMD},
		{low - 0.001, 1 << 20, FamilyLowRandom}, {0.05, 1 << 12, FamilyLow},
		{0.16, 1 << 20, FamilyAR4JA}, {0.43, 1 << 21, FamilyAR4JA}, {0.1, 1 << 14, FamilyAR4JA},
	} {
		d, err := ForRate(c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if d.Family != c.want {
			t.Errorf("ForRate(%.4f, %d) uses family %d, want %d", c.rate, c.n, d.Family, c.want)
		}
	}
}

// TestFamilyMDDecodesBobsWord: codes of FamilyMD of 2^16 bits at rates
// 0.14, 0.1 and its lowest, on the BIAWGN channel at β = 0.85, decode
// Bob's exact word in every block.
func TestFamilyMDDecodesBobsWord(t *testing.T) {
	const blocks = 3
	fam := families[FamilyMD]
	for i, c := range []struct {
		id   int
		rate float64
	}{{FamilyMD, 0.14}, {FamilyMD, 0.1}, {FamilyMD, fam.raptor.RateAt(fam.raptor.MaxRows())}} {
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

// TestFamilyMDNoFourCyclesAndFrozen: FamilyMD's codes at 2^18–2^21 bits
// have no 4-cycles; both stations build the same code; and the
// construction is frozen (a digest of one code's circulants and positions).
func TestFamilyMDNoFourCyclesAndFrozen(t *testing.T) {
	fam := families[FamilyMD]
	for _, c := range []struct {
		rate float64
		n    int
		id   int
	}{{0.15, 1 << 18, FamilyMD}, {0.1, 1 << 20, FamilyMD}, {fam.raptor.RateAt(fam.raptor.MaxRows()), 1 << 21, FamilyMD}} {
		d, err := forRateFamily(c.id, c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Build(d)
		if err != nil {
			t.Fatal(err)
		}
		if n := a.Code.FourCycles(); n != 0 {
			t.Errorf("%+v: %d 4-cycles", d, n)
		}
	}
	d := Description{Family: FamilyMD, Z: 40, Rows: 30, Shortened: 300, Punctured: 50, Seed: 9}
	a, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Code.Circulants, b.Code.Circulants) || !slices.Equal(a.Shortened, b.Shortened) || !slices.Equal(a.Punctured, b.Punctured) {
		t.Fatal("two builds differ")
	}
	h := fnv.New64a()
	for _, e := range a.Code.Circulants {
		h.Write([]byte{byte(e.Row), byte(e.Row >> 8), byte(e.Col), byte(e.Col >> 8), byte(e.Shift), byte(e.Shift >> 8)})
	}
	for _, list := range [][]int32{a.Shortened, a.Punctured} {
		for _, p := range list {
			h.Write([]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)})
		}
	}
	const frozen = 0xc5aefb7a4e998ef
	if got := h.Sum64(); got != frozen {
		t.Fatalf("construction digest %#x, frozen %#x: a shipped family changed", got, uint64(frozen))
	}
}
