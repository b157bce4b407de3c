package qcldpc

// FamilyMD3 is a Raptor-like family designed, like FamilyMD, by PEXIT on
// the channel multidimensional reconciliation presents: the precode of
// FamilyLowRandom with 23 extension rows found by internal/design -md8 for
// rate 0.1 (SNR 0.16), starting from FamilyMD's, for rates 0.143 down to 0.1
// (rows 19 to 28). Its pre-lift is FamilyLowRandom's (16 at every rate), and
// it serves blocks of at least lowRandomMinLength bits.
const FamilyMD3 = 7

func init() {
	families[FamilyMD3] = &family{
		id: FamilyMD3, name: "md-raptor-3",
		raptor: Raptor{PreRows: 5, Core: 8, Punctured: []int{0},
			Pre: []uint8{
				1, 0, 1, 0, 0, 1, 0, 1,
				0, 1, 0, 1, 0, 0, 1, 0,
				0, 0, 1, 0, 1, 0, 0, 1,
				1, 0, 0, 1, 0, 1, 0, 1,
				0, 1, 0, 1, 1, 0, 1, 0,
			},
			Ext: [][]uint8{
				{7, 3}, {3, 1, 6}, {6, 7, 4}, {6, 7}, {3, 5}, {3, 6, 4}, {3, 4, 0}, {3, 7}, {7, 3, 1}, {7, 6, 3},
				{1, 7, 0}, {7, 1, 6}, {3, 1, 4}, {1, 0, 3}, {3, 0}, {1, 6}, {0, 1}, {1, 6}, {4, 5}, {3, 0},
				{0, 1}, {0, 3}, {4, 1},
			},
		},
		minRows: 19, // at 18 rows (rate 0.15) FamilyMD is better: 0.913 against 0.911
		preLift: lowRandomPreLift,
	}
}
