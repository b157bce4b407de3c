package postprocessing

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// A channel LLR larger than any message a check can send, with the wrong
// sign, on a bit of degree 1 (the last column of a Raptor-like code is an
// extension parity bit): the decoder must still overturn it. Unclamped, such
// a bit stays wrong forever; multidimensional reconciliation at high SNR
// produces them (|LLR| up to 30 at SNR 1.4).
func TestQCOverturnsStrongWrongLLR(t *testing.T) {
	d, err := qcldpc.ForRate(0.4, 1<<14)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := qcBlockCode(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	bits := make([]uint8, bc.n)
	llr := make([]float64, bc.n)
	for i := range bits {
		switch bc.roles[i] {
		case roleShortened:
			llr[i] = math.Inf(1)
		case rolePunctured:
			bits[i] = uint8(rng.IntN(2))
		default:
			bits[i] = uint8(rng.IntN(2))
			llr[i] = 25 * float64(1-2*int(bits[i]))
		}
	}
	last := bc.n - 1
	if bc.roles[last] != roleChannel {
		t.Fatalf("bit %d is not on the channel", last)
	}
	llr[last] = -llr[last] // confidently wrong
	syn := make([]uint8, bc.m)
	if err := bc.syndrome(bits, syn); err != nil {
		t.Fatal(err)
	}
	dec, err := bc.newDecoder(0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint8, bc.n)
	it, ok, err := dec.Decode(llr, syn, out)
	if err != nil || !ok {
		t.Fatalf("not decoded after %d iterations (%v)", it, err)
	}
	for i := range out {
		if out[i] != bits[i] {
			t.Fatalf("bit %d decoded wrong", i)
		}
	}
}

// The planner's code serves every SNR of the long-distance points with a
// multiple of 8 channel bits per block, within the key quadratures, at an
// effective rate at most the target β·I_AB.
func TestPlanQC(t *testing.T) {
	for _, snr := range []float64{3, 1, 0.5, 0.16, 0.08, 0.03, 0.015} {
		for _, q := range []int{1 << 14, 70000, 10_000_000} {
			plan, err := PlanReconciliation(PlanParams{KeyQuadratures: q, SNR: snr, Noise: 1, Seed: 1, Scheme: SchemeMultidimensional, Efficiency: 0.93})
			if err != nil {
				t.Fatalf("snr %g, %d quadratures: %v", snr, q, err)
			}
			if plan.QC == nil || plan.ChannelBits()%8 != 0 || plan.Quadratures() > q || plan.Quadratures() < q*9/10 {
				t.Fatalf("snr %g, %d quadratures: plan %+v of %d quadratures", snr, q, plan, plan.Quadratures())
			}
			if plan.ChannelBits() > DefaultQCBlockLength {
				t.Fatalf("snr %g: %d channel bits per block", snr, plan.ChannelBits())
			}
			lo, _ := qcldpc.RateRangeAt(min(q, DefaultQCBlockLength))
			if r := plan.Rate(); r > max(0.93*GaussianCapacity(snr), lo)+1e-12 {
				t.Fatalf("snr %g: rate %g above the target %g", snr, r, 0.93*GaussianCapacity(snr))
			}
		}
	}
}

// Alice accepts a decoded block only when it matches the hash Bob sent:
// belief propagation may reach the syndrome with another word (Bob's plus a
// codeword), which the syndrome cannot reveal. A hash that matches another
// word than the one decoded fails the block; a block without a hash (a peer
// that sends none) is accepted on its syndrome and leaks no hash bits; a
// hash out of range is an invalid block.
func TestBlockHashRefusesAnotherWord(t *testing.T) {
	snr := 0.5
	ch := Channel{Gain: math.Sqrt(snr), Noise: 1}
	rng := rand.New(rand.NewPCG(5, 5))
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: 3 * MinQCBlockLength, SNR: snr, Noise: 1, Seed: 2,
		Scheme: SchemeMultidimensional, MaxBlockLength: MinQCBlockLength, Efficiency: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, plan.Quadratures())
	y := make([]float64, len(x))
	for i := range x {
		x[i] = rng.NormFloat64()
		y[i] = ch.Gain*x[i] + rng.NormFloat64()
	}
	alice, bob := newReconcilers(t, plan, plan, x, y, ch, randReader{rng})
	side := func(i int) ([]uint8, BlockSideInfo) {
		s, err := bob.Syndrome(i)
		if err != nil {
			t.Fatal(err)
		}
		si, err := bob.SideInfo(i)
		if err != nil {
			t.Fatal(err)
		}
		return s, si
	}
	// Block 0: the hash of another word.
	s, si := side(0)
	word, _ := bob.block(0)
	other := slices.Clone(word)
	other[len(other)-1] ^= 1
	si.Hash = BlockHash(0, other)
	if err := alice.DecodeBlockSide(0, s, si); !errors.Is(err, ErrBlockFailed) {
		t.Fatalf("a word other than the hashed one was accepted: %v", err)
	}
	// Block 1: no hash.
	s, si = side(1)
	si.Hash = 0
	if err := alice.DecodeBlockSide(1, s, si); err != nil {
		t.Fatalf("hashless block: %v", err)
	}
	// Block 2: out of range, then Bob's own hash.
	s, si = side(2)
	bad := si
	bad.Hash = 1<<32 + 1
	if err := alice.DecodeBlockSide(2, s, bad); !errors.Is(err, ErrInvalidBlock) {
		t.Fatalf("hash out of range: %v", err)
	}
	if err := alice.DecodeBlockSide(2, s, si); err != nil {
		t.Fatalf("Bob's block: %v", err)
	}
	st := alice.Stats()
	if st.Decoded != 2 || st.Failed != 1 || st.LeakedBits != 2*plan.M()+BlockHashBits {
		t.Fatalf("stats %+v: want 2 decoded, 1 failed, leak 2·%d syndrome bits + one hash", st, plan.M())
	}
}

