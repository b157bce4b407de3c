package qcldpc

// FamilyIrregular is a fixed-rate protograph of 12 rows over 16 columns
// (two punctured), rate 2/7, found by internal/design's full search
// (docs/ldpc-codes.md: -mode full -init 38 -rows 6 -copies 2 -iter 4000
// -temp 0.002 -seed 1): every entry annealed, multiplicities up to 3, 112
// edges (7 per bit, FamilyMDHigh's codes have 3). It serves rates 2/7 down
// to irregularBottomRate by shortening, in blocks of at least
// WideMinLength bits, pre-lifted like the wide families (16·256 base
// columns).
//
// Its PEXIT threshold at rate 2/7 is 0.973 of the BIAWGN capacity and β
// 0.930 on the channel of multidimensional reconciliation (FamilyMDHigh's
// code of that rate: 0.940 and 0.896). PEXIT overrates such dense
// protographs: discretized density evolution on that channel puts it
// between β 0.91 and 0.93, where FamilyMDHigh's code fails at 0.90
// (TestFamilyIrregularDDE), and blocks of 2^22 quadratures decode at β
// 0.91 where FamilyMDHigh's fail from 0.895 (docs/ldpc-codes.md). The
// planner uses it for multidimensional reconciliation at SNR about
// 0.45–0.55 and for the most significant coded slice at SNR 1, with its
// own targets (postprocessing's familyTargets).
const FamilyIrregular = 11

// irregularBottomRate is the lowest rate ForRate serves with
// FamilyIrregular, by shortening about 6 % of the candidate bits: there
// discretized DE still converges at β 0.915, where FamilyMDHigh's code
// fails; at 0.22 and below FamilyIrregular's shortened codes fail at 0.915
// and at 0.16 at 0.90 (docs/ldpc-codes.md).
const irregularBottomRate = 0.24

// irregularPre is FamilyIrregular's protograph, row-major; columns 4 and
// 12 are punctured.
var irregularPre = []uint8{
	0, 0, 1, 0, 2, 0, 0, 0, 1, 2, 2, 0, 1, 1, 1, 2,
	0, 1, 2, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 3, 0, 3,
	1, 1, 1, 1, 2, 0, 0, 0, 1, 2, 0, 1, 3, 0, 2, 0,
	0, 0, 0, 0, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 3, 0,
	2, 0, 1, 1, 0, 0, 1, 0, 3, 0, 1, 0, 3, 0, 0, 3,
	0, 1, 1, 0, 1, 1, 0, 1, 3, 2, 2, 2, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 0, 2, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1,
}

// The family is registered by a variable's initializer, which runs before
// every init function (family_wide.go's orders the families).
var _ = registerIrregular()

func registerIrregular() bool {
	families[FamilyIrregular] = &family{
		id: FamilyIrregular, name: "irregular-2/7",
		raptor: Raptor{PreRows: 12, Core: 16, Punctured: []int{4, 12},
			Pre: irregularPre,
		},
		minRows:   12,
		preLift:   3,
		shortenTo: irregularBottomRate,
		long:      true,
	}
	return true
}
