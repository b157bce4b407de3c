package qcldpc

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Every tail family has its base's protograph at every row count and is
// the only kind IsTail reports; ForRate prefers it where it serves.
func TestTailFamilies(t *testing.T) {
	for _, id := range tailBases {
		tid := id + TailOffset
		if !IsTail(tid) || IsTail(id) {
			t.Fatalf("IsTail(%d) = %v, IsTail(%d) = %v", tid, IsTail(tid), id, IsTail(id))
		}
		b, tl := families[id], families[tid]
		if tl.base != id || tl.minRows != b.minRows || tl.preLift != b.preLift {
			t.Fatalf("tail %d: %+v against base %+v", tid, tl, b)
		}
		for rows := b.minRows; rows <= b.raptor.MaxRows(); rows++ {
			pb, err := b.raptor.Protograph(rows)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := tl.raptor.Protograph(rows)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pb.B, pt.B) || !slices.Equal(pb.Punctured, pt.Punctured) {
				t.Fatalf("tail %d at %d rows: protograph differs from family %d's", tid, rows, id)
			}
		}
	}
	if !slices.Equal(PlannedFamilies()[:len(tailBases)], []int{24, 23, 21, 22, 20}) {
		t.Fatalf("planned order %v, want the tails first", PlannedFamilies())
	}
}

// Between two row counts a tail family takes the next row and punctures
// part of its parity bits: the punctured positions (beyond the family's
// punctured columns) all lie in the last base column, nothing is shortened,
// the build is deterministic, and β at the threshold on the MD channel is
// well above the base family's shortened code at the same rate where that
// one dips (rate 0.117: 0.922 for family 7 at 23 rows).
func TestTailPuncturesTheLastRow(t *testing.T) {
	const rate = 0.117
	d, err := ForRate(rate, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	base, err := ForRateAmong(rate, 1<<20, []int{FamilyMD3})
	if err != nil {
		t.Fatal(err)
	}
	if d.Family != FamilyMD3+TailOffset || d.Rows != base.Rows+1 || d.Punctured == 0 || d.Shortened != 0 {
		t.Fatalf("tail %+v, base %+v", d, base)
	}
	a := buildTwice(t, d)
	s, err := d.shape()
	if err != nil {
		t.Fatal(err)
	}
	f := &families[d.Family].raptor
	last := f.Cols(d.Rows) - 1
	lo, hi := int32(last*s.pl*d.Z), int32((last+1)*s.pl*d.Z)
	inLast := 0
	for _, b := range a.Punctured {
		if b >= lo && b < hi {
			inLast++
		}
	}
	if inLast != d.Punctured || len(a.Punctured) != d.Punctured+s.structP || len(a.Shortened) != 0 {
		t.Fatalf("%d punctured bits in the last column, want %d; %d in all, want %d", inLast, d.Punctured, len(a.Punctured), d.Punctured+s.structP)
	}
	r, err := d.EffectiveRate()
	if err != nil || r > rate || r < rate-1e-4 {
		t.Fatalf("effective rate %.6f, want just below %g (%v)", r, rate, err)
	}
	md := GAOptions{MD8: true}
	et, err := EnsembleWith(d, md)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := EnsembleWith(base, md)
	if err != nil {
		t.Fatal(err)
	}
	if et.Beta < eb.Beta+0.015 {
		t.Errorf("β at threshold: tail %.4f, base %.4f", et.Beta, eb.Beta)
	}
	// More punctured bits than the last row's parity: invalid, named.
	bad := d
	bad.Punctured = s.tailBits + 1
	if err := bad.Validate(); !errors.Is(err, ErrInvalidDescription) || !strings.Contains(err.Error(), "punctured") {
		t.Errorf("punctured = %d: %v", bad.Punctured, err)
	}
}
