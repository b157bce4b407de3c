package qcldpc

import (
	"hash/fnv"
	"slices"
	"testing"
)

// TestLowRandomDecodesBobsWord: codes of FamilyLowRandom of 2^16 bits at
// rates 0.1, 0.04 and 0.015, on the BIAWGN channel at β = 0.85 (PEXIT
// thresholds are at β ≈ 0.94–0.99), decode Bob's exact word in every block.
// The same blocks through FamilyLow (nearly the same protograph, cyclic
// single-copy pre-lift) converge to wrong words with Bob's syndrome, which
// shows the check catches that defect.
func TestLowRandomDecodesBobsWord(t *testing.T) {
	const blocks = 3
	lowWrong := 0
	for i, rate := range []float64{0.1, 0.04, 0.015} {
		snr := snrForBeta(rate, 0.85)
		for _, id := range []int{FamilyLowRandom, FamilyLow} {
			d, err := forRateFamily(id, rate, 1<<16)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Build(d)
			if err != nil {
				t.Fatal(err)
			}
			fails, wrong, iters := decodeBlocks(t, a, snr, blocks, uint64(10+i))
			if id == FamilyLow {
				lowWrong += wrong
				continue
			}
			if fails != 0 {
				t.Errorf("family %d rate %.3f at SNR %.4f (β 0.85): %d of %d blocks failed (%d wrong words), iterations %v",
					id, rate, snr, fails, blocks, wrong, iters)
			}
		}
	}
	if lowWrong == 0 {
		t.Errorf("family %d decoded no wrong word: the check no longer tells the families apart", FamilyLow)
	}
}

// TestRandomPreLiftIsPermutation: the random pre-lift replaces entry b at
// (r, c) by b disjoint permutation matrices (every pre-lifted row of r
// meets b columns of c, every column of c is met b times), keeps the rows
// it extends when rows are added, and is not the cyclic pre-lift.
func TestRandomPreLiftIsPermutation(t *testing.T) {
	r := families[FamilyLowRandom].raptor
	const f = lowRandomPreLift
	p, err := r.Protograph(40)
	if err != nil {
		t.Fatal(err)
	}
	rows, punct := preLift(p, f)
	if len(rows) != p.Rows*f || len(punct) != len(p.Punctured)*f {
		t.Fatalf("%d rows, %d punctured columns", len(rows), len(punct))
	}
	for pr := 0; pr < p.Rows; pr++ {
		for c := 0; c < p.Cols; c++ {
			colHits := make([]int, f)
			for i := 0; i < f; i++ {
				n := 0
				for _, col := range rows[pr*f+i] {
					if int(col)/f == c {
						n++
						colHits[int(col)%f]++
					}
				}
				if n != p.At(pr, c) {
					t.Fatalf("pre-lifted row %d meets %d columns of %d, want %d", pr*f+i, n, c, p.At(pr, c))
				}
			}
			for j, h := range colHits {
				if h != p.At(pr, c) {
					t.Fatalf("column %d of block (%d, %d) met %d times, want %d", j, pr, c, h, p.At(pr, c))
				}
			}
		}
	}
	for _, row := range rows {
		if !slices.IsSorted(row) {
			t.Fatal("pre-lifted row not sorted")
		}
	}
	// rate compatibility: a code with more rows keeps the pre-lifted rows
	// it extends (an extension row's parity column is Core + its index in
	// both codes)
	p2, err := r.Protograph(60)
	if err != nil {
		t.Fatal(err)
	}
	rows2, _ := preLift(p2, f)
	for i, row := range rows {
		if !slices.Equal(rows2[i], row) {
			t.Fatalf("pre-lifted row %d differs once rows are added", i)
		}
	}
	cyc := *p
	cyc.RandomPreLift = false
	rowsC, _ := preLift(&cyc, f)
	same := 0
	for i := range rows {
		if slices.Equal(rows[i], rowsC[i]) {
			same++
		}
	}
	if same == len(rows) {
		t.Fatal("the random pre-lift equals the cyclic one")
	}
}

// TestLowRandomDeterministic: both stations build the same code bit for
// bit; the seed changes the shifts; a code with more rows keeps the
// circulants of the rows it extends; and the construction is frozen (a
// digest of one code's circulants and positions).
func TestLowRandomDeterministic(t *testing.T) {
	d := Description{Family: FamilyLowRandom, Z: 40, Rows: 120, Shortened: 700, Punctured: 50, Seed: 9}
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
	h := fnv.New64a()
	for _, e := range a.Code.Circulants {
		h.Write([]byte{byte(e.Row), byte(e.Row >> 8), byte(e.Col), byte(e.Col >> 8), byte(e.Shift), byte(e.Shift >> 8)})
	}
	for _, list := range [][]int32{a.Shortened, a.Punctured} {
		for _, p := range list {
			h.Write([]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)})
		}
	}
	const frozen = 0x6c67692a5a71b73b
	if got := h.Sum64(); got != frozen {
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
		a, err := Build(d)
		if err != nil {
			t.Fatal(err)
		}
		if n := a.Code.FourCycles(); n != 0 {
			t.Errorf("%+v: %d 4-cycles", d, n)
		}
	}
}
