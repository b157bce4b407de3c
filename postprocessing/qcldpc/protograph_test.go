package qcldpc

import (
	"slices"
	"testing"
)

// DegreeTwoForest on small protographs whose low-weight structures are
// known by hand, and on the shipped families.
func TestDegreeTwoForest(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Protograph
		want bool
	}{
		// column 1 has two edges to check 0: a cycle of length 2
		{"double edge", Protograph{Rows: 2, Cols: 3, B: []uint8{1, 2, 1, 1, 0, 1}}, false},
		// columns 0 and 1 have one edge each, to check 0: a codeword of weight 2
		{"two degree-1 on one check", Protograph{Rows: 2, Cols: 4, B: []uint8{1, 1, 1, 1, 0, 0, 1, 1}}, false},
		// degree 1 (col 0) – check 0 – degree 2 (col 1) – check 1 – degree 1 (col 2)
		{"path between degree-1", Protograph{Rows: 2, Cols: 4, B: []uint8{1, 1, 0, 3, 0, 1, 1, 3}}, false},
		// degree-2 columns 0, 1 on checks 0, 1 both: a cycle of length 4
		{"4-cycle of degree 2", Protograph{Rows: 2, Cols: 3, B: []uint8{1, 1, 1, 1, 1, 1}}, false},
		// one degree-2 path with one degree-1 end; column 3 has degree 3
		{"tree", Protograph{Rows: 3, Cols: 4, B: []uint8{1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1}}, true},
		{"all degree 3", Protograph{Rows: 3, Cols: 3, B: []uint8{1, 1, 1, 1, 1, 1, 1, 1, 1}}, true},
	} {
		if got := tc.p.DegreeTwoForest(); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, id := range Families() {
		f, minRows, err := FamilyRaptor(id)
		if err != nil {
			t.Fatal(err)
		}
		for rows := minRows; rows <= f.MaxRows(); rows++ {
			p, err := f.Protograph(rows)
			if err != nil {
				t.Fatal(err)
			}
			// FamilyHigh, which ForRate does not use, fails everywhere:
			// its column 3 has two edges to one precode check.
			if want := slices.Contains(forRateOrder, id); p.DegreeTwoForest() != want {
				t.Errorf("family %d at %d rows: DegreeTwoForest = %v, want %v", id, rows, !want, want)
			}
		}
	}
}
