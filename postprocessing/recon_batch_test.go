package postprocessing

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// DecodeBlocks decodes a batch on several decoders at once and reaches the
// verdicts, the words and the iteration count of decoding the same blocks
// one at a time; a block given twice or already decided is refused.
func TestDecodeBlocksMatchesOneAtATime(t *testing.T) {
	snr, _ := SNR(defaultLink)
	ch, _ := ChannelFromParams(defaultLink)
	rng := rand.New(rand.NewPCG(5, 8))
	x, y := simulateLink(rng, defaultLink, 6<<14)
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: 9,
		Scheme: SchemeMultidimensional, MaxBlockLength: 1 << 15, Efficiency: 0.845})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Blocks < 4 {
		t.Fatalf("%d blocks: the test needs several", plan.Blocks)
	}
	// At β 0.845 on blocks of 2^15 about half the blocks fail: both verdicts
	// are exercised (checked below).
	seq, bob := newReconcilers(t, plan, plan, x, y, ch, randReader{rand.New(rand.NewPCG(1, 1))})
	par, _ := newReconcilers(t, plan, plan, x, y, ch, randReader{rand.New(rand.NewPCG(1, 1))})
	want := playBlocks(t, seq, bob)
	in := make([]BlockInput, plan.Blocks)
	for i := range in {
		s, _ := bob.Syndrome(i)
		side, _ := bob.SideInfo(i)
		in[plan.Blocks-1-i] = BlockInput{Index: i, Syndrome: s, Side: side} // any order
	}
	got := par.DecodeBlocks(in)
	failed := 0
	for k, b := range in {
		if (got[k] == nil) != (want[b.Index] == nil) || (got[k] != nil && !errors.Is(got[k], ErrBlockFailed)) {
			t.Errorf("block %d: batch %v, one at a time %v", b.Index, got[k], want[b.Index])
		}
		if got[k] != nil {
			failed++
		}
	}
	if failed == 0 || failed == len(in) {
		t.Fatalf("%d of %d blocks failed: the test wants both verdicts", failed, len(in))
	}
	if !slices.Equal(par.Key(), seq.Key()) || par.Stats() != seq.Stats() || par.iters != seq.iters {
		t.Fatalf("batch stats %+v (%d iterations), one at a time %+v (%d)", par.Stats(), par.iters, seq.Stats(), seq.iters)
	}
	again := par.DecodeBlocks([]BlockInput{in[0], in[0]})
	for _, err := range again {
		if !errors.Is(err, ErrInvalidBlock) {
			t.Fatalf("a decided block or a repeated index: %v", err)
		}
	}
}