// The default target β follows the measured tables: their points exactly,
// log-linear in between, constant beyond the ends; the table of blocks of
// 2^21 quadratures up to that length, the long one from
// longMeasuredLength, log-linear in the length in between.
func TestDefaultEfficiencyAt(t *testing.T) {
	for _, tab := range []struct {
		name string
		m    []struct{ snr, beta float64 }
		q    int
	}{{"2^21", measuredEfficiency, CompatQCBlockLength}, {"2^16", measuredEfficiency, 1 << 16}, {"long", measuredEfficiencyLong, longMeasuredLength}, {"2^22", measuredEfficiencyLong, 1 << 22}} {
		m := tab.m
		for _, p := range m {
			if got := DefaultEfficiencyAt(p.snr, tab.q); math.Abs(got-p.beta) > 1e-12 {
				t.Errorf("%s, SNR %g: %g, want %g", tab.name, p.snr, got, p.beta)
			}
		}
		for i := 1; i < len(m); i++ {
			mid := math.Sqrt(m[i-1].snr * m[i].snr)
			if got := DefaultEfficiencyAt(mid, tab.q); math.Abs(got-(m[i-1].beta+m[i].beta)/2) > 1e-12 {
				t.Errorf("%s: midway in log SNR between %g and %g: %g", tab.name, m[i-1].snr, m[i].snr, got)
			}
		}
		first, last := m[0], m[len(m)-1]
		if DefaultEfficiencyAt(10*last.snr, tab.q) != last.beta || DefaultEfficiencyAt(first.snr/10, tab.q) != first.beta || DefaultEfficiencyAt(0, tab.q) != first.beta {
			t.Errorf("%s: not constant beyond the ends", tab.name)
		}
	}
	// Midway in log length between the two tables' lengths.
	mid := int(math.Sqrt(float64(CompatQCBlockLength) * longMeasuredLength))
	for _, snr := range []float64{0.03, 0.08, 0.16, 0.5, 1} {
		want := (efficiencyFrom(measuredEfficiency, snr) + efficiencyFrom(measuredEfficiencyLong, snr)) / 2
		if got := DefaultEfficiencyAt(snr, mid); math.Abs(got-want) > 1e-4 {
			t.Errorf("SNR %g, %d quadratures: %g, want %g", snr, mid, got, want)
		}
	}
	// A longer block never gets a lower target.
	for i := range measuredEfficiency {
		if s, l := measuredEfficiency[i], measuredEfficiencyLong[i]; s.snr != l.snr || l.beta < s.beta {
			t.Errorf("point %d: SNR %g β %g (2^21), SNR %g β %g (long)", i, s.snr, s.beta, l.snr, l.beta)
		}
	}
}

