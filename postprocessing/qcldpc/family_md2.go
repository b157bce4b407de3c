package qcldpc

// FamilyMD2 is a low-rate Raptor-like family designed, like FamilyMD, by
// PEXIT on the channel multidimensional reconciliation presents: the
// precode of FamilyLowRandom with 49 extension rows found by
// internal/design -md8 for rate 0.0536 (SNR 0.08), then 12 rows of
// FamilyLowRandom's balanced cycle, for rates below 0.083 down to 0.044
// (rows 34 to 66; ForRate tries FamilyMD first, which serves 0.083
// itself). Its pre-lift is FamilyLowRandom's (16 at every rate), and it
// serves blocks of at least lowRandomMinLength bits.
const FamilyMD2 = 6

func init() {
	families[FamilyMD2] = &family{
		id: FamilyMD2, name: "md-raptor-2",
		raptor: Raptor{PreRows: 5, Core: 8, Punctured: []int{0},
			Pre: []uint8{
				1, 0, 1, 0, 0, 1, 0, 1,
				0, 1, 0, 1, 0, 0, 1, 0,
				0, 0, 1, 0, 1, 0, 0, 1,
				1, 0, 0, 1, 0, 1, 0, 1,
				0, 1, 0, 1, 1, 0, 1, 0,
			},
			Ext: [][]uint8{
				{0, 1}, {2, 3}, {4, 5}, {6, 4}, {3, 7}, {2, 3}, {6, 1}, {6, 7}, {6, 2, 0}, {0, 3},
				{0, 4}, {6, 7}, {3, 4, 1}, {2, 3}, {3, 2}, {6, 7}, {7, 6}, {2, 3}, {1, 7, 5}, {6, 7},
				{7, 1, 3}, {2, 3}, {2, 1, 7}, {3, 4, 1}, {0, 1}, {2, 3}, {6, 7, 4}, {6, 7}, {0, 1}, {0, 1},
				{3, 1}, {6, 7}, {1, 3}, {1, 4, 3}, {4, 5}, {6, 7}, {3, 7, 2}, {4, 5}, {3, 5, 6}, {7, 3},
				{0, 1}, {2, 3}, {5, 6}, {7, 4}, {3, 1}, {2, 3}, {7, 3, 4}, {6, 7}, {4, 1},
				{2, 3}, {4, 5}, {6, 7}, {0, 1},
				{2, 3}, {4, 5}, {6, 7}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 1},
			},
		},
		minRows: 34,
		preLift: lowRandomPreLift,
	}
}
