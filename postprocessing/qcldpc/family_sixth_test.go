package qcldpc

import (
	"math"
	"slices"
	"testing"
)

// FamilySixth serves rates sixthBottomRate to sixthTopRate in blocks of at least
// WideMinLength bits only, pre-lifted to about 4096 base columns; ForRate
// tries it after FamilyIrregular and before every wide family.
func TestFamilySixthShape(t *testing.T) {
	fam := families[FamilySixth]
	if _, ok := IsWide(FamilySixth); ok {
		t.Error("FamilySixth called a wide twin")
	}
	if lo, hi := FamilyRateRange(FamilySixth); math.Abs(lo-sixthBottomRate) > 1e-12 || hi != sixthTopRate {
		t.Errorf("rates [%g, %g], want [%g, %g]", lo, hi, sixthBottomRate, sixthTopRate)
	}
	if servesLength(FamilySixth, WideMinLength-1) || !servesLength(FamilySixth, WideMinLength) {
		t.Errorf("the lengths it serves do not start at %d", WideMinLength)
	}
	if f := fam.preLiftAt(11); f != 256 {
		t.Errorf("pre-lift %d over %d columns, want 256", f, fam.raptor.Cols(11))
	}
	p, err := fam.raptor.Protograph(11)
	if err != nil {
		t.Fatal(err)
	}
	if !p.DegreeTwoForest() {
		t.Error("its variables of degree ≤ 2 form a cycle")
	}
	order := PlannedFamilies()
	if slices.Index(order, FamilySixth) < slices.Index(order, FamilyIrregular) {
		t.Error("ForRate tries FamilySixth before FamilyIrregular")
	}
	for _, twin := range wideTwins {
		if slices.Index(order, FamilySixth) > slices.Index(order, wideIDOffset+twin) {
			t.Errorf("ForRate tries family %d before FamilySixth", wideIDOffset+twin)
		}
	}
	for _, c := range []struct {
		rate float64
		n    int
		want bool
	}{
		{1.0 / 6, 1 << 21, true}, {0.163, MaxLength, true}, {sixthBottomRate, WideMinLength, true}, {sixthTopRate, 1 << 21, true},
		{0.171, 1 << 21, false}, {0.14, 1 << 21, false}, {0.16, WideMinLength - 1, false},
	} {
		d, err := ForRate(c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Family == FamilySixth; got != c.want {
			t.Errorf("ForRate(%g, %d) = family %d", c.rate, c.n, d.Family)
		}
		if r, err := d.EffectiveRate(); err != nil || r > c.rate || r < c.rate-0.001 {
			t.Errorf("ForRate(%g, %d): effective rate %g (%v)", c.rate, c.n, r, err)
		}
	}
}

// Its codes at the lengths the planner uses have no 4-cycles, both
// stations build the same code, and the construction is frozen.
func TestFamilySixthNoFourCyclesAndFrozen(t *testing.T) {
	for _, c := range []struct {
		rate float64
		n    int
	}{{1.0 / 6, MaxLength}, {0.163, 3_000_000}, {sixthBottomRate, WideMinLength}, {0.15, 1 << 19}, {sixthTopRate, 1 << 21}} {
		d, err := ForRate(c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if d.Family != FamilySixth {
			t.Fatalf("ForRate(%g, %d) gave family %d", c.rate, c.n, d.Family)
		}
		checkNoFourCycles(t, d)
	}
	checkFrozen(t, []frozenCode{
		{Description{Family: FamilySixth, Z: 300, Rows: 11, Shortened: 300, Punctured: 50, Seed: 9}, 0x1e1247792fac2b3a},
	})
}

// Discretized density evolution on the BIAWGN channel (the test grid)
// converges on FamilySixth's protograph where FamilyMDHigh's of the same
// rate (1/6) fails: the gain PEXIT found holds without its Gaussian
// messages.
func TestFamilySixthDDE(t *testing.T) {
	if testRace {
		t.Skip("discretized DE takes a quarter of an hour under the race detector; run without -race")
	}
	t.Parallel()
	sixth, _ := families[FamilySixth].raptor.Protograph(11)
	high, _ := families[FamilyMDHigh].raptor.Protograph(11)
	if sixth.Rate() != high.Rate() {
		t.Fatalf("rates %g and %g", sixth.Rate(), high.Rate())
	}
	snr := BIAWGNShannonSNR(1.0/6) / 0.962 // β about 0.962 of the BIAWGN capacity
	if ok, _ := ddeConverges(sixth, nil, snr, coarse); !ok {
		t.Errorf("FamilySixth's code does not converge at SNR %.4f", snr)
	}
	if ok, _ := ddeConverges(high, nil, snr, coarse); ok {
		t.Errorf("FamilyMDHigh's code converges at SNR %.4f too", snr)
	}
}