// The planner ties blocks of up to DefaultQCBlockLength quadratures to one
// code, of at most qcldpc.MaxLength bits; with blocks of at most
// CompatQCBlockLength quadratures (configured, or after a denial) every
// code has at most CompatQCBlockLength bits, as builds before 2^22 accept.
func TestPlanBlockLengths(t *testing.T) {
	for _, snr := range []float64{1, 0.5, 0.16, 0.08, 0.03} {
		p := PlanParams{KeyQuadratures: 12 << 20, SNR: snr, Noise: 1.05, Seed: 3, Scheme: SchemeMultidimensional}
		long, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		if q := long.Quadratures() / long.Blocks; q <= CompatQCBlockLength || long.N() > qcldpc.MaxLength {
			t.Errorf("SNR %g, default: %d blocks of %d quadratures, N = %d", snr, long.Blocks, q, long.N())
		}
		// (the table's target, or a family's own: familyTargets)
		if want := familyTarget(long.QC.Family, snr, DefaultEfficiencyAt(snr, p.KeyQuadratures/long.Blocks), targetMD); long.Rate() > want*GaussianCapacity(snr)+1e-9 {
			t.Errorf("SNR %g: rate %.5f above the target β %.4f", snr, long.Rate(), want)
		}
		p.MaxBlockLength = CompatQCBlockLength
		short, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		if short.N() > CompatQCBlockLength || short.Blocks <= long.Blocks {
			t.Errorf("SNR %g, blocks of at most 2^21: %d blocks, N = %d (long: %d blocks)", snr, short.Blocks, short.N(), long.Blocks)
		}
	}
}

// PlanWithout answers the denial of a code longer than 2^21 bits with the
// same family in blocks of at most 2^21 quadratures, at the target β of
// that length; the denial of that plan drops the family.
func TestPlanWithoutLongBlocks(t *testing.T) {
	p := PlanParams{KeyQuadratures: 10 << 20, SNR: 0.08, Noise: 1.05, Seed: 3, Scheme: SchemeMultidimensional, Families: narrowFamilies()}
	long, err := PlanReconciliation(p)
	if err != nil {
		t.Fatal(err)
	}
	if long.N() <= CompatQCBlockLength {
		t.Fatalf("default plan: N = %d, want more than 2^21", long.N())
	}
	short, np, ok, err := PlanWithout(p, long)
	if err != nil || !ok {
		t.Fatalf("PlanWithout: %v, %v", ok, err)
	}
	if short.N() > CompatQCBlockLength || np.MaxBlockLength != CompatQCBlockLength || short.QC.Family != long.QC.Family || !slices.Equal(np.Families, p.Families) {
		t.Fatalf("after the denial of N = %d: family %d, N = %d, params %+v", long.N(), short.QC.Family, short.N(), np)
	}
	if want := DefaultEfficiencyAt(p.SNR, CompatQCBlockLength); short.Rate() > want*GaussianCapacity(p.SNR)+1e-9 || want > DefaultEfficiencyAt(p.SNR, long.Quadratures()/long.Blocks) {
		t.Errorf("rate %.5f at 2^21 against %.5f at the longer blocks (targets %.4f)", short.Rate(), long.Rate(), want)
	}
	third, np2, ok, err := PlanWithout(np, short)
	if err != nil || !ok || third.QC.Family == short.QC.Family || slices.Contains(np2.Families, short.QC.Family) || third.N() > CompatQCBlockLength {
		t.Fatalf("after the denial of the 2^21 plan: %v, %v, family %d, N = %d", ok, err, third.QC.Family, third.N())
	}
	// A configured length of at most 2^21 never meets the first fallback.
	p.MaxBlockLength = 1 << 20
	capped, err := PlanReconciliation(p)
	if err != nil {
		t.Fatal(err)
	}
	if next, _, ok, err := PlanWithout(p, capped); err != nil || !ok || next.QC.Family == capped.QC.Family {
		t.Fatalf("configured 2^20: %v, %v", ok, err)
	}
}

