package postprocessing

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// The guard keeps the codes of a plan whose slices decode their simulated
// block (the short test plan), and refuses a scale that leaves Alice's
// quadratures no variance.
func TestGuardSlicePlanKeepsGoodCodes(t *testing.T) {
	plan, ch := testSlicePlan(t, 1)
	got, changed, err := GuardSlicePlan(plan, ch, 1)
	if err != nil || len(changed) != 0 || !slices.Equal(got.Codes, plan.Codes) {
		t.Fatalf("changed %v, %v", changed, err)
	}
	bad := plan
	bad.Scale = 0.5 // below the noise's standard deviation
	if _, _, err := GuardSlicePlan(bad, ch, 1); !errors.Is(err, ErrInvalidPlan) {
		t.Fatalf("scale below the noise: %v", err)
	}
}

// A code whose lifting has a codeword the decoder reaches: at SNR 0.476 in
// blocks of 3 333 333 quadratures, slice 1's code of the plan with seed 40
// (family 36, Z = 1158) met every block's syndrome with a word 2028 bits
// from Bob's (every block of the benchmark's frame 40 failed on the hash).
// The guard gives that slice another seed and keeps the others, and the
// new plan decodes a block that the old one got wrong.
func TestGuardSlicePlanReplacesBadCode(t *testing.T) {
	if testRace {
		t.Log("under the race detector the guard's decodings of 3.3·10^6 bits take minutes: TestGuardSlicePlanKeepsGoodCodes checks it on short codes")
		return
	}
	const q, snr = 3_333_333, 0.476
	// The plan PlanSlices made with seed 40 before its codes had exactly
	// q channel bits (ForRateLength).
	plan := SlicePlan{Bits: 6, Disclosed: 2, Scale: math.Sqrt(1 + snr), Blocks: 1, Codes: []qcldpc.Description{
		{Family: 38, Z: 1099, Rows: 11, Shortened: 42795, Seed: 40},
		{Family: 36, Z: 1158, Rows: 43, Shortened: 1707, Seed: 41},
		{Family: 34, Z: 939, Rows: 109, Shortened: 1995, Seed: 42},
		{Family: 34, Z: 790, Rows: 262, Shortened: 3627, Seed: 43},
	}}
	if err := plan.Validate(); err != nil || plan.Quadratures() != q {
		t.Fatalf("plan of %d quadratures: %v", plan.Quadratures(), err)
	}
	ch := Channel{Gain: math.Sqrt(snr), Noise: 1}
	decodes := func(p SlicePlan) error {
		rng := rand.New(rand.NewPCG(5, 6))
		x, y := gaussianLink(rng, q, ch)
		bob, err := NewSliceBob(p, y, randReader{rng})
		if err != nil {
			return err
		}
		alice, err := NewSliceAlice(p, x, ch)
		if err != nil {
			return err
		}
		dis, _ := bob.Disclosed(0)
		syn, _ := bob.Syndromes(0)
		h, _ := bob.Hash(0)
		return alice.DecodeBlock(0, dis, syn, h)
	}
	if err := decodes(plan); !errors.Is(err, ErrBlockFailed) {
		t.Fatalf("the plan with slice 1's bad code: %v, want a wrong word", err)
	}
	guarded, changed, err := GuardSlicePlan(plan, ch, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []int{1}) || guarded.Codes[1].Seed == plan.Codes[1].Seed {
		t.Fatalf("changed slices %v (seed %d → %d), want slice 1 only", changed, plan.Codes[1].Seed, guarded.Codes[1].Seed)
	}
	for j, d := range guarded.Codes {
		if j != 1 && d != plan.Codes[j] {
			t.Errorf("slice %d's code changed: %+v", j, d)
		}
	}
	if err := decodes(guarded); err != nil {
		t.Fatalf("the guarded plan: %v", err)
	}
}
