package qcldpc

// FamilyLowRandom is the low-rate Raptor-like protograph of FamilyLow
// (a core of 8 columns, one punctured, under a 5-row precode; degree-1
// parity bits on extension checks of degree 2–3 into the core) with the
// precode entry (2, 1) set to 0, as a second design run on FamilyLow found
// (β at the PEXIT threshold 0.98 instead of 0.95 at rate 0.02), pre-lifted
// by seeded random permutations of size 16 instead of FamilyLow's single
// copy. With one copy the circulant lifting inherits the low-weight
// codewords of quasi-cyclic codes over a small base matrix, and belief
// propagation at low SNR converges to Bob's word plus one of them in most
// blocks; random permutations break the algebra those codewords come from.
// Rates 0.15 down to 0.01; ForRate uses it in place of FamilyLow for
// blocks of at least lowRandomMinLength bits. The constants are copied
// here so that this family stays frozen whatever becomes of FamilyLow.
const FamilyLowRandom = 4

// lowRandomPreLift is the pre-lift factor of FamilyLowRandom.
const lowRandomPreLift = 16

// lowRandomMinLength is the shortest block ForRate builds with
// FamilyLowRandom: with 16 copies of up to 301 base columns, a shorter
// block leaves circulants too small to avoid 4-cycles at the lowest rates
// (and lengths too coarse for the planner); FamilyLow serves those.
const lowRandomMinLength = 1 << 16

// servesLength reports whether ForRate may build a block of about n bits
// with family id.
func servesLength(id, n int) bool {
	return id != FamilyLowRandom || n >= lowRandomMinLength
}

func init() {
	families[FamilyLowRandom] = &family{
		id: FamilyLowRandom, name: "low-raptor-random",
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
			RandomPreLift: true,
		},
		minRows: 5 + 13,
		preLift: lowRandomPreLift,
	}
}
