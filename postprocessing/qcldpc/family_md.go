package qcldpc

// The families designed by PEXIT on the channel multidimensional
// reconciliation presents (GAOptions.MD8) with internal/design -md8
// (docs/ldpc-codes.md). All keep FamilyLowRandom's precode (8 core columns,
// one punctured, 5 rows) and pre-lift (16 at every rate), change only the
// extension rows, and serve blocks of at least lowRandomMinLength bits.

// FamilyMD: 29 extension rows from a search for rates 0.1 and 0.05, for
// rates 0.15 down to 0.083 (ForRate tries FamilyMD3 first, which serves
// 0.1 to 0.143).
const FamilyMD = 5

// FamilyMD2: 49 extension rows from a search for rate 0.0536 (SNR 0.08),
// then 12 rows of FamilyLowRandom's balanced cycle, for rates below 0.083
// down to 0.044 (rows 34 to 66; ForRate tries FamilyMD first, which serves
// 0.083 itself).
const FamilyMD2 = 6

// FamilyMD3: 23 extension rows from a search for rate 0.1 (SNR 0.16)
// started from FamilyMD's, for rates 0.143 down to 0.1 (rows 19 to 28).
const FamilyMD3 = 7

// FamilyMD4: a third round at rate 0.1 (SNR 0.16), from FamilyMD3's rows
// with extension rows of weight up to 4 allowed and annealing; it beats
// FamilyMD3 from 26 rows (rate 0.107) to 28 (0.1) only, so it serves those
// rates and ForRate tries it before FamilyMD3.
const FamilyMD4 = 9

// mdFamily is the family of FamilyLowRandom's precode and pre-lift with
// the given extension rows.
func mdFamily(id int, name string, minRows int, ext [][]uint8) *family {
	return &family{
		id: id, name: name,
		raptor:  Raptor{PreRows: 5, Core: 8, Punctured: []int{0}, Pre: lowRandomPre, Ext: ext},
		minRows: minRows,
		preLift: lowRandomPreLift,
	}
}

func init() {
	families[FamilyMD] = mdFamily(FamilyMD, "md-raptor", 5+13, [][]uint8{
		{7, 3}, {2, 3}, {7, 5}, {6, 7}, {3, 5}, {2, 3}, {4, 5}, {6, 7}, {7, 3, 1}, {7, 6, 3},
		{1, 7, 0}, {7, 1, 6}, {3, 1, 4}, {2, 3}, {1, 4, 6}, {1, 6}, {0, 1}, {1, 6}, {4, 5}, {3, 0},
		{0, 1}, {2, 3}, {4, 1}, {6, 7}, {0, 1}, {1, 3, 5}, {4, 5}, {6, 2}, {0, 1},
	})
	families[FamilyMD2] = mdFamily(FamilyMD2, "md-raptor-2", 34, [][]uint8{
		{0, 1}, {2, 3}, {4, 5}, {6, 4}, {3, 7}, {2, 3}, {6, 1}, {6, 7}, {6, 2, 0}, {0, 3},
		{0, 4}, {6, 7}, {3, 4, 1}, {2, 3}, {3, 2}, {6, 7}, {7, 6}, {2, 3}, {1, 7, 5}, {6, 7},
		{7, 1, 3}, {2, 3}, {2, 1, 7}, {3, 4, 1}, {0, 1}, {2, 3}, {6, 7, 4}, {6, 7}, {0, 1}, {0, 1},
		{3, 1}, {6, 7}, {1, 3}, {1, 4, 3}, {4, 5}, {6, 7}, {3, 7, 2}, {4, 5}, {3, 5, 6}, {7, 3},
		{0, 1}, {2, 3}, {5, 6}, {7, 4}, {3, 1}, {2, 3}, {7, 3, 4}, {6, 7}, {4, 1},
		{2, 3}, {4, 5}, {6, 7}, {0, 1},
		{2, 3}, {4, 5}, {6, 7}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 1},
	})
	// From 26 rows: above, FamilyMD3's rows are better (0.940 against 0.948
	// at 25 rows, rate 0.111).
	families[FamilyMD4] = mdFamily(FamilyMD4, "md-raptor-4", 26, [][]uint8{
		{1, 3, 6}, {3, 1, 6}, {6, 7, 4}, {6, 7}, {3, 5}, {1, 3, 7}, {7, 5, 3}, {3, 7}, {7, 3, 1}, {7, 6, 3},
		{4, 7, 6}, {7, 3, 6}, {3, 1, 4}, {1, 0, 3}, {3, 0}, {1, 6}, {0, 1}, {1, 6}, {3, 6, 0}, {3, 0},
		{0, 7}, {1, 0}, {4, 1},
	})
	// From 19 rows: at 18 (rate 0.15) FamilyMD is better, 0.913 against 0.911.
	families[FamilyMD3] = mdFamily(FamilyMD3, "md-raptor-3", 19, [][]uint8{
		{7, 3}, {3, 1, 6}, {6, 7, 4}, {6, 7}, {3, 5}, {3, 6, 4}, {3, 4, 0}, {3, 7}, {7, 3, 1}, {7, 6, 3},
		{1, 7, 0}, {7, 1, 6}, {3, 1, 4}, {1, 0, 3}, {3, 0}, {1, 6}, {0, 1}, {1, 6}, {4, 5}, {3, 0},
		{0, 1}, {0, 3}, {4, 1},
	})
}

// FamilyMDHigh: a precode of AR4JA's shape (3 rows over 5 core columns, the
// last punctured) and 10 extension rows, all found by PEXIT on the MD
// channel under Protograph.DegreeTwoForest at every rate (the condition
// FamilyHigh fails): 5 rows for rates 0.4 down to 0.222 from FamilyAR4JA's,
// then 5 for 0.2 down to 0.143. It serves rates 0.4 down to 0.143 (rows 4
// to 13) in blocks of at least lowRandomMinLength bits, and up to 0.45 by
// puncturing its 4-row code (β at the MD threshold 0.866–0.880 there,
// against FamilyAR4JA's 0.847); FamilyAR4JA keeps the rates above, where
// this family's precode alone (rate 0.5) fails the condition.
const FamilyMDHigh = 8

func init() {
	families[FamilyMDHigh] = &family{
		id: FamilyMDHigh, name: "md-raptor-high",
		raptor: Raptor{PreRows: 3, Core: 5, Punctured: []int{4},
			Pre: []uint8{
				0, 0, 1, 0, 2,
				1, 1, 0, 1, 2,
				1, 1, 0, 2, 1,
			},
			Ext: [][]uint8{
				{1, 2, 4}, {3, 4, 2}, {1, 4}, {2, 1, 4}, {1, 4},
				{4, 2, 1}, {4, 3, 2}, {2, 1}, {2, 1}, {3, 4},
			},
		},
		minRows:    4,
		preLift:    3,
		punctureTo: 0.45,
	}
}
