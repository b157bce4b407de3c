package qcldpc

// Tail families. ForRate reaches a rate between two row counts of a family
// by shortening the code with fewer rows, and shortening costs β at
// threshold: the threshold SNR barely moves while the rate falls (family 7
// at 28 rows: β 0.952 at threshold at rate 0.100, 0.939 shortened to
// 0.095). A tail family has the protograph, pre-lift and rows of its base
// family, but its description's punctured bits are parity bits of the last
// extension row (its degree-1 column): the rate between rows r and r + 1
// is reached with r + 1 rows and part of the last row's parity punctured,
// which keeps β at threshold between the two row counts' (family 7 at 24
// rows, half of the last parity punctured: 0.938 at rate 0.1176, where 23
// rows shortened give 0.922). The placement of the punctured bits differs
// from the base family's, so a tail family has an id of its own:
// TailOffset + the base's id. A peer built before them answers EC_DENIED;
// the planner then drops every tail family (postprocessing.PlanWithout).

// TailOffset is added to a base family's id to name its tail family.
const TailOffset = 16

// tailBases are the families with a tail family.
var tailBases = []int{FamilyMDHigh, FamilyMD3, FamilyMD, FamilyMD2, FamilyLowRandom}

// IsTail reports whether id names a tail family.
func IsTail(id int) bool {
	fam, ok := families[id]
	return ok && fam.tail
}

// The base families are registered by the init functions of family.go,
// family_dist.go and family_md.go, which run before this file's (Go runs a
// package's init functions in the order of its file names);
// TestTailFamilies checks every tail against its base.
func init() {
	for _, id := range tailBases {
		base := families[id]
		t := *base
		t.id, t.name, t.tail, t.base = id+TailOffset, base.name+"-tail", true, id
		t.punctureTo = 0 // above minRows' rate the base family punctures its core
		families[t.id] = &t
	}
	tails := make([]int, len(tailBases))
	for i, id := range tailBases {
		tails[i] = id + TailOffset
	}
	forRateOrder = append(tails, forRateOrder...)
}
