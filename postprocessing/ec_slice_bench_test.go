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

// Slice reconciliation at the higher SNRs of the long-distance work, where
// multidimensional reconciliation's binary channel caps β (MDCapacity):
//
//	go test -run '^$' -bench ReconcileSlices -benchtime 1x ./postprocessing/
//
// Knobs (environment): QOSST_EC_SNRS (default 1,0.5), QOSST_EC_BLOCKS
// (default 100), QOSST_EC_LENGTH (quadratures per block, default 2^22),
// QOSST_SLICE_SHAPE ("bits/disclosed"; default the planner's),
// QOSST_SLICE_EFFICIENCY (comma-separated factors on each coded slice's
// default target; default none: the planner's targets and margins),
// QOSST_SLICE_BETA (every slice code's target β at its equivalent SNR,
// SliceParams.Beta, as bob.error_correction.efficiency sets it; default
// the planner's), QOSST_EC_SEED (a positive base of the frame seeds,
// 0 when unset: another seed, other blocks), QOSST_EC_ITER_FACTOR (a
// factor on every decoder's iteration bound, default 1).
//
// Reported per point: the shape, β = (key bits − syndrome bits)/(quadratures
// · ½·log2(1 + SNR)) of a decoded block, the frame error rate (a block
// fails when any of its slices does), and Alice's throughput in
// quadratures per second on one core (LLRs and every slice's decoding).
func BenchmarkReconcileSlices(b *testing.B) {
	snrs := []float64{1, 0.5}
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
	length := envInt(b, "QOSST_EC_LENGTH", 1<<22)
	blocks := envInt(b, "QOSST_EC_BLOCKS", 100)
	var bits, disclosed int
	if s := os.Getenv("QOSST_SLICE_SHAPE"); s != "" {
		if _, err := fmt.Sscanf(s, "%d/%d", &bits, &disclosed); err != nil {
			b.Fatalf("QOSST_SLICE_SHAPE = %q: want bits/disclosed", s)
		}
	}
	var eff []float64
	if s := os.Getenv("QOSST_SLICE_EFFICIENCY"); s != "" {
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				b.Fatalf("QOSST_SLICE_EFFICIENCY: %v", err)
			}
			eff = append(eff, v)
		}
	}
	beta := 0.0
	if s := os.Getenv("QOSST_SLICE_BETA"); s != "" {
		var err error
		if beta, err = strconv.ParseFloat(s, 64); err != nil {
			b.Fatalf("QOSST_SLICE_BETA: %v", err)
		}
	}
	if s := os.Getenv("QOSST_EC_ITER_FACTOR"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0) {
			b.Fatalf("QOSST_EC_ITER_FACTOR = %q: want a factor > 0", s)
		}
		testHookIterationFactor = f
		b.Cleanup(func() { testHookIterationFactor = 0 })
	}
	seed := uint64(envInt(b, "QOSST_EC_SEED", 0))
	for _, snr := range snrs {
		b.Run(fmt.Sprintf("snr=%g", snr), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := reconcileSlicesAt(b, SliceParams{SNR: snr, Bits: bits, Disclosed: disclosed, Efficiency: eff, Beta: beta, MaxBlockLength: length}, blocks, seed+uint64(i))
				b.ReportMetric(float64(r.bits), "bits")
				b.ReportMetric(float64(r.disclosed), "disclosed")
				b.ReportMetric(r.beta, "beta")
				b.ReportMetric(r.fer, "FER")
				b.ReportMetric(r.mbps, "Mbit/s/core")
				b.ReportMetric(float64(r.blocks), "blocks")
				// Failed blocks per slice (the slice that stalled, or the
				// first with another word than Bob's), as metrics: the log
				// of failures is truncated.
				for j, n := range r.sliceFailures {
					b.ReportMetric(float64(n), fmt.Sprintf("fail-slice%d", j))
				}
			}
		})
	}
}

type sliceResult struct {
	bits, disclosed, blocks int
	beta, fer, mbps         float64
	sliceFailures           []int
}

