package qcldpc

import (
	"fmt"
	"slices"
)

// The shipped code families. A family is a rate-compatible Raptor-like
// protograph: its extension rows are listed up to the lowest rate it
// serves, the head as found by the search in internal/design, then a
// repeated cycle. Changing anything here changes the codes both stations
// build, so a family, once shipped, is frozen; a new design gets a new id.

// Family ids as sent in Description.Family.
const (
	// FamilyAR4JA is the AR4JA rate-1/2 protograph (Divsalar, Dolinar,
	// Jones, Andrews 2009) as precode, with a punctured degree-6 column,
	// extended by rows chosen greedily with PEXIT: rates 0.5 down to 0.09.
	// ForRate uses it for rates above 0.15.
	FamilyAR4JA = 1
	// FamilyLow is a low-rate Raptor-like family in the multi-edge-type
	// shape of CV-QKD codes (a core of 8 columns, one punctured, under a
	// 5-row precode; degree-1 parity bits on extension checks of degree
	// 2–3 into the core): rates 0.15 down to 0.01.
	FamilyLow = 2
	// FamilyHigh has a rate-1/2 precode of the AR4JA shape (3×5, one
	// punctured column) found by a PEXIT local search, extended by rows
	// chosen greedily with PEXIT: rates 0.5 down to 0.125. Its thresholds
	// beat FamilyAR4JA's by 0.2 dB on the BIAWGN channel and by 0.015–0.04
	// in β on the channel of multidimensional reconciliation, but its
	// lifted codes have codewords of 24–32 bits at some rows (0.5, 0.25),
	// which the decoder converges to: ForRate does not use it
	// (docs/ldpc-codes.md).
	FamilyHigh = 3
)

// forRateOrder is the order in which ForRate tries the families: the first
// whose rate range holds the rate (and that serves the block length, see
// servesLength) serves it: FamilyAR4JA above rate 0.4; in blocks of
// WideMinLength bits or more FamilyIrregular for rates 2/7 down to 0.24,
// then the wide twins (family_wide.go) of the following; in blocks of
// 2^16 bits or more FamilyMDHigh for rates 0.4 down to 0.143, FamilyMD4
// for 0.107 down to 0.1, FamilyMD3 for the rates between, FamilyMD below
// 0.1 down to 0.083, FamilyMD2 below it down to 0.044, FamilyLowRandom
// below down to 0.01 and FamilyVeryLow below (blocks of 2^20 bits or
// more); in shorter blocks FamilyAR4JA down to 0.091 and FamilyLow below.
var forRateOrder = []int{FamilyMDHigh, FamilyMD4, FamilyMD3, FamilyMD, FamilyMD2, FamilyLowRandom, FamilyVeryLow, FamilyAR4JA, FamilyLow}

type family struct {
	id      int
	name    string
	raptor  Raptor
	minRows int // highest rate served without puncturing
	preLift int // the smallest pre-lift: ≥ the largest multiplicity of the family
	// punctureTo, when above the base rate of minRows, is the highest rate
	// ForRate serves with the family, by puncturing bits of its minRows
	// code (a planner's choice: any description may puncture).
	punctureTo float64
	// wideOf, when not 0, is the family whose protograph this one shares,
	// pre-lifted to about wideBaseColumns base columns (family_wide.go).
	wideOf int
	// shortenTo, when below the base rate of the family's most rows, is
	// the lowest rate ForRate serves with it, by shortening bits of that
	// code (FamilyIrregular, whose one protograph has no extension rows).
	shortenTo float64
	// long: the family serves only blocks of at least WideMinLength bits,
	// pre-lifted like the wide families (FamilyIrregular).
	long bool
}

// bottomRate is the lowest rate ForRate serves with the family.
func (fam *family) bottomRate() float64 {
	f := &fam.raptor
	if fam.shortenTo > 0 {
		return min(f.RateAt(f.MaxRows()), fam.shortenTo)
	}
	return f.RateAt(f.MaxRows())
}

// topRate is the highest rate ForRate serves with the family.
func (fam *family) topRate() float64 {
	return max(fam.raptor.RateAt(fam.minRows), fam.punctureTo)
}

func extCycle(head [][]uint8, cycle [][]uint8, total int) [][]uint8 {
	out := append([][]uint8(nil), head...)
	for i := 0; len(out) < total; i++ {
		out = append(out, cycle[i%len(cycle)])
	}
	return out[:total]
}

