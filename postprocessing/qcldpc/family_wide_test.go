package qcldpc

import (
	"math/bits"
	"slices"
	"testing"
)

// Every wide family is its twin's protograph (so the same density
// evolution) pre-lifted to between 2048 and 4096 base columns (or the
// family's least pre-lift where that is wider: FamilyLowRandom's codes of
// more than 128 columns have their twin's pre-lift), serves only blocks of
// at least WideMinLength bits, and is tried by ForRate before its twin.
func TestWideFamiliesShape(t *testing.T) {
	order := PlannedFamilies()
	for _, twin := range wideTwins {
		id := wideIDOffset + twin
		w, n := families[id], families[twin]
		if got, ok := IsWide(id); !ok || got != twin {
			t.Fatalf("IsWide(%d) = %d, %v", id, got, ok)
		}
		if _, ok := IsWide(twin); ok {
			t.Errorf("IsWide(%d): a twin called wide", twin)
		}
		if !slices.Equal(w.raptor.Pre, n.raptor.Pre) || len(w.raptor.Ext) != len(n.raptor.Ext) || w.minRows != n.minRows || w.punctureTo != n.punctureTo {
			t.Errorf("family %d is not family %d's protograph", id, twin)
		}
		if slices.Index(order, id) > slices.Index(order, twin) {
			t.Errorf("ForRate tries family %d after its twin %d", id, twin)
		}
		if servesLength(id, WideMinLength-1) || !servesLength(id, WideMinLength) {
			t.Errorf("family %d: the lengths it serves do not start at %d", id, WideMinLength)
		}
		for rows := w.minRows; rows <= w.raptor.MaxRows(); rows++ {
			cols := w.raptor.Cols(rows)
			f, fn := w.preLiftAt(rows), n.preLiftAt(rows)
			want := 1 << (bits.Len(uint(wideBaseColumns/cols)) - 1) // the largest power of two with want·cols ≤ 4096
			if f != max(want, w.preLift) || f < fn {
				t.Errorf("family %d at %d rows: pre-lift %d over %d columns (the twin's %d)", id, rows, f, cols, fn)
			}
		}
	}
}

// The wide families' codes at the lengths the planner uses have no
// 4-cycles, both stations build the same code, and the construction is
// frozen (a digest of one code's circulants and positions).
func TestWideFamiliesNoFourCyclesAndFrozen(t *testing.T) {
	for _, c := range []struct {
		rate float64
		n    int
	}{{0.43, MaxLength}, {0.23, 1 << 21}, {0.1, MaxLength}, {0.09, 1 << 20}, {0.0527, MaxLength}, {0.03, 1 << 21}, {0.0204, MaxLength}, {0.0101, 1 << 20},
		{0.43, WideMinLength}, {0.3, 1 << 19}, {0.18, WideMinLength}, {0.1, WideMinLength}, {0.05, 1 << 19}, {0.02, WideMinLength}, {0.0101, WideMinLength}} {
		d, err := ForRate(c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := IsWide(d.Family); !ok {
			t.Fatalf("ForRate(%g, %d) gave family %d", c.rate, c.n, d.Family)
		}
		checkNoFourCycles(t, d)
	}
	checkFrozen(t, []frozenCode{
		{Description{Family: FamilyMDHighWide, Z: 300, Rows: 6, Shortened: 300, Punctured: 50, Seed: 9}, 0x2fe6af1a3fffd1c0},
		{Description{Family: FamilyMD3Wide, Z: 300, Rows: 28, Shortened: 300, Punctured: 50, Seed: 9}, 0x7f35f0b30e2f5e6f},
		{Description{Family: FamilyMD4Wide, Z: 300, Rows: 28, Shortened: 300, Punctured: 50, Seed: 9}, 0xfdb36744971f527b},
		{Description{Family: FamilyMDWide, Z: 300, Rows: 30, Shortened: 300, Punctured: 50, Seed: 9}, 0xc3510a7bebbcdfa2},
		{Description{Family: FamilyMD2Wide, Z: 300, Rows: 60, Shortened: 300, Punctured: 50, Seed: 9}, 0x4cf8ec814c87e340},
		{Description{Family: FamilyLowRandomWide, Z: 300, Rows: 100, Shortened: 300, Punctured: 50, Seed: 9}, 0xfd96a1f1284d82de},
	})
}
