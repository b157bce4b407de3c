package postprocessing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The reconciliation operating points of the long-distance work: SNR per
// quadrature 1.0, 0.5, 0.16, 0.08 and 0.03, each reconciled by the planner's
// quasi-cyclic code through multidimensional reconciliation (Bob's
// syndromes, rotations and norms; Alice's decoder), as the stations do.
//
//	go test -run '^$' -bench ReconcileSNR -benchtime 1x ./postprocessing/
//
// Knobs (environment): QOSST_EC_BLOCKS (blocks per point: default 100, 20
// at SNR 0.03), QOSST_EC_LENGTH (quadratures per block, default 2^20),
// QOSST_EC_EFFICIENCY (the planner's target β; default the planner's own),
// QOSST_EC_SNRS (a comma-separated subset of the points), QOSST_EC_FAMILIES
// (the quasi-cyclic code families the planner may choose, comma-separated;
// what a peer without the newest families leaves, PlanParams.Families).
//
// Reported per point: the effective rate used, β = rate/(½·log2(1 + SNR))
// (what each decoded block reconciles), the frame error rate, the mean
// iterations, and Alice's decoding throughput in input bits (quadratures)
// per second on one core.
func BenchmarkReconcileSNR(b *testing.B) {
	snrs := []float64{1.0, 0.5, 0.16, 0.08, 0.03}
	if s := os.Getenv("QOSST_EC_SNRS"); s != "" {
		snrs = nil
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				b.Fatalf("QOSST_EC_SNRS: %v", err)
			}
			snrs = append(snrs, v)
		}
	}
	length := envInt(b, "QOSST_EC_LENGTH", 1<<20)
	eff := 0.0
	if s := os.Getenv("QOSST_EC_EFFICIENCY"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			b.Fatalf("QOSST_EC_EFFICIENCY: %v", err)
		}
		eff = v
	}
	var families []int
	if s := os.Getenv("QOSST_EC_FAMILIES"); s != "" {
		for _, f := range strings.Split(s, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("QOSST_EC_FAMILIES: %v", err)
			}
			families = append(families, id)
		}
	}
	for _, snr := range snrs {
		blocks := 100
		if snr < 0.05 {
			blocks = 20
		}
		blocks = envInt(b, "QOSST_EC_BLOCKS", blocks)
		b.Run(fmt.Sprintf("snr=%g", snr), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := reconcileAt(b, snr, eff, length, blocks, uint64(i), families)
				b.ReportMetric(r.rate, "rate")
				b.ReportMetric(r.beta, "beta")
				b.ReportMetric(r.fer, "FER")
				b.ReportMetric(r.iterations, "iter/block")
				b.ReportMetric(r.mbps, "Mbit/s/core")
				b.ReportMetric(float64(r.blocks), "blocks")
			}
		})
	}
}

type snrResult struct {
	rate, beta, fer, iterations, mbps float64
	blocks                            int
}

// reconcileAt reconciles blocks blocks of length quadratures at the given
// SNR (x ~ N(0, 1), y = √snr·x + n, n ~ N(0, 1)) with the planner's code, in
// frames of at most 16 blocks (8 for blocks longer than 2^21: a plan
// covers at most MaxPlanKeyBits, and the longest codes need more blocks for
// their punctured bits), each with its own code seed as the stations draw one
// per frame.
func reconcileAt(tb testing.TB, snr, eff float64, length, blocks int, seed uint64, families []int) snrResult {
	tb.Helper()
	perFrame := 16
	if length > CompatQCBlockLength {
		perFrame = 8
	}
	var r snrResult
	var decoding time.Duration
	var quads, failed, iterations int
	for done := 0; done < blocks; done += perFrame {
		nb := min(perFrame, blocks-done)
		frameSeed := seed*1000 + uint64(done)
		rng := rand.New(rand.NewPCG(frameSeed, uint64(snr*1e6)))
		ch := Channel{Gain: math.Sqrt(snr), Noise: 1}
		plan, err := PlanReconciliation(PlanParams{KeyQuadratures: nb * length, SNR: snr, Noise: 1, Seed: int64(frameSeed),
			Scheme: SchemeMultidimensional, Efficiency: eff, MaxBlockLength: length, Families: families})
		if err != nil {
			tb.Fatal(err)
		}
		n := plan.Quadratures()
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
			y[i] = ch.Gain*x[i] + rng.NormFloat64()
		}
		alice, bob := newReconcilers(tb, plan, plan, x, y, ch, randReader{rng})
		for i := 0; i < plan.Blocks; i++ {
			s, err := bob.Syndrome(i)
			if err != nil {
				tb.Fatal(err)
			}
			side, err := bob.SideInfo(i)
			if err != nil {
				tb.Fatal(err)
			}
			start := time.Now()
			err = alice.DecodeBlockSide(i, s, side)
			decoding += time.Since(start)
			if err != nil {
				tb.Logf("frame at block %d (code %+v), block %d: %v", done, *plan.QC, i, err)
			}
			if err := bob.Accept(i, err == nil); err != nil {
				tb.Fatal(err)
			}
		}
		st := alice.Stats()
		if VerificationHash(alice.Key()) != VerificationHash(bob.Key()) {
			tb.Fatal("a decoded block differs from Bob's")
		}
		r.rate = plan.Rate()
		r.blocks += plan.Blocks
		failed += st.Failed
		iterations += st.Iterations
		quads += n
	}
	r.beta = r.rate / GaussianCapacity(snr)
	r.fer = float64(failed) / float64(r.blocks)
	r.iterations = float64(iterations) / float64(r.blocks)
	r.mbps = float64(quads) / decoding.Seconds() / 1e6
	return r
}

func envInt(tb testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		tb.Fatalf("%s = %q: want a positive integer", name, s)
	}
	return v
}
