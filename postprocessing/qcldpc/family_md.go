package qcldpc

// FamilyMD is a low-rate Raptor-like family designed by PEXIT on the
// channel multidimensional reconciliation presents (GAOptions.MD8): the
// precode of FamilyLowRandom (8 core columns, one punctured, 5 rows) with
// extension rows found by internal/design -md8, for rates 0.15 down to
// 0.083 (ForRate tries FamilyMD3 first, which serves 0.1 to 0.143). Its
// pre-lift is FamilyLowRandom's (16 at every rate), and it serves blocks of
// at least lowRandomMinLength bits.
const FamilyMD = 5

func init() {
	families[FamilyMD] = &family{
		id: FamilyMD, name: "md-raptor",
		raptor: Raptor{PreRows: 5, Core: 8, Punctured: []int{0},
			Pre: []uint8{
				1, 0, 1, 0, 0, 1, 0, 1,
				0, 1, 0, 1, 0, 0, 1, 0,
				0, 0, 1, 0, 1, 0, 0, 1,
				1, 0, 0, 1, 0, 1, 0, 1,
				0, 1, 0, 1, 1, 0, 1, 0,
			},
			Ext: [][]uint8{
				{7, 3}, {2, 3}, {7, 5}, {6, 7}, {3, 5}, {2, 3}, {4, 5}, {6, 7}, {7, 3, 1}, {7, 6, 3},
				{1, 7, 0}, {7, 1, 6}, {3, 1, 4}, {2, 3}, {1, 4, 6}, {1, 6}, {0, 1}, {1, 6}, {4, 5}, {3, 0},
				{0, 1}, {2, 3}, {4, 1}, {6, 7}, {0, 1}, {1, 3, 5}, {4, 5}, {6, 2}, {0, 1},
			},
		},
		minRows: 5 + 13,
		preLift: lowRandomPreLift,
	}
}
