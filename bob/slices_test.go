package bob

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/keystore"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// sliceLink is the station link (SNR ≈ 1.9 per quadrature, where
// multidimensional reconciliation's codes stop at rate 0.5) with enough
// symbols for one slice block of about 2^19 quadratures, and a target β
// of 0.8 for every slice's code: the planner's defaults were measured in
// blocks of 2^21 quadratures and more. Even at 0.8 a block this short fails
// now and then (sliceAttempts).
func sliceLink(c *config.Config) {
	c.Frame.Quantum.NumSymbols = 400_000
	c.Bob.ErrorCorrection.Reconciliation = config.ReconciliationSlice
	c.Bob.ErrorCorrection.Efficiency = 0.8
}

// sliceCtx is runCtx with room for the race detector, under which a slice
// frame (the guard's trial decodings, 4 slices of about 700 000 bits to
// decode, a key of 2.2·10^6 bits to hash) took 73 s, more than runCtx's
// minute; about 4 s without it.
func sliceCtx(t *testing.T) context.Context {
	if !raceEnabled {
		return runCtx(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// runSliceFrame runs one frame of c between a station and its own Alice,
// with sliceCtx's time, and returns its summary and both key stores.
func runSliceFrame(t *testing.T, c *config.Config) (*Summary, *keystore.Store, *keystore.Store) {
	t.Helper()
	c.Keys.OutputDir = t.TempDir()
	st, aliceKeys := stationWithAlice(t, c)
	sums, err := st.Driver.Run(sliceCtx(t), 1)
	if err != nil || len(sums) != 1 {
		t.Fatalf("Run: %d frames, %v", len(sums), err)
	}
	return sums[0], aliceKeys, st.Keys
}

// checkDropped checks a frame none of whose EC blocks decoded: it carries
// an error, no key bits and every block failed, and neither station keeps
// a key for it.
func checkDropped(t *testing.T, attempt int, s *Summary, aliceKeys, bobKeys *keystore.Store) {
	t.Helper()
	if s.Err == nil || s.KeyBits != 0 || s.ECBlocksFailed != s.ECBlocks {
		t.Fatalf("frame %d: no block decoded, yet err %v, %d key bits, %d of %d blocks failed", attempt, s.Err, s.KeyBits, s.ECBlocksFailed, s.ECBlocks)
	}
	if _, err := aliceKeys.Read(s.Frame); err == nil {
		t.Fatalf("frame %d: Alice kept a key for a frame whose blocks all failed", attempt)
	}
	if _, err := bobKeys.Read(s.Frame); err == nil {
		t.Fatalf("frame %d: Bob kept a key for a frame whose blocks all failed", attempt)
	}
	t.Logf("frame %d dropped (β %.4f): %v", attempt, s.Beta, s.Err)
}

// sliceAttempts bounds the frames TestSliceReconciliationStation runs for
// one whose block decodes. At sliceLink's point the block fails in 2 to 3 %
// of frames: 5 of 200 simulated blocks (go test -run '^$' -bench
// ReconcileSlices -benchtime 1x ./postprocessing/ with QOSST_EC_SNRS=1.867
// QOSST_EC_LENGTH=560000 QOSST_EC_BLOCKS=200 QOSST_SLICE_BETA=0.8
// QOSST_SLICE_SHAPE=6/1), each a slice whose decoder met every syndrome
// with another word than Bob's (42 to 660 bits from it, one or two of them
// punctured: codewords of that slice's code light enough for its channel at
// this length), and 7 station frames of 240 (one of them, logged, a second
// slice that did not converge). Three frames all failing is then about
// 3·10^-5.
const sliceAttempts = 3

// With bob.error_correction.reconciliation = "slice", Bob plans slice
// reconciliation at this SNR, Alice decodes its blocks, and the frame ends
// with identical keys, at a β multidimensional reconciliation cannot reach
// there (its rate stops at 0.5: β ≤ 0.66). A frame whose block fails is
// dropped on both sides: no key, and the next frame is tried.
func TestSliceReconciliationStation(t *testing.T) {
	t.Parallel()
	c := stationConfig()
	sliceLink(c)
	for attempt := 1; attempt <= sliceAttempts; attempt++ {
		s, aliceKeys, bobKeys := runSliceFrame(t, c)
		if s.Reconciliation != pp.SchemeSlice || s.ECDenied != 0 {
			t.Fatalf("frame reconciled with %q after %d denials", s.Reconciliation, s.ECDenied)
		}
		if s.ECBlocksOK == 0 {
			// The only block failed: the frame is dropped.
			checkDropped(t, attempt, s, aliceKeys, bobKeys)
			continue
		}
		// The summary names the plan's shape (the planner's: 6 or 7
		// slices, 1 or 2 of them disclosed at this SNR).
		var bits, disclosed int
		if _, err := fmt.Sscanf(s.Slices, "%d/%d", &bits, &disclosed); err != nil || bits < pp.MinSliceBits || bits > pp.MaxSliceBits || disclosed < 0 || disclosed >= bits {
			t.Errorf("slices %q in the summary: %v", s.Slices, err)
		}
		if s.Beta < 0.75 {
			t.Errorf("β = %.3f with slices, want at least 0.75", s.Beta)
		}
		t.Logf("β %.3f, %d key bits, %d of %d blocks", s.Beta, s.KeyBits, s.ECBlocksOK, s.ECBlocks)
		checkKeys(t, s, aliceKeys, bobKeys)
		return
	}
	t.Fatalf("no frame of %d reconciled its block", sliceAttempts)
}

// An Alice that denies the slice plan (here: she accepts only families 1
// and 8, and the lower slices need others; a peer built before slices
// denies the unknown reconciliation the same way) gets the
// multidimensional plan next, and the frame completes with it.
func TestSliceDeniedFallsBackToMultidimensional(t *testing.T) {
	t.Parallel()
	c := stationConfig()
	sliceLink(c)
	c.Alice.ErrorCorrection.Families = []int{qcldpc.FamilyAR4JA, qcldpc.FamilyMDHigh}
	s, aliceKeys, bobKeys := runSliceFrame(t, c)
	if s.Reconciliation != pp.SchemeMultidimensional || s.ECDenied != 1 {
		t.Fatalf("frame reconciled with %q after %d denials, want multidimensional after 1", s.Reconciliation, s.ECDenied)
	}
	checkKeys(t, s, aliceKeys, bobKeys)
}