// reconcileSlicesAt reconciles blocks blocks (x ~ N(0, 1), y = √snr·x + n)
// in frames of at most 4, each with its own seed, and checks that both keys
// agree.
func reconcileSlicesAt(tb testing.TB, p SliceParams, blocks int, seed uint64) sliceResult {
	tb.Helper()
	const perFrame = 4
	var r sliceResult
	var decoding time.Duration
	var quads, failed int
	ch := Channel{Gain: math.Sqrt(p.SNR), Noise: 1}
	tb.Cleanup(func() { testHookSliceWrongWords = nil })
	for done := 0; done < blocks; done += perFrame {
		nb := min(perFrame, blocks-done)
		frameSeed := seed*1000 + uint64(done)
		rng := rand.New(rand.NewPCG(frameSeed, uint64(p.SNR*1e6)))
		p.KeyQuadratures, p.Scale, p.Seed = nb*p.MaxBlockLength, math.Sqrt(1+p.SNR), int64(frameSeed)
		plan, err := PlanSlices(p)
		if err != nil {
			tb.Fatal(err)
		}
		// As the stations plan: a code that reaches a wrong word on a
		// simulated block gets another seed.
		var changed []int
		if plan, changed, err = GuardSlicePlan(plan, ch, frameSeed); err != nil {
			tb.Fatal(err)
		}
		if len(changed) > 0 {
			tb.Logf("frame %d: the guard changed the codes of slices %v", done, changed)
		}
		n := plan.Blocks * plan.Quadratures()
		x, y := gaussianLink(rng, n, ch)
		bob, err := NewSliceBob(plan, y, randReader{rng})
		if err != nil {
			tb.Fatal(err)
		}
		alice, err := NewSliceAlice(plan, x, ch)
		if err != nil {
			tb.Fatal(err)
		}
		if r.sliceFailures == nil {
			r.sliceFailures = make([]int, plan.Coded())
		}
		// A block that meets every syndrome with other words than Bob's:
		// which slices differ, and in how many bits.
		wrong := -1 // the first slice of the block with another word than Bob's
		testHookSliceWrongWords = func(i int, words [][]uint8) {
			for j, w := range words {
				if d := hammingDistance(w, bob.words[i][j]); d > 0 {
					if wrong < 0 {
						wrong = j
					}
					var punctured int
					for t, role := range alice.sc.codes[j].roles {
						if role == rolePunctured && w[t] != bob.words[i][j][t] {
							punctured++
						}
					}
					tb.Logf("frame %d block %d: slice %d (%+v) decoded a word %d bits from Bob's (%d of them punctured)", done, i, j, plan.Codes[j], d, punctured)
				}
			}
		}
		for i := 0; i < plan.Blocks; i++ {
			dis, err := bob.Disclosed(i)
			if err != nil {
				tb.Fatal(err)
			}
			syn, err := bob.Syndromes(i)
			if err != nil {
				tb.Fatal(err)
			}
			h, err := bob.Hash(i)
			if err != nil {
				tb.Fatal(err)
			}
			start := time.Now()
			wrong = -1
			err = alice.DecodeBlock(i, dis, syn, h)
			decoding += time.Since(start)
			if err != nil {
				failed++
				j := wrong
				if k := strings.Index(err.Error(), "slice "); k >= 0 {
					if _, e := fmt.Sscanf(err.Error()[k:], "slice %d", &j); e != nil {
						j = -1
					}
				}
				if j >= 0 && j < len(r.sliceFailures) {
					r.sliceFailures[j]++
				}
				tb.Logf("frame %d block %d: %v", done, i, err)
			}
			if err := bob.Accept(i, err == nil); err != nil {
				tb.Fatal(err)
			}
		}
		if VerificationHash(alice.Key()) != VerificationHash(bob.Key()) {
			tb.Fatal("a decoded block differs from Bob's")
		}
		r.bits, r.disclosed = plan.Bits, plan.Disclosed
		r.beta = plan.Rate() / GaussianCapacity(p.SNR)
		r.blocks += plan.Blocks
		quads += n
	}
	r.fer = float64(failed) / float64(r.blocks)
	r.mbps = float64(quads) / decoding.Seconds() / 1e6
	tb.Logf("failures per slice: %v", r.sliceFailures)
	return r
}

// hammingDistance counts the positions where a and b differ.
func hammingDistance(a, b []uint8) int {
	d := 0
	for i := range a {
		if a[i] != b[i] {
			d++
		}
	}
	return d
}