// narrowFamilies is what ForRate plans with, less the wide families and
// FamilyIrregular: what a peer built before them knows.
func narrowFamilies() []int {
	return slices.DeleteFunc(qcldpc.PlannedFamilies(), func(id int) bool {
		_, w := qcldpc.IsWide(id)
		return w || id == qcldpc.FamilyIrregular
	})
}

// beforeIrregular is what ForRate plans with, less FamilyIrregular.
func beforeIrregular() []int {
	return slices.DeleteFunc(qcldpc.PlannedFamilies(), func(id int) bool { return id == qcldpc.FamilyIrregular })
}

// The denial of FamilyIrregular (at SNR 0.5 the default plan's) drops it
// alone, at the same block length and the planner's default target: the
// new plan is the one made without it, which the table's point there was
// measured with. A configured target stays.
func TestPlanWithoutIrregular(t *testing.T) {
	for _, eff := range []float64{0, 0.88} {
		p := PlanParams{KeyQuadratures: 10 << 20, SNR: 0.5, Noise: 1.05, Seed: 3, Scheme: SchemeMultidimensional, Efficiency: eff}
		plan, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		if plan.QC.Family != qcldpc.FamilyIrregular {
			t.Fatalf("target %g: planned family %d, want %d", eff, plan.QC.Family, qcldpc.FamilyIrregular)
		}
		next, np, ok, err := PlanWithout(p, plan)
		if err != nil || !ok {
			t.Fatalf("target %g: PlanWithout: %v, %v", eff, ok, err)
		}
		q := p
		q.Families = beforeIrregular()
		want, err := PlanReconciliation(q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(np.Families, q.Families) || np.Efficiency != eff || np.MaxBlockLength != 0 || *next.QC != *want.QC || next.Blocks != want.Blocks {
			t.Errorf("target %g: after the denial %+v (families %v, target %g), want %+v", eff, *next.QC, np.Families, np.Efficiency, *want.QC)
		}
		if _, w := qcldpc.IsWide(next.QC.Family); !w || next.Rate() != want.Rate() {
			t.Errorf("target %g: fell back to family %d at rate %.4f", eff, next.QC.Family, next.Rate())
		}
	}
	if _, _, ok, err := PlanWithout(PlanParams{SNR: 0.5, Families: []int{qcldpc.FamilyIrregular}}, ReconciliationPlan{Scheme: SchemeMultidimensional, QC: &qcldpc.Description{Family: qcldpc.FamilyIrregular}}); ok || err != nil {
		t.Errorf("only FamilyIrregular: ok %v, %v", ok, err)
	}
}

// The denial of a wide family drops every wide family at once, at the same
// block length (a peer built with blocks of 2^22 but before the wide
// families would otherwise meet blocks of 2^21 first), and falls back to
// the narrow families at FallbackMargin below the denied plan's β: the
// twins have the same density evolution.
func TestPlanWithoutWide(t *testing.T) {
	for _, snr := range []float64{0.5, 0.16, 0.08} {
		// Families before FamilyIrregular, which the default plan at SNR
		// 0.5 uses (TestPlanWithoutIrregular).
		p := PlanParams{KeyQuadratures: 10 << 20, SNR: snr, Noise: 1.05, Seed: 3, Scheme: SchemeMultidimensional, Families: beforeIrregular()}
		wide, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := qcldpc.IsWide(wide.QC.Family)
		if !ok || wide.N() <= CompatQCBlockLength {
			t.Fatalf("SNR %g: default plan with family %d, N = %d: want a wide family in blocks longer than 2^21", snr, wide.QC.Family, wide.N())
		}
		next, np, ok, err := PlanWithout(p, wide)
		if err != nil || !ok {
			t.Fatalf("SNR %g: PlanWithout: %v, %v", snr, ok, err)
		}
		if _, w := qcldpc.IsWide(next.QC.Family); w || !slices.Equal(np.Families, narrowFamilies()) || np.MaxBlockLength != 0 || next.N() <= CompatQCBlockLength {
			t.Fatalf("SNR %g: after the denial of family %d: family %d, N = %d, families %v", snr, wide.QC.Family, next.QC.Family, next.N(), np.Families)
		}
		if want := wide.Rate()/GaussianCapacity(snr) - FallbackMargin; math.Abs(np.Efficiency-want) > 1e-9 {
			t.Errorf("SNR %g: target %.4f after the denial, want %.4f", snr, np.Efficiency, want)
		}
	}
}

// PlanWithout drops the denied family and lowers the target β by the loss
// in β at threshold (MD channel) from the denied code to the new one, and
// FallbackMargin more.
func TestPlanWithout(t *testing.T) {
	md := qcldpc.GAOptions{MD8: true}
	for _, c := range []struct {
		snr            float64
		denied, fallen int
	}{
		{0.5, qcldpc.FamilyMDHigh, qcldpc.FamilyAR4JA},
		{0.16, qcldpc.FamilyMD4, qcldpc.FamilyMD}, // the lowered rate falls below 0.1, where family 5 serves
	} {
		p := PlanParams{KeyQuadratures: 4 << 20, SNR: c.snr, Noise: 1.05, Seed: 3, Scheme: SchemeMultidimensional, MaxBlockLength: CompatQCBlockLength,
			Families: narrowFamilies()}
		plan, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		if plan.QC.Family != c.denied {
			t.Fatalf("SNR %g: planned family %d, want %d", c.snr, plan.QC.Family, c.denied)
		}
		next, np, ok, err := PlanWithout(p, plan)
		if err != nil || !ok {
			t.Fatalf("SNR %g: PlanWithout: %v, %v", c.snr, ok, err)
		}
		if next.QC.Family != c.fallen || slices.Contains(np.Families, c.denied) {
			t.Fatalf("SNR %g: fell back to family %d among %v, want %d without %d", c.snr, next.QC.Family, np.Families, c.fallen, c.denied)
		}
		was, err := qcldpc.EnsembleWith(*plan.QC, md)
		if err != nil {
			t.Fatal(err)
		}
		now, err := qcldpc.EnsembleWith(*next.QC, md)
		if err != nil {
			t.Fatal(err)
		}
		def := plan.Rate() / GaussianCapacity(c.snr) // the denied plan's β
		t.Logf("SNR %g: family %d → %d, β at threshold %.4f → %.4f, target %.4f → %.4f", c.snr, c.denied, c.fallen, was.Beta, now.Beta, def, np.Efficiency)
		// The margin to threshold grows by FallbackMargin (within 0.005: the
		// second plan's code is at the lowered rate).
		if !(np.Efficiency < def) || math.Abs((was.Beta-def)+FallbackMargin-(now.Beta-np.Efficiency)) > 0.005 {
			t.Errorf("SNR %g: target %.4f (default %.4f): margin %.4f, denied code's %.4f", c.snr, np.Efficiency, def, now.Beta-np.Efficiency, was.Beta-def)
		}
		if next.Rate() >= plan.Rate() {
			t.Errorf("SNR %g: rate %.4f not below the denied plan's %.4f", c.snr, next.Rate(), plan.Rate())
		}
		// Nothing left, or nothing quasi-cyclic: no fallback.
		if _, _, ok, err := PlanWithout(PlanParams{SNR: c.snr, Families: []int{c.denied}}, plan); ok || err != nil {
			t.Errorf("only the denied family: ok %v, %v", ok, err)
		}
		if _, _, ok, err := PlanWithout(p, ReconciliationPlan{Scheme: SchemeSign}); ok || err != nil {
			t.Errorf("no quasi-cyclic code: ok %v, %v", ok, err)
		}
	}
}

// The default target keeps ThresholdMargin below the β at the planned
// code's threshold on the MD channel (bisected, not the planner's one-point
// check), also between the measured points where the table alone came
// closer or went past it: SNR 0.193 (family 37 at 23 rows: threshold β
// 0.920 against the table's 0.932) and 0.1525 (family 35: 0.940 against
// 0.941); at the measured points of 0.16, 0.08, 0.03 and 1 (0.0066–0.022 of
// margin) the table's target stands.
func TestPlannerKeepsThresholdMargin(t *testing.T) {
	md := qcldpc.GAOptions{MD8: true}
	for _, c := range []struct {
		snr     float64
		lowered bool // the table's target is too close to this code's threshold
	}{{0.1931, true}, {0.1525, true}, {0.16, false}, {0.08, false}, {0.03, false}, {1, false}} {
		p := PlanParams{KeyQuadratures: 8 << 22, SNR: c.snr, Noise: 1, Seed: 1, Scheme: SchemeMultidimensional}
		plan, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		table := DefaultEfficiencyAt(c.snr, p.KeyQuadratures/plan.Blocks)
		beta := plan.Rate() / GaussianCapacity(c.snr)
		e, err := qcldpc.EnsembleWith(*plan.QC, md)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("SNR %g: family %d, rows %d, β %.4f (table %.4f), at threshold %.4f", c.snr, plan.QC.Family, plan.QC.Rows, beta, table, e.Beta)
		if e.Beta-beta < ThresholdMargin(plan.Rate())-0.001 {
			t.Errorf("SNR %g: β %.4f within %.4f of the code's threshold (%.4f)", c.snr, beta, e.Beta-beta, e.Beta)
		}
		if lowered := beta < table-thresholdStep/2; lowered != c.lowered {
			t.Errorf("SNR %g: β %.4f against the table's %.4f: lowered %v, want %v", c.snr, beta, table, lowered, c.lowered)
		}
	}
}

// Where FamilyIrregular codes the table's target rate (SNR 0.5), the
// default target is that family's own (familyTargets) with its code;
// planned without it, the table's, as before.
func TestPlanIrregularMDTarget(t *testing.T) {
	own := familyTargets[qcldpc.FamilyIrregular].md
	for _, snr := range []float64{0.5, 0.47} {
		p := PlanParams{KeyQuadratures: 10 << 20, SNR: snr, Noise: 1.05, Seed: 3, Scheme: SchemeMultidimensional}
		plan, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		beta := plan.Rate() / GaussianCapacity(snr)
		if plan.QC.Family != qcldpc.FamilyIrregular || beta > own || beta < own-0.002 {
			t.Errorf("SNR %g: family %d at β %.4f, want family %d at %.3f", snr, plan.QC.Family, beta, qcldpc.FamilyIrregular, own)
		}
		p.Families = beforeIrregular()
		old, err := PlanReconciliation(p)
		if err != nil {
			t.Fatal(err)
		}
		table := DefaultEfficiencyAt(snr, p.KeyQuadratures/old.Blocks)
		if b := old.Rate() / GaussianCapacity(snr); old.QC.Family == qcldpc.FamilyIrregular || b > table || b < table-0.003 {
			t.Errorf("SNR %g without FamilyIrregular: family %d at β %.4f, want the table's %.4f", snr, old.QC.Family, b, table)
		}
	}
	// A configured target stays.
	p := PlanParams{KeyQuadratures: 10 << 20, SNR: 0.5, Noise: 1.05, Seed: 3, Scheme: SchemeMultidimensional, Efficiency: 0.88}
	plan, err := PlanReconciliation(p)
	if err != nil {
		t.Fatal(err)
	}
	if b := plan.Rate() / GaussianCapacity(0.5); b > 0.88 || b < 0.877 {
		t.Errorf("configured 0.88: β %.4f", b)
	}
}
