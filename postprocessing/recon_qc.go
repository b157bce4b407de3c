package postprocessing

import (
	"fmt"
	"math"
	"slices"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// Quasi-cyclic codes for multidimensional reconciliation (package qcldpc):
// the planner's defaults and the adapter between the reconcilers and the
// layered decoder.
const (
	// DefaultQCBlockLength is the largest number of key quadratures the
	// planner ties to one quasi-cyclic block: the longest the families lift
	// to (qcldpc.MaxLength). Longer blocks lose less to their finite
	// length: at SNR 0.08 and β 0.95 (FamilyMD2) the FER is 7/113 with
	// blocks of 2^22 quadratures against 11/107 with 2^21; at SNR 0.08
	// and β 0.94 (FamilyLowRandom), 0.025 with 2^21 against 0.15 with 2^20
	// (40 and 100 blocks).
	DefaultQCBlockLength = 1 << 22
	// CompatQCBlockLength is the longest block of builds before blocks of
	// 2^22 (their qcldpc.MaxLength was 2^21 bits): a plan for blocks of at
	// most this many quadratures lifts codes of at most as many bits, which
	// such a peer accepts. PlanWithout falls back to it when Alice denies a
	// longer block, and Bob plans with it when he sends EC_BLOCK in the
	// specification's number arrays (a block of 2^21 quadratures takes about
	// 51 MB there, within the default limits.max_content of 64 MB; 2^22
	// would not fit).
	CompatQCBlockLength = 1 << 21
	// MinQCBlockLength: a frame with fewer key quadratures falls back to
	// the generated codes (a quasi-cyclic block this short loses too much
	// to its finite length).
	MinQCBlockLength = 1 << 14
)

// measuredEfficiency lists, by SNR per quadrature, the highest target β at
// which the shipped quasi-cyclic codes kept the FER at or below 5 % over
// 100 blocks of 2^20 quadratures (multidimensional reconciliation with the
// block hash), and at SNR 0.03–0.16 over 40–107 blocks of 2^21 (the
// length of this table: blocks of at most CompatQCBlockLength; the points
// at 0.5 and 1, measured at 2^20, are conservative for it; the point at
// 0.16, 0.935 with the narrow families, is 0.94 with the wide ones, and
// the point at 0.08 0.95; see the end of this comment):
//
//	GOMAXPROCS=1 QOSST_EC_SNRS=<snr> QOSST_EC_EFFICIENCY=<β> QOSST_EC_BLOCKS=100 \
//	  [QOSST_EC_LENGTH=2097152] go test -run '^$' -bench ReconcileSNR -benchtime 1x ./postprocessing/
//
// FER measured: SNR 1.0, with qcldpc.FamilyMDHigh punctured to rate
// 0.43 at 2^21: 1/56 at 0.85, 0/132 at 0.855, 0/56 at 0.86, 27/74 at 0.865
// (FamilyAR4JA before it: 0/100 at 0.82, 0.02 at 0.80, at 2^20); SNR 1.2,
// where the rate (0.466) is FamilyAR4JA's again: 0/77 at 0.82, a margin of
// 0.026 to its threshold, as at SNR 1 before; the point sits at SNR 1.12,
// where the rate at 0.82 (0.444) is still FamilyMDHigh's, so that
// FamilyAR4JA never gets less margin (interpolating from 1.0 to 1.2 gave it
// 0.018 at SNR 1.15, where FamilyAR4JA had FER 25/67 at SNR 0.5 with 0.015);
// 0.5 (before
// FamilyMDHigh, below): 0.05 at 0.86 (0.02 at 0.84); 0.16, with qcldpc.FamilyMD3 at 2^21: 0/43 at 0.935, 2/43
// at 0.94 (FamilyMD: 1/107 at 0.93, 0.40 at 0.935; FamilyLowRandom before
// them: 0.01 at 0.91 and 0.37 at 0.92 at 2^20, 0.125 at 0.92 at 2^21); 0.08:
// 0.02 at 0.93, 0.15 at 0.94 (0.025 at 2^21 with FamilyLowRandom; with
// qcldpc.FamilyMD2 at 2^21: 0/64 at 0.945, 11/107 at 0.95, 5/43 at 0.955);
// 0.03: 1/40 at 0.94, 0.15 at
// 0.945 (20 blocks), and at 2^21 1/60 at 0.95. Between 0.08 and 0.16 the
// rate passes from FamilyMD2 to FamilyMD at 0.083, so two more points,
// at 2^21 with FamilyMD2: SNR 0.11, 0/43 at 0.935 and 4/43 at 0.94; SNR
// 0.13, 1/43 at 0.93 (FamilyLowRandom there before: 1/43 at 0.925 and
// 2/43 at 0.92). Between 0.16 and 0.5 the rate passes from FamilyMD3 (0.1
// to 0.143) to qcldpc.FamilyMDHigh (0.143 to 0.4), measured at 2^21:
// SNR 0.25, 0/48 at 0.9 and 0/48 at 0.915 (rate 0.147); SNR 0.3, 0/48 at
// 0.91, 3/48 at 0.915; SNR 0.4, 0/54 at 0.895 (rate 0.217, where the
// threshold dips to 0.908); SNR 0.5, 0/51 at 0.88, 0/119 at 0.885, 5/51 at 0.89
// (FamilyAR4JA before it: SNR 0.25, 6/43 at 0.895 with FamilyMD's 18 rows;
// SNR 0.3, 1/45 at 0.88; SNR 0.5, 0.05 at 0.86). The β at the codes'
// density-evolution thresholds on this channel (qcldpc.GAOptions MD8) are
// 0.873 (SNR 1, rate 0.43 punctured), 0.900 (SNR 0.5, rate 0.26), 0.952,
// 0.965 and 0.977: the finite-length loss is 0.01–0.03. With the wide
// families (qcldpc family_wide.go), which serve blocks of 2^21 too: SNR
// 0.16 (family 37), 2/114 at 0.94 (none a wrong word), more than 19 of 107
// at 0.945; SNR 0.08 (family 36), 2/114 at 0.95, more than 12 of 107 at
// 0.955 (those two runs stopped early). SNR 0.0068, with family 10
// (qcldpc.FamilyVeryLow, rate 0.0046), 24 blocks of 2^21: 1/24 at 0.95,
// 6/24 at 0.96.
var measuredEfficiency = []struct{ snr, beta float64 }{
	{0.0068, 0.95}, {0.03, 0.95}, {0.08, 0.95}, {0.11, 0.935}, {0.13, 0.93}, {0.16, 0.94}, {0.25, 0.915}, {0.3, 0.91}, {0.4, 0.895}, {0.5, 0.885}, {1.0, 0.855}, {1.12, 0.82},
}

// measuredEfficiencyLong is measuredEfficiency for blocks of 2^22
// quadratures and codes of at most 2^22 bits (the codes' punctured bits
// make the blocks 3.0–4.2·10^6 quadratures; hence longMeasuredLength), in
// frames of 8 blocks: the highest β measured with FER at most 10 %, over
// 100 blocks or more (24 at SNR 0.03):
//
//	GOMAXPROCS=1 QOSST_EC_LENGTH=4194304 QOSST_EC_SNRS=<snr> QOSST_EC_EFFICIENCY=<β> \
//	  QOSST_EC_BLOCKS=<n> go test -run '^$' -bench ReconcileSNR -benchtime 1x ./postprocessing/
//
// With the wide families (qcldpc family_wide.go, the planner's codes
// from 2^20 bits when these were measured, from 2^18 now): SNR 1.0 (family 38 punctured to rate 0.43): 0/66 at
// 0.86, more than 33 of 66 failed at 0.865; 0.5 (family 38): 0/60 at 0.89,
// more than 24 of 60 at 0.895; 0.16 (family 37): 0/128 at 0.935, 6/128 at
// 0.945 (none of them a wrong word), and family 39 since: 4/144 at 0.95
// (600 iterations, all four stalled); 0.08 (family 36): 1/128 at 0.955;
// 0.03 (family 34): 3/24 at 0.96 (one a wrong word); 0.0068 (family 10,
// rate 0.0046): 0/24 at 0.95 (91 iterations a block), 7/24 at 0.97. Before them, with
// the narrow families: 0.16: 8/113 at 0.935 (8 of 9 failures in 128
// blocks were wrong words, codewords of low weight), 9/113 at 0.94, 38/54
// at 0.95; 0.08: 7/113 at 0.95, 14/113 at 0.955; 0.03: 0/24 at 0.955, 2/24
// at 0.96. At the SNRs not measured at this length the table repeats the
// value for 2^21, which a longer block of the same code reaches at least.
var measuredEfficiencyLong = []struct{ snr, beta float64 }{
	{0.0068, 0.95}, {0.03, 0.955}, {0.08, 0.955}, {0.11, 0.935}, {0.13, 0.93}, {0.16, 0.95}, {0.25, 0.915}, {0.3, 0.91}, {0.4, 0.895}, {0.5, 0.89}, {1.0, 0.86}, {1.12, 0.82},
}

// longMeasuredLength is the block length, in quadratures, of the
// measurements of measuredEfficiencyLong.
const longMeasuredLength = 4_000_000

// DefaultEfficiencyAt is the target β the planner uses at an SNR per
// quadrature for blocks of the given number of quadratures when none is
// configured: measuredEfficiency for blocks of at most
// CompatQCBlockLength, measuredEfficiencyLong for blocks of at least
// longMeasuredLength, and in between interpolated linearly in the
// logarithm of the length. Each table is interpolated linearly in log(SNR)
// and held constant beyond its ends.
func DefaultEfficiencyAt(snr float64, blockQuadratures int) float64 {
	short := efficiencyFrom(measuredEfficiency, snr)
	if blockQuadratures <= CompatQCBlockLength {
		return short
	}
	long := efficiencyFrom(measuredEfficiencyLong, snr)
	if blockQuadratures >= longMeasuredLength {
		return long
	}
	t := math.Log(float64(blockQuadratures)/CompatQCBlockLength) / math.Log(float64(longMeasuredLength)/CompatQCBlockLength)
	return short + t*(long-short)
}

// efficiencyFrom interpolates a table of measured β linearly in log(SNR),
// constant beyond its ends.
func efficiencyFrom(m []struct{ snr, beta float64 }, snr float64) float64 {
	switch {
	case !(snr > m[0].snr):
		return m[0].beta
	case snr >= m[len(m)-1].snr:
		return m[len(m)-1].beta
	}
	i := 1
	for m[i].snr < snr {
		i++
	}
	a, b := m[i-1], m[i]
	t := math.Log(snr/a.snr) / math.Log(b.snr/a.snr)
	return a.beta + t*(b.beta-a.beta)
}

// ThresholdMargin returns the least margin the planner's default target β
// keeps below the β at the planned code's density-evolution threshold on
// the channel of multidimensional reconciliation (qcldpc.GAOptions MD8),
// for a code of effective rate r: MinThresholdMargin up to rate 0.11,
// MaxThresholdMargin from rate 0.25, linear in between. Between the
// measured points the interpolated target can come closer to the code's
// threshold, or pass it, where a code's rows or its shortening are weaker
// than its neighbours' (family 7 at 23 rows, SNR 0.193: threshold β 0.918
// against a target of 0.930; family 5 around SNR 0.15: 0.938 against
// 0.938); the planner then lowers the target in steps of thresholdStep, at
// most thresholdSteps times (keepMargin).
//
// The margins are what blocks of 2^22 quadratures of the wide families
// need for FER at most about 5–6 %: at rate 0.101 (SNR 0.16, family 37)
// 0.0058 gave 6/128 and 0.0131 0/128, and family 39 since 0.0049 8/144
// (600 iterations); at rate 0.053 (SNR 0.08, family 36)
// 0.0087 gave 1/128; at rate 0.26 (SNR 0.5, family 38) 0.0049 failed more
// than 24 blocks of 60 and 0.0101 none of 60; at rate 0.43 (SNR 1) 0.0071
// failed 33 of 66 and 0.0128 none of 66. The narrow families needed 0.011
// at rate 0.1 (family 5, blocks of 2^21: 0.006 gave FER 0.40), where
// codewords of low weight, not the threshold, set the floor.
func ThresholdMargin(r float64) float64 {
	t := min(max((r-0.11)/(0.25-0.11), 0), 1)
	return MinThresholdMargin + t*(MaxThresholdMargin-MinThresholdMargin)
}

// The least and largest margins of ThresholdMargin.
const (
	MinThresholdMargin = 0.0045
	MaxThresholdMargin = 0.0100
)

const (
	thresholdStep  = 0.0025
	thresholdSteps = 16
)

// keepMargin returns the plan for the highest target β, from eff down in
// steps of thresholdStep (at most thresholdSteps), whose code keeps
// ThresholdMargin to its threshold; d and blocks are the plan at eff. When
// no target passes, it returns the plan at the lowest one. (Other families
// that serve the same rate do not do better where the planned code falls
// short: at rate 0.117, 23 rows of families 7, 5 and 4 reach threshold β
// 0.922, 0.912 and 0.908; at 0.095 family 5 reaches 0.938, family 4 0.923.)
func keepMargin(p PlanParams, maxQ int, eff float64, d qcldpc.Description, blocks int) (qcldpc.Description, int, error) {
	for step := 0; step <= thresholdSteps; step++ {
		target := eff - float64(step)*thresholdStep
		if step > 0 {
			var err error
			if d, blocks, err = planQC(p.KeyQuadratures, maxQ, p.SNR, target, p.Seed, p.Families); err != nil {
				return d, blocks, err
			}
		}
		if ok, err := keepsThresholdMargin(d, p.SNR, target); err != nil || ok {
			return d, blocks, err
		}
	}
	return d, blocks, nil
}

// keepsThresholdMargin reports whether the code's threshold on the MD
// channel is at least ThresholdMargin(rate) above target β at snr: whether
// density evolution converges at the SNR where the code's effective rate
// is (target + the margin) of the capacity.
func keepsThresholdMargin(d qcldpc.Description, snr, target float64) (bool, error) {
	r, err := d.EffectiveRate()
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	at := math.Exp2(2*r/(target+ThresholdMargin(r))) - 1
	ok, err := qcldpc.ConvergesAt(d, at, qcldpc.GAOptions{MD8: true})
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	return ok, nil
}

// QCIterations is the iteration bound of the layered decoder for a code of
// effective rate r: low-rate codes converge slowly (their degree-1 parity
// bits pass little information per iteration), and a block that decodes
// stops at once, so only failing blocks pay the bound. At SNR 0.16, β 0.95,
// family 9's rows in blocks of 2^22 quadratures (rate 0.1017, an
// experimental build under family 7's id): FER 18/144 with 300 iterations,
// 8/144 with 600 (the same blocks; 247 iterations a block on average); the
// shipped family 39 with 600: 4/144. Slice reconciliation at SNR 1 with
// the first slice (family 11, rate 0.2683) at 0.92 (6 slices, 1 disclosed,
// blocks of 2 796 202 quadratures, the same 68 blocks): 13/68 blocks
// failed with 300 iterations, the first 7 of them in that slice after 300
// (the log kept no more); with 900, 4/68, 2 in that slice; the run took
// 11 % longer. So every rate below 0.3 has 900 (300 from 0.15 and 600
// from 0.04 before; 800 below).
func QCIterations(r float64) int {
	if r >= 0.3 {
		return 150
	}
	return 900
}

// testHookIterationFactor, when above 0, multiplies the iteration bound of
// the decoders built after it is set (the benchmarks' QOSST_EC_ITER_FACTOR).
var testHookIterationFactor float64

// qcBlockCode builds a quasi-cyclic code and places its bits: shortened,
// punctured (the family's punctured columns and the description's
// punctured bits), the rest on the channel in increasing order.
func qcBlockCode(d qcldpc.Description) (*blockCode, error) {
	a, err := qcldpc.Build(d)
	if err != nil {
		return nil, err
	}
	c := a.Code
	roles := make([]bitRole, c.N())
	for _, i := range a.Shortened {
		roles[i] = roleShortened
	}
	for _, i := range a.Punctured {
		roles[i] = rolePunctured
	}
	bc := &blockCode{
		n: c.N(), m: c.M(), roles: roles,
		channel:   c.N() - len(a.Shortened) - len(a.Punctured),
		shortened: len(a.Shortened),
		syndrome:  c.Syndrome,
	}
	rate := float64(bc.keyBits()-bc.m) / float64(bc.channel)
	bc.newDecoder = func(maxIterations int) (blockDecoder, error) {
		if maxIterations <= 0 {
			maxIterations = QCIterations(rate)
			if testHookIterationFactor > 0 {
				maxIterations = int(float64(maxIterations) * testHookIterationFactor)
			}
		}
		dec, err := qcldpc.NewDecoder(c, maxIterations)
		if err != nil {
			return nil, err
		}
		return &qcDecoder{dec: dec, llr: make([]float32, c.N())}, nil
	}
	return bc, nil
}

// qcChannelLLRClamp bounds the channel LLRs handed to the layered decoder
// below the largest message a check can send (φ(2^-16) ≈ 11.8 in its
// table): a bit of degree 1 (the Raptor-like extension's parity bits) hears
// from one check only, and a wrong channel LLR larger than that check's
// largest message could never be overturned. Unclamped, multidimensional
// reconciliation at SNR 1.4 left one such bit wrong in about one block of
// 70 000 in 60. Shortened bits (±Inf) stay certain.
const qcChannelLLRClamp = 10

// qcDecoder feeds float64 LLRs to the float32 layered decoder.
type qcDecoder struct {
	dec *qcldpc.Decoder
	llr []float32
}

func (q *qcDecoder) Decode(llr []float64, syndrome []uint8, out []uint8) (int, bool, error) {
	if len(llr) != len(q.llr) {
		return 0, false, fmt.Errorf("%w: %d LLRs for a code of length %d", ErrInvalidCode, len(llr), len(q.llr))
	}
	for i, v := range llr {
		if !math.IsInf(v, 0) {
			v = min(max(v, -qcChannelLLRClamp), qcChannelLLRClamp)
		}
		q.llr[i] = float32(v)
	}
	return q.dec.Decode(q.llr, syndrome, out)
}

// planQC chooses the quasi-cyclic code for multidimensional reconciliation:
// blocks of at most maxQ key quadratures, all of the same code, effective
// rate efficiency·½·log2(1 + snr) (clamped to the rates the families serve),
// as long as the key quadratures allow, with a multiple of 8 channel bits
// per block.
func planQC(keyQuadratures, maxQ int, snr, efficiency float64, seed int64, among []int) (qcldpc.Description, int, error) {
	// Blocks of at most CompatQCBlockLength quadratures are codes of at
	// most as many bits, as every build planned them before blocks of 2^22.
	maxN := qcldpc.MaxLength
	if maxQ <= CompatQCBlockLength {
		maxN = CompatQCBlockLength
	}
	lo, hi := qcldpc.RateRangeAt(min(maxQ, maxN, keyQuadratures))
	rate := min(max(efficiency*GaussianCapacity(snr), lo), hi)
	var d qcldpc.Description
	blocks := (keyQuadratures + maxQ - 1) / maxQ
	for ; ; blocks++ {
		q := keyQuadratures / blocks // channel bits wanted per block
		n := q
		capped := false
		for try := 0; ; try++ {
			var err error
			d, err = qcldpc.ForRateAmong(rate, min(n, maxN), among)
			if err != nil {
				return d, 0, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
			}
			c := d.ChannelBits()
			capped = n >= maxN && c < q-q/64
			if c <= q && (c >= q-q/64 || try >= 8 || capped) {
				break
			}
			// N grows or shrinks in proportion to the channel bits it yields.
			n = int(math.Floor(float64(n) * float64(q) / float64(c) * (1 - 1e-3)))
		}
		// At the longest code the punctured bits leave fewer channel bits
		// than a block should cover: one more block instead.
		if !capped {
			break
		}
	}
	d.Seed = uint32(seed)
	// A multiple of 8 channel bits per block: shorten a few more bits
	// (which lowers the rate by at most 7 bits' worth).
	if r := d.ChannelBits() % mdDim; r != 0 {
		d.Shortened += r
	}
	if err := d.Validate(); err != nil {
		return d, 0, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	return d, blocks, nil
}

// planQCReconciliation is PlanReconciliation for quasi-cyclic codes.
func planQCReconciliation(p PlanParams) (ReconciliationPlan, error) {
	eff := p.Efficiency
	maxQ := p.MaxBlockLength
	if maxQ == 0 {
		maxQ = DefaultQCBlockLength
	}
	switch {
	case eff != 0 && !(eff > 0 && eff < 1):
		return ReconciliationPlan{}, fmt.Errorf("%w: efficiency %g outside (0, 1)", ErrInvalidPlan, eff)
	case maxQ < MinQCBlockLength || maxQ > qcldpc.MaxLength:
		return ReconciliationPlan{}, fmt.Errorf("%w: max block length %d outside [%d, %d]", ErrInvalidPlan, maxQ, MinQCBlockLength, qcldpc.MaxLength)
	case !(p.SNR > 0) || math.IsInf(p.SNR, 0):
		return ReconciliationPlan{}, fmt.Errorf("%w: SNR = %g, want a finite SNR > 0", ErrInvalidPlan, p.SNR)
	case p.KeyQuadratures < MinQCBlockLength:
		return ReconciliationPlan{}, fmt.Errorf("%w: %d key quadratures, fewer than one block of %d", ErrInvalidPlan, p.KeyQuadratures, MinQCBlockLength)
	}
	var (
		d      qcldpc.Description
		blocks int
		err    error
	)
	if eff != 0 {
		d, blocks, err = planQC(p.KeyQuadratures, maxQ, p.SNR, eff, p.Seed, p.Families)
	} else {
		// The target β depends on the block length, which the punctured
		// bits of the longest codes can shorten by a block more: plan at
		// the length of full blocks, then at the length planned.
		nb := (p.KeyQuadratures + maxQ - 1) / maxQ
		eff = DefaultEfficiencyAt(p.SNR, p.KeyQuadratures/nb)
		d, blocks, err = planQC(p.KeyQuadratures, maxQ, p.SNR, eff, p.Seed, p.Families)
		if err == nil && blocks != nb {
			eff = DefaultEfficiencyAt(p.SNR, p.KeyQuadratures/blocks)
			d, blocks, err = planQC(p.KeyQuadratures, maxQ, p.SNR, eff, p.Seed, p.Families)
		}
		// The table was measured with other families where those of
		// familyTargets serve: their own targets.
		if err == nil {
			if e := familyTarget(d.Family, p.SNR, eff, targetMD); e > eff {
				d2, blocks2, err2 := planQC(p.KeyQuadratures, maxQ, p.SNR, e, p.Seed, p.Families)
				if err2 == nil && d2.Family == d.Family {
					eff, d, blocks = e, d2, blocks2
				}
			}
		}
		// Between the measured points the table does not know the codes:
		// keep ThresholdMargin below the planned code's threshold.
		if err == nil {
			d, blocks, err = keepMargin(p, maxQ, eff, d, blocks)
		}
	}
	if err != nil {
		return ReconciliationPlan{}, err
	}
	plan := ReconciliationPlan{Scheme: SchemeMultidimensional, QC: &d, Blocks: blocks, Noise: p.Noise}
	if err := plan.Validate(); err != nil {
		return ReconciliationPlan{}, err
	}
	return plan, nil
}

// familyTargets lists the families whose own measured targets replace the
// tables' (measuredEfficiency, and a slice's default): the tables were
// measured with family 38's codes where these serve. For each, the default
// target β of multidimensional reconciliation (md) and of a slice code
// (slice), when that family codes the rate the table's target gives, or the
// most that keeps the rate within the family's range; or, with
// firstSliceFactor, the first coded slice's default times that factor, at
// rates below FamilyIrregular's (where this family stands in for it).
//
// qcldpc.FamilyIrregular (rates 0.24 to 2/7: multidimensional reconciliation
// at SNR about 0.45–0.55, the first slice at SNR 1): md measured at SNR 0.5,
// blocks of 2^22 quadratures (rate 0.2662): 0/75 blocks failed at 0.91,
// with 168 iterations a block (family 38's code of the table's point, 0.89,
// failed more than 24 of 60 at 0.895); slice at SNR 1 (slice 0 at the
// equivalent SNR 0.498), blocks of 2 796 202 quadratures, the other slices
// at their defaults: 0/30 and then 0/105 blocks failed in slice 0 at 0.91
// (β 0.940–0.941; 4/105 in all, in slices 3 and 4, as before family 11);
// at 0.92 (β 0.946–0.947) 2/45, then 21/105, most in slice 0, which
// stalled at the iteration bound (300 then); with 900 (QCIterations),
// 2/68 in slice 0 at 0.92, and at 0.925 58/105 (7 slices, 2 disclosed);
// at 0.92 with family 37 below at 0.933 (the default since, 7/2): β 0.951,
// FER 5/105, 4 in slice 0, 1 in slice 3.
// Discretized density evolution on the MD channel converges at β 0.915
// and fails at 0.93 at rate 0.265 (docs/ldpc-codes.md).
//
// qcldpc.FamilyMD3Wide (slice only, md 0: the table's): the second slice at
// SNR 1 (rate 0.124); with 600 iterations 1/105 blocks failed in that
// slice at 0.93, all 45 at 0.94.
//
// qcldpc.FamilyMDHighWide (first slice factor): the first slice at SNR 0.5
// (rate 0.161, equivalent SNR 0.279; 7 slices, 2 disclosed, blocks of
// 2 796 202 quadratures), which ran at 0.932 of its capacity, 0.02 below
// its code's threshold on that slice's channel (discretized DE on the
// slice's own LLR density: 0.952, TestSliceChannelDDE), where family 11's
// code at SNR 1 runs 0.007 below its own (0.969). Its slice default
// times firstSliceFactor: with 1.015 (0.946 of the slice's capacity) β
// rose from 0.931 to 0.939 with FER 9/105 and 6/105 on two seeds, as
// before (none of the failures logged in slice 0); at 1.02 (0.950) β
// 0.942 with FER 24/105, most in slice 0; with slice 1 at 1.012 of its
// default as well (family 36, 0.953 of its capacity) FER 22/105 and
// 20/105 on two seeds, most in slice 1 (all before FamilySixth, which
// codes that slice at SNR 0.5 since). Family 38 codes the first slice from
// SNR about 0.52 to 0.85 (rates 1/6–0.24; family 12 below, family 11
// above), where the factor applies; at SNR 0.7 the
// same DE puts the raised first slice 0.013 below its code's threshold.
// Elsewhere family 38's slices keep the table's default: at SNR 1.5 the
// raised second slice (rate 0.17) would sit at its code's threshold, and
// the first (rate 0.33) 0.005 below.
//
// qcldpc.FamilySixth (md 0: the table's): the first slice at SNR
// 0.5 (7 slices, 2 disclosed, blocks of 2 796 202 quadratures), where
// discretized DE on the slice's channel puts its code at 0.971 of the
// slice's capacity (family 38's: 0.952). At 0.93 (0.955 of the capacity)
// β 0.944 with FER 13/105, three of them one frame's code (seed 8)
// meeting a word 50 bits from Bob's; at 0.9384 (0.964) β 0.9494 with FER
// 10/105 and 7/105 on two seeds; at 0.9384 × 1.0022 = 0.94046 (0.966;
// the default) β 0.9506 with FER 12/105 (6 of them in slice 2, the 2
// logged one frame's code meeting another word, as at 0.964) and 7/105,
// 19/210 in all. On the MD channel its codes converge at
// β 0.935 where family 38's fail (rates 0.152 and 1/6), so the table's
// target, measured with family 38, stays for multidimensional
// reconciliation.
var familyTargets = map[int]struct{ md, slice, firstSliceFactor float64 }{
	qcldpc.FamilyIrregular:  {md: 0.91, slice: 0.92},
	qcldpc.FamilyMD3Wide:    {slice: 0.933},
	qcldpc.FamilyMDHighWide: {firstSliceFactor: 1.015},
	qcldpc.FamilySixth:      {slice: 0.9405},
}

// The kinds of code familyTarget targets.
const (
	targetMD         = iota // multidimensional reconciliation
	targetSlice             // a coded slice other than the first
	targetFirstSlice        // the first (most significant) coded slice
)

// familyTarget returns the default target β at snr for a code of family
// id of the given kind, whose own target replaces eff (familyTargets,
// capped by the top of the family's rates; for the first slice with a
// first slice factor, below FamilyIrregular's rates, eff times it), or eff
// when id has none or it is not higher.
func familyTarget(id int, snr, eff float64, kind int) float64 {
	t, ok := familyTargets[id]
	if !ok {
		return eff
	}
	e := t.md // 0: the table's
	if kind != targetMD {
		e = t.slice
	}
	if kind == targetFirstSlice && t.firstSliceFactor > 0 {
		if lo, _ := qcldpc.FamilyRateRange(qcldpc.FamilyIrregular); eff*GaussianCapacity(snr) < lo {
			e = eff * t.firstSliceFactor
		}
	}
	_, top := qcldpc.FamilyRateRange(id)
	return max(eff, min(e, top/GaussianCapacity(snr)))
}

// FallbackMargin is the β PlanWithout gives up on top of the loss in β at
// threshold: the older families lose more to their finite length than the
// newer ones. At SNR 0.5, with blocks of 2^21 quadratures, FamilyAR4JA had
// FER 25/67 at 0.866 (FamilyMDHigh's margin to its threshold kept) and 0/67
// at 0.856.
const FallbackMargin = 0.01

// PlanWithout plans p again after the peer answered EC_DENIED to denied, a
// plan with a quasi-cyclic code. When denied is a slice plan, the new plan
// is p's multidimensional one (next.Scheme). When denied's family is a wide one
// (qcldpc.IsWide), the new plan is among p's families less every wide one,
// at the same block length and FallbackMargin below denied's β: the twins
// have the same density evolution, and ForRate picks among them as it did
// among the wide ones (at a rate just below a family's lowest, the next).
// When denied's family has its own targets (familyTargets:
// qcldpc.FamilyIrregular), the new plan is p's among its families less that
// one, at the same block length and p's target β (the planner's default
// when 0): the table was measured with the families it falls back to, and
// PEXIT overrates FamilyIrregular's threshold, so the rule below would lower
// the target for nothing.
// Otherwise, when denied's code is longer than CompatQCBlockLength bits,
// the new plan has blocks of at most
// CompatQCBlockLength quadratures (next.MaxBlockLength), among the same
// families. Otherwise it is among p's families (all that ForRate uses
// when nil) less denied's. The new family's code usually sits closer to its
// threshold at the same target β (an older family, say), so the target is
// lowered by as much as the new code's β at its density-evolution threshold
// on the MD channel (qcldpc.GAOptions MD8) falls below the denied code's,
// and by FallbackMargin more: the new code keeps at least the denied one's
// margin. ok
// is false, with no error, when there is nothing to fall back to: denied
// has no quasi-cyclic code, or no family is left. next is p as planned (its
// Families and Efficiency set).
func PlanWithout(p PlanParams, denied ReconciliationPlan) (plan ReconciliationPlan, next PlanParams, ok bool, err error) {
	if denied.Slices != nil {
		// A peer built before slice reconciliation (or refusing one of its
		// codes): multidimensional reconciliation, whose own denials
		// follow below.
		next = p
		next.Scheme = SchemeMultidimensional
		if plan, err = PlanReconciliation(next); err != nil {
			return ReconciliationPlan{}, p, false, err
		}
		return plan, next, true, nil
	}
	if denied.QC == nil {
		return ReconciliationPlan{}, p, false, nil
	}
	next = p
	if t, own := familyTargets[denied.QC.Family]; own && t.md > 0 {
		if next.Families == nil {
			next.Families = qcldpc.PlannedFamilies()
		}
		next.Families = slices.DeleteFunc(slices.Clone(next.Families), func(id int) bool { return id == denied.QC.Family })
		if len(next.Families) == 0 {
			return ReconciliationPlan{}, p, false, nil
		}
		if plan, err = PlanReconciliation(next); err != nil {
			return ReconciliationPlan{}, p, false, err
		}
		return plan, next, true, nil
	}
	// A peer that denies a wide family was built before them and knows
	// none: drop them all and plan with their twins (below), at the same
	// length first.
	_, wide := qcldpc.IsWide(denied.QC.Family)
	if !wide && denied.N() > CompatQCBlockLength && (p.MaxBlockLength == 0 || p.MaxBlockLength > CompatQCBlockLength) {
		// A peer built before blocks of 2^22, or bounding the length it
		// decodes, denies the longer code: the same families first, in
		// blocks it accepts, at the target β of that length.
		next.MaxBlockLength = CompatQCBlockLength
		if plan, err = PlanReconciliation(next); err != nil {
			return ReconciliationPlan{}, p, false, err
		}
		return plan, next, true, nil
	}
	if next.Families == nil {
		next.Families = qcldpc.PlannedFamilies()
	}
	next.Families = slices.DeleteFunc(slices.Clone(next.Families), func(id int) bool {
		_, w := qcldpc.IsWide(id)
		return id == denied.QC.Family || (wide && w)
	})
	if len(next.Families) == 0 {
		return ReconciliationPlan{}, p, false, nil
	}
	if next.Efficiency == 0 {
		// The β the denied plan had: the planner's default, perhaps
		// lowered to keep its code's margin to the threshold.
		next.Efficiency = denied.Rate() / GaussianCapacity(p.SNR)
	}
	if wide {
		// The twins' density evolution is the wide families': only the
		// margin for their codewords of low weight.
		next.Efficiency -= FallbackMargin
		if plan, err = PlanReconciliation(next); err != nil {
			return ReconciliationPlan{}, p, false, err
		}
		return plan, next, true, nil
	}
	plan, err = PlanReconciliation(next)
	if err != nil {
		return ReconciliationPlan{}, p, false, err
	}
	if plan.QC == nil {
		return plan, next, true, nil
	}
	md := qcldpc.GAOptions{MD8: true}
	was, err := qcldpc.EnsembleWith(*denied.QC, md)
	if err != nil {
		return ReconciliationPlan{}, p, false, fmt.Errorf("%w: threshold of the denied code: %w", ErrInvalidPlan, err)
	}
	now, err := qcldpc.EnsembleWith(*plan.QC, md)
	if err != nil {
		return ReconciliationPlan{}, p, false, fmt.Errorf("%w: threshold of family %d: %w", ErrInvalidPlan, plan.QC.Family, err)
	}
	next.Efficiency -= max(was.Beta-now.Beta, 0) + FallbackMargin
	if plan, err = PlanReconciliation(next); err != nil {
		return ReconciliationPlan{}, p, false, err
	}
	return plan, next, true, nil
}
