package qcldpc

// FamilyVeryLow continues FamilyLowRandom below its lowest rate: the same
// precode, pre-lift and extension rows (its 293), then the same balanced
// cycle of rows into the core for 455 more, down to rate 0.00397 (753
// rows). It serves the rates below FamilyLowRandom's lowest (0.01, 298
// rows, which it shares: from 299 rows alone, rates between 0.00997 and
// 0.01 had no family), for the least significant coded slice of slice
// reconciliation (a capacity of 0.005–0.01 bit at SNR 0.5–1), in blocks of
// at least veryLowMinLength bits. PEXIT puts its thresholds on the channel of
// multidimensional reconciliation at β 0.9885 (rate 0.0079), 0.9915
// (0.0050) and 0.9925 (0.0040) (TestFamilyVeryLowThresholds).
const FamilyVeryLow = 10

// veryLowRows is FamilyVeryLow's largest row count.
const veryLowRows = 753

// veryLowMinLength is the shortest block ForRate builds with FamilyVeryLow:
// its 16 copies of up to 756 base columns leave circulants of 86 bits and
// more from 2^20 bits, where its codes have no 4-cycles
// (TestFamilyVeryLowNoFourCyclesAndFrozen).
const veryLowMinLength = 1 << 20

func init() {
	families[FamilyVeryLow] = &family{
		id: FamilyVeryLow, name: "very-low-raptor",
		raptor: Raptor{PreRows: 5, Core: 8, Punctured: []int{0},
			Pre: lowRandomPre,
			Ext: extCycle(lowRandomHead, lowRandomCycle, veryLowRows-5),
		},
		minRows: 5 + 293, // FamilyLowRandom's last rows too: no gap below its lowest rate
		preLift: lowRandomPreLift,
	}
}
