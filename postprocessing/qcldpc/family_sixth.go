package qcldpc

// FamilySixth is a fixed-rate Raptor-like protograph of rate 1/6: family
// FamilyMDHigh's core of 5 columns (one punctured) and 8 extension rows,
// 11 rows over 13 columns, found by internal/design's search for that one
// rate (docs/ldpc-codes.md: -init 8 -core 5 -pre 3 -punct 1 -punctured 4
// -rates 0.1667 -maxw 4 -iter 6000 -temp 0.002 -seed 9 -distance). It
// differs from FamilyMDHigh's code of 11 rows in one precode entry and five
// extension rows, and has 41 edges (FamilyMDHigh's code: 42).
//
// Its PEXIT threshold is β 0.968 on the BIAWGN channel (FamilyMDHigh's
// code: 0.953). Discretized density evolution on the channel of the first
// coded slice of slice reconciliation (postprocessing.SliceLLRDensity, 7
// slices, 2 disclosed) puts it at 0.971 of that slice's capacity, where
// FamilyMDHigh's code stands at 0.953 (TestSliceChannelDDE in
// postprocessing). It serves rates sixthTopRate (punctured) down to
// sixthBottomRate (shortened), in blocks of at least WideMinLength bits,
// pre-lifted like the wide families; the planner uses it for the first
// slice at SNR about 0.4–0.52, with its own target (postprocessing's
// familyTargets).
const FamilySixth = 12

// sixthTopRate is the highest rate ForRate serves with FamilySixth, by
// puncturing about 6 % of its candidate bits: where the planner's target
// for the first slice at SNR 0.5 (0.966 of its capacity) lies.
const sixthTopRate = 0.17

// sixthBottomRate is the lowest rate ForRate serves with FamilySixth:
// FamilyMDHigh's lowest (13 rows), so that it takes the place of
// FamilyMDHighWide and nothing else (at rate 0.152 and at 1/6 discretized
// DE on the MD channel converges on its codes at β 0.935, where
// FamilyMDHighWide's fail; below, FamilyMD3Wide's codes keep their place).
const sixthBottomRate = 1.0 / 7

// The family is registered by a variable's initializer, which runs before
// every init function (family_wide.go's orders the families).
var _ = registerSixth()

func registerSixth() bool {
	families[FamilySixth] = &family{
		id: FamilySixth, name: "raptor-1/6",
		raptor: Raptor{PreRows: 3, Core: 5, Punctured: []int{4},
			Pre: []uint8{
				0, 0, 1, 0, 2,
				1, 1, 0, 1, 1,
				1, 1, 0, 2, 1,
			},
			Ext: [][]uint8{
				{1, 2, 4}, {3, 4, 2}, {1, 4}, {1, 3, 4}, {1, 4, 2},
				{4, 3}, {2, 4, 3}, {4, 2},
			},
		},
		minRows:    11,
		preLift:    3,
		punctureTo: sixthTopRate,
		shortenTo:  sixthBottomRate,
		long:       true,
	}
	return true
}
