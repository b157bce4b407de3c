package qcldpc

// The wide families: the protographs of the families the planner uses in
// long blocks, pre-lifted to about 4096 base columns instead of 16 copies.
//
// A quasi-cyclic code has codewords whose weight is bounded by the base
// matrix, whatever Z: a set of base columns whose checks number fewer than
// the columns carries codewords of weight about the permanents of its
// submatrices. With 16 copies of a protograph of 25–30 columns, those
// codewords weigh a hundred-odd bits (136 in one of FamilyMD3's codes at
// 22 rows), and near threshold the decoder converges to them: the block
// meets its syndrome with another word than Bob's, and the block hash
// refuses it. At SNR 0.16 with blocks of 2^22 (FamilyMD3, 27 rows, β
// 0.935) this was 8 of the 9 failed blocks of 128, and they came frame by
// frame (5 of 9 blocks in one frame: every block of a frame shares its
// code). Pre-lifted 64 times the same code failed 1 block of 128 (a wrong
// word), 128 times none (docs/ldpc-codes.md). The density evolution of a
// family and its wide twin is the same: only the lifting differs.
//
// The codes of a wide family differ from its twin's bit for bit, so it has
// its own id (wideIDOffset + the twin's): a peer that does not know it
// answers EC_DENIED, and the planner falls back to the twins
// (postprocessing.PlanWithout drops every wide family at once).

// wideBaseColumns is the number of base columns a wide family's pre-lift
// aims at: the largest power of two f with f·columns ≤ wideBaseColumns.
const wideBaseColumns = 4096

// WideMinLength is the shortest block a wide family serves: at least 64
// bits per circulant, where the codes ForRate picks still have no 4-cycles
// (TestWideFamiliesNoFourCyclesAndFrozen). It was 2^20 until slice
// reconciliation's codes of about 2^19 bits showed the narrow families'
// codewords of low weight: at SNR 1.87, blocks of 560 000 quadratures and
// every slice's target β 0.8, 4 of 40 blocks met every syndrome with other
// words than Bob's with the narrow families, none of 40 with the wide ones.
const WideMinLength = 1 << 18

// wideIDOffset is added to a family's id to name its wide twin.
const wideIDOffset = 30

// Wide family ids.
const (
	FamilyLowRandomWide = wideIDOffset + FamilyLowRandom
	FamilyMDWide        = wideIDOffset + FamilyMD
	FamilyMD2Wide       = wideIDOffset + FamilyMD2
	FamilyMD3Wide       = wideIDOffset + FamilyMD3
	FamilyMD4Wide       = wideIDOffset + FamilyMD4
	FamilyMDHighWide    = wideIDOffset + FamilyMDHigh
)

// wideTwins lists the families that have a wide twin.
var wideTwins = []int{FamilyMDHigh, FamilyMD4, FamilyMD3, FamilyMD, FamilyMD2, FamilyLowRandom}

func init() {
	for _, id := range wideTwins {
		twin := *families[id]
		twin.id, twin.name, twin.wideOf = wideIDOffset+id, twin.name+"-wide", id
		families[twin.id] = &twin
	}
	// ForRate tries the wide families first; they serve blocks of at
	// least WideMinLength bits, the others the rest.
	// The families of long blocks only with a protograph of their own
	// (FamilyIrregular, FamilySixth) come first.
	order := []int{FamilyIrregular, FamilySixth}
	for _, id := range wideTwins {
		order = append(order, wideIDOffset+id)
	}
	forRateOrder = append(order, forRateOrder...)
}

// IsWide reports whether the family is a wide one, and its twin.
func IsWide(id int) (twin int, ok bool) {
	fam, found := families[id]
	if !found || fam.wideOf == 0 {
		return 0, false
	}
	return fam.wideOf, true
}