var families = map[int]*family{
	FamilyAR4JA: {
		id: FamilyAR4JA, name: "ar4ja-raptor",
		raptor: Raptor{PreRows: 3, Core: 5, Punctured: []int{4},
			Pre: []uint8{
				0, 0, 1, 0, 2,
				1, 1, 0, 1, 3,
				1, 2, 0, 2, 1,
			},
			Ext: extCycle([][]uint8{
				{1, 2, 4}, {1, 2, 4}, {1, 2, 4}, {1, 2, 4}, {1, 2, 4}, {1, 2, 4},
				{3, 4}, {1, 2}, {1, 2, 4}, {3, 4}, {1, 2}, {3, 4}, {1, 2}, {3, 4},
			}, [][]uint8{{1, 2}, {3, 4}}, 18),
		},
		minRows: 3,
		preLift: 3,
	},
	FamilyLow: {
		id: FamilyLow, name: "low-raptor",
		raptor: Raptor{PreRows: 5, Core: 8, Punctured: []int{0},
			Pre: []uint8{
				1, 0, 1, 0, 0, 1, 0, 1,
				0, 1, 0, 1, 0, 0, 1, 0,
				0, 0, 1, 0, 1, 0, 0, 1,
				1, 0, 0, 1, 0, 1, 0, 1,
				0, 1, 0, 1, 1, 0, 1, 0,
			},
			Ext: extCycle([][]uint8{
				{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 1}, {2, 3}, {1, 7, 0},
			}, [][]uint8{{6, 7}, {0, 1}, {2, 3}, {4, 5}}, 293),
		},
		minRows: 5 + 13,
		preLift: 1,
	},
	FamilyHigh: {
		id: FamilyHigh, name: "high-raptor",
		raptor: Raptor{PreRows: 3, Core: 5, Punctured: []int{4},
			Pre: []uint8{
				1, 0, 1, 0, 3,
				0, 0, 3, 2, 2,
				0, 1, 1, 0, 1,
			},
			Ext: [][]uint8{
				{1, 4}, {1, 2, 4}, {0, 4}, {1, 2, 4}, {0, 2}, {0, 2}, {0, 2}, {0, 2, 4},
				{0, 2}, {0, 2, 4}, {0, 2, 4}, {0, 2, 4},
			},
		},
		minRows: 3,
		preLift: 3,
	},
}

// Families returns the ids of the shipped families, ascending: the ids a
// Description may name.
func Families() []int {
	ids := make([]int, 0, len(families))
	for id := range families {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// PlannedFamilies returns the ids ForRate chooses among, in the order it
// tries them.
func PlannedFamilies() []int { return slices.Clone(forRateOrder) }

// FamilyRaptor returns a copy of the protograph family with the given id,
// and the fewest rows a description may use with it.
func FamilyRaptor(id int) (*Raptor, int, error) {
	fam, ok := families[id]
	if !ok {
		return nil, 0, fmt.Errorf("%w: family %d is not a known code family", ErrInvalidDescription, id)
	}
	f := fam.raptor
	f.Pre = slices.Clone(f.Pre)
	f.Punctured = slices.Clone(f.Punctured)
	f.Ext = slices.Clone(f.Ext)
	return &f, fam.minRows, nil
}

// FamilyRateRange returns the lowest and highest rates ForRate serves with
// the family (0, 0 for an unknown id).
func FamilyRateRange(id int) (lo, hi float64) {
	fam, ok := families[id]
	if !ok {
		return 0, 0
	}
	return fam.bottomRate(), fam.topRate()
}

// preLiftBaseColumns is the number of base columns the random pre-lift aims
// at: circulants over a base matrix of a few columns give codewords whose
// weight does not grow with Z (a few hundred bits, which the decoder then
// converges to), while a few hundred base columns from random permutations
// do not. It also keeps N ≤ 1024·Z, so that short test codes exist.
const preLiftBaseColumns = 1024

// preLiftMax caps the pre-lift factor.
const preLiftMax = 16

// preLiftAt is the pre-lift factor of the code with rows rows: the largest
// power of two f ≤ preLiftMax with f·columns ≤ preLiftBaseColumns, and at
// least the family's smallest pre-lift.
func (fam *family) preLiftAt(rows int) int {
	cols := fam.raptor.Cols(rows)
	f := 1
	if fam.wideOf != 0 || fam.long {
		for 2*f*cols <= wideBaseColumns {
			f *= 2
		}
		return max(f, fam.preLift)
	}
	for 2*f <= preLiftMax && 2*f*cols <= preLiftBaseColumns {
		f *= 2
	}
	return max(f, fam.preLift)
}
