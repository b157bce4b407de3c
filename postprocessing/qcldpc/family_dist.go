package qcldpc

// FamilyLowRandom is the low-rate Raptor-like protograph of FamilyLow
// (a core of 8 columns, one punctured, under a 5-row precode; degree-1
// parity bits on extension checks of degree 2–3 into the core, precode
// entry (2, 1) = 0) with a random pre-lift of 16 at every rate, where
// FamilyLow's pre-lift shrinks to 8, 4 and 2 below rate 0.048 (at most
// preLiftBaseColumns base columns). Rates 0.15 down to 0.01, for blocks of
// at least lowRandomMinLength bits (ForRate gives the rates above 0.044 to
// the families designed on the MD channel). The constants are copied here so that
// this family stays frozen whatever becomes of FamilyLow.
const FamilyLowRandom = 4

// lowRandomPreLift is the pre-lift factor of FamilyLowRandom at every rate
// (preLiftAt never goes below a family's preLift).
const lowRandomPreLift = 16

// lowRandomMinLength is the shortest block ForRate builds with
// FamilyLowRandom: with 16 copies of up to 301 base columns, a shorter
// block leaves circulants too small to avoid 4-cycles at the lowest rates
// (and lengths too coarse for the planner); FamilyLow serves those.
const lowRandomMinLength = 1 << 16

// servesLength reports whether ForRate may build a block of about n bits
// with family id. The families designed on the MD channel have the same
// bound as FamilyLowRandom: their pre-lift is the same, and their decoding
// was measured at 2^16 bits and more only.
func servesLength(id, n int) bool {
	if _, wide := IsWide(id); wide || (families[id] != nil && families[id].long) {
		return n >= WideMinLength
	}
	switch id {
	case FamilyLowRandom, FamilyMD, FamilyMD2, FamilyMD3, FamilyMD4, FamilyMDHigh:
		return n >= lowRandomMinLength
	case FamilyVeryLow:
		return n >= veryLowMinLength
	}
	return true
}

// lowRandomPre is FamilyLowRandom's precode (5 rows over 8 core columns),
// shared by the families designed on the MD channel; no family changes it.
var lowRandomPre = []uint8{
	1, 0, 1, 0, 0, 1, 0, 1,
	0, 1, 0, 1, 0, 0, 1, 0,
	0, 0, 1, 0, 1, 0, 0, 1,
	1, 0, 0, 1, 0, 1, 0, 1,
	0, 1, 0, 1, 1, 0, 1, 0,
}

// lowRandomHead and lowRandomCycle are FamilyLowRandom's extension rows:
// the head, then the cycle repeated (FamilyVeryLow continues it).
var (
	lowRandomHead = [][]uint8{
		{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 1}, {2, 3}, {1, 7, 0},
	}
	lowRandomCycle = [][]uint8{{6, 7}, {0, 1}, {2, 3}, {4, 5}}
)

func init() {
	families[FamilyLowRandom] = &family{
		id: FamilyLowRandom, name: "low-raptor-random",
		raptor: Raptor{PreRows: 5, Core: 8, Punctured: []int{0},
			Pre: lowRandomPre,
			Ext: extCycle(lowRandomHead, lowRandomCycle, 293),
		},
		minRows: 5 + 13,
		preLift: lowRandomPreLift,
	}
}
