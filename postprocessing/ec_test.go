package postprocessing

import (
	"errors"
	"math"
	"testing"

	"pgregory.net/rapid"
)

// Whatever a peer puts in EC_INITIALIZATION, PlanFromWire returns a usable
// plan or an ErrInvalidPlan, without panicking, and a plan it accepts builds
// its matrix within the limits.
func TestPlanFromWireHostile(t *testing.T) {
	accepted := 0
	rapid.Check(t, func(t *rapid.T) {
		w := ECInitWire{
			Noise:  rapid.SampledFrom([]float64{0, -1, 1.05, math.NaN(), math.Inf(1), 1e300}).Draw(t, "noise"),
			Blocks: rapid.IntRange(-2, 1<<20).Draw(t, "blocks"),
			Reconciliation: rapid.SampledFrom([]string{"", SchemeSign, SchemeMultidimensional, "slice", "SIGN"}).
				Draw(t, "reconciliation"),
		}
		switch rapid.IntRange(0, 4).Draw(t, "form") {
		case 4: // plausible sizes, so that some plans pass
			n := rapid.IntRange(4, 5000).Draw(t, "plausible n")
			w.LDPC = &LDPCParams{N: n, K: rapid.IntRange(1, n-1).Draw(t, "plausible k"),
				ColumnWeight: rapid.IntRange(2, 12).Draw(t, "plausible w"), Seed: rapid.Int64().Draw(t, "seed")}
			w.Blocks = rapid.IntRange(1, 100).Draw(t, "plausible blocks")
			w.Noise, w.Reconciliation = 1.05, ""
		case 0:
			w.LDPC = &LDPCParams{
				N:            rapid.IntRange(-5, 1<<21).Draw(t, "n"),
				K:            rapid.IntRange(-5, 1<<21).Draw(t, "k"),
				ColumnWeight: rapid.IntRange(-1, 40).Draw(t, "w"),
				Seed:         rapid.Int64().Draw(t, "seed"),
			}
		case 1:
			n := rapid.IntRange(-2, 64).Draw(t, "sparse n")
			w.SparseMatrix = &SparseMatrixWire{N: n, Rows: rapid.SliceOfN(rapid.SliceOfN(rapid.IntRange(-3, 70), 0, 8), 0, 70).Draw(t, "rows")}
		case 2:
			w.Matrix = rapid.SliceOfN(rapid.SliceOfN(rapid.IntRange(-1, 2), 0, 12), 0, 12).Draw(t, "matrix")
		}
		plan, err := PlanFromWire(w)
		if err != nil {
			if !errors.Is(err, ErrInvalidPlan) {
				t.Fatalf("error %v does not wrap ErrInvalidPlan", err)
			}
			return
		}
		if plan.N() < 2 || plan.M() < 1 || plan.Blocks < 1 || !(plan.Noise > 0) {
			t.Fatalf("accepted plan %+v", plan)
		}
		accepted++
		if plan.Matrix == nil && plan.Code.N <= 1<<14 { // bigger codes are valid but slow to build here
			if _, err := plan.ParityCheck(); err != nil {
				t.Fatalf("accepted plan does not build: %v", err)
			}
		}
	})
	if accepted == 0 {
		t.Fatal("no plan was accepted: the generator explores nothing valid")
	}
	t.Logf("%d plans accepted", accepted)
}
