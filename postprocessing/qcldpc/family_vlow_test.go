package qcldpc

import (
	"errors"
	"slices"
	"testing"
)

// FamilyVeryLow is FamilyLowRandom continued: the same precode, its
// extension rows first; ForRate gives it the rates below FamilyLowRandom's
// in blocks of 2^20 bits or more, and no family serves them in shorter
// blocks.
func TestFamilyVeryLowContinuesLowRandom(t *testing.T) {
	low, vlow := families[FamilyLowRandom].raptor, families[FamilyVeryLow].raptor
	if !slices.Equal(low.Pre, vlow.Pre) || !slices.Equal(low.Punctured, vlow.Punctured) || low.Core != vlow.Core || low.PreRows != vlow.PreRows {
		t.Fatal("FamilyVeryLow's precode differs from FamilyLowRandom's")
	}
	for i, row := range low.Ext {
		if !slices.Equal(row, vlow.Ext[i]) {
			t.Fatalf("extension row %d: %v, FamilyLowRandom's %v", i, vlow.Ext[i], row)
		}
	}
	// The cycle goes on where FamilyLowRandom's stops.
	n := len(low.Ext)
	if !slices.Equal(vlow.Ext[n], low.Ext[n-4]) || vlow.MaxRows() != veryLowRows {
		t.Fatalf("row %d: %v after %v", n, vlow.Ext[n], low.Ext[n-1])
	}
	if lo, _ := RateRange(); lo != vlow.RateAt(veryLowRows) || lo > 0.004 {
		t.Errorf("lowest rate %g", lo)
	}
	if lo, _ := RateRangeAt(veryLowMinLength); lo != vlow.RateAt(veryLowRows) {
		t.Errorf("lowest rate at 2^20 bits: %g", lo)
	}
	if lo, _ := RateRangeAt(veryLowMinLength - 1); lo != low.RateAt(low.MaxRows()) {
		t.Errorf("lowest rate below 2^20 bits: %g, want FamilyLowRandom's %g", lo, low.RateAt(low.MaxRows()))
	}
	for _, c := range []struct {
		rate float64
		n    int
		id   int
	}{
		{0.0101, 1 << 20, FamilyLowRandomWide}, {0.00998, 1 << 20, FamilyVeryLow}, {0.0099, 1 << 20, FamilyVeryLow}, {0.005, 1 << 22, FamilyVeryLow}, {0.004, 1 << 21, FamilyVeryLow},
	} {
		d, err := ForRate(c.rate, c.n)
		if err != nil || d.Family != c.id {
			t.Errorf("rate %g at %d bits: %+v (%v), want family %d", c.rate, c.n, d, err, c.id)
		}
	}
	if d, err := ForRate(0.005, 1<<19); !errors.Is(err, ErrInvalidDescription) {
		t.Errorf("rate 0.005 at 2^19 bits: %+v, %v", d, err)
	}
}

// PEXIT on the channel of multidimensional reconciliation: FamilyVeryLow
// at rate 0.005 (600 rows) has its threshold within 1.5 % of the Gaussian
// capacity (the search that chose the rows found 0.9915), and not above it.
func TestFamilyVeryLowThresholds(t *testing.T) {
	f := families[FamilyVeryLow].raptor
	p, err := f.Protograph(600)
	if err != nil {
		t.Fatal(err)
	}
	snr, err := GAThreshold(p, nil, GAOptions{MD8: true})
	if err != nil {
		t.Fatal(err)
	}
	if b := Beta(p.Rate(), snr); b < 0.985 || b >= 1 {
		t.Errorf("rate %.5f: threshold SNR %.5f, β %.4f", p.Rate(), snr, b)
	}
}

// FamilyVeryLow's codes at 2^20 bits (its smallest circulants) have no
// 4-cycles at its highest and lowest rates; both stations
// build the same code; the construction is frozen.
func TestFamilyVeryLowNoFourCyclesAndFrozen(t *testing.T) {
	fam := families[FamilyVeryLow]
	for _, c := range []struct {
		rate float64
		n    int
	}{
		{fam.raptor.RateAt(fam.minRows), veryLowMinLength}, {fam.raptor.RateAt(veryLowRows), veryLowMinLength},
	} {
		d, err := forRateFamily(FamilyVeryLow, c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		checkNoFourCycles(t, d)
	}
	checkFrozen(t, []frozenCode{
		{Description{Family: FamilyVeryLow, Z: 40, Rows: 600, Shortened: 300, Punctured: 50, Seed: 9}, 0xb14a111792a255d6},
	})
}
