package qcldpc

import (
	"slices"
	"testing"
)

// TestLowRandomDecodesBobsWord: codes of FamilyLowRandom of 2^16 bits at
// rates 0.1, 0.04 and 0.015, on the BIAWGN channel at β = 0.85 (PEXIT
// thresholds are at β ≈ 0.94–0.99), decode Bob's exact word in every block.
// The same protograph lifted by circulants alone (pre-lift 1, circulants
// 16 times larger: the same bits in the same columns) converges to wrong
// words with Bob's syndrome on the same blocks, which shows the check
// catches that defect.
func TestLowRandomDecodesBobsWord(t *testing.T) {
	const blocks = 3
	cyclicWrong := 0
	for i, rate := range []float64{0.1, 0.04, 0.015} {
		snr := snrForBeta(rate, 0.85)
		d, err := forRateFamily(FamilyLowRandom, rate, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Build(d)
		if err != nil {
			t.Fatal(err)
		}
		fails, wrong, iters := decodeBlocks(t, a, snr, blocks, uint64(10+i))
		if fails != 0 {
			t.Errorf("rate %.3f at SNR %.4f (β 0.85): %d of %d blocks failed (%d wrong words), iterations %v",
				rate, snr, fails, blocks, wrong, iters)
		}
		p, err := families[FamilyLowRandom].raptor.Protograph(d.Rows)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Lift(p, 1, d.Z*lowRandomPreLift, uint64(d.Seed)<<8|FamilyLowRandom)
		if err != nil {
			t.Fatal(err)
		}
		cyclic := &Adapted{Description: d, Code: c, Shortened: a.Shortened, Punctured: a.Punctured}
		_, wrong, _ = decodeBlocks(t, cyclic, snr, blocks, uint64(10+i))
		cyclicWrong += wrong
	}
	if cyclicWrong == 0 {
		t.Error("the circulant-only lift decoded no wrong word: the check no longer tells the liftings apart")
	}
}

// TestLowRandomPreLift: FamilyLowRandom is pre-lifted by 16 at every
// rate, and its pre-lift keeps the rows it extends when rows are added.
func TestLowRandomPreLift(t *testing.T) {
	fam := families[FamilyLowRandom]
	for _, rows := range []int{fam.minRows, 60, fam.raptor.MaxRows()} {
		if f := fam.preLiftAt(rows); f != lowRandomPreLift {
			t.Fatalf("pre-lift %d at %d rows, want %d", f, rows, lowRandomPreLift)
		}
	}
	const f = lowRandomPreLift
	p, err := fam.raptor.Protograph(40)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := fam.raptor.Protograph(60)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := preLift(p, f, &splitMix64{state: 7})
	rows2, _ := preLift(p2, f, &splitMix64{state: 7})
	for i, row := range rows {
		if !slices.Equal(rows2[i], row) {
			t.Fatalf("pre-lifted row %d differs once rows are added", i)
		}
	}
}

// TestLowRandomDeterministic: both stations build the same code bit for
// bit; the seed changes the shifts; a code with more rows keeps the
// circulants of the rows it extends; and the construction is frozen (a
// digest of one code's circulants and positions).
func TestLowRandomDeterministic(t *testing.T) {
	d := Description{Family: FamilyLowRandom, Z: 40, Rows: 120, Shortened: 700, Punctured: 50, Seed: 9}
	a := buildTwice(t, d)
	if err := a.Code.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.Code.N() != d.N() || a.Code.M() != d.M() {
		t.Fatalf("code %d×%d, description says %d×%d", a.Code.M(), a.Code.N(), d.M(), d.N())
	}
	d2 := d
	d2.Seed++
	c, err := Build(d2)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.Code.Circulants, c.Code.Circulants) {
		t.Fatal("the seed does not change the shifts")
	}
	short := d
	short.Rows = 60
	short.Shortened, short.Punctured = 0, 0
	s, err := Build(short)
	if err != nil {
		t.Fatal(err)
	}
	var ext []Circulant
	for _, e := range a.Code.Circulants {
		if int(e.Row) < s.Code.BaseRows && int(e.Col) < s.Code.BaseCols {
			ext = append(ext, e)
		}
	}
	if !slices.Equal(ext, s.Code.Circulants) {
		t.Fatal("the 120-row code does not extend the 60-row code")
	}
	const frozen = 0xf2bb0f09b050cb04
	if got := constructionDigest(a); got != frozen {
		t.Fatalf("construction digest %#x, frozen %#x: a shipped family changed", got, uint64(frozen))
	}
}

// TestLowRandomNoFourCycles lifts FamilyLowRandom across its rates at
// 2^18–2^21 bits and counts 4-cycles from the shifts.
func TestLowRandomNoFourCycles(t *testing.T) {
	for _, c := range []struct {
		rate float64
		n    int
	}{{0.15, 1 << 18}, {0.05, 1 << 20}, {0.0101, 1 << 21}} {
		d, err := forRateFamily(FamilyLowRandom, c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		checkNoFourCycles(t, d)
	}
}
