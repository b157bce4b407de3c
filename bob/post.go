package bob

import (
	"math/rand/v2"

	pp "github.com/qosst/qosst-go/postprocessing"
)

// ecPlan is the error-correction plan of a frame, with Bob's key
// quadratures (SNU).
type ecPlan struct {
	plan   pp.ReconciliationPlan
	params pp.PlanParams // what plan was planned from
	yq     []float64
	snr    float64
	beta   float64
}

// reconciled is the key after error correction.
type reconciled struct {
	key         []uint8
	leaked      int
	quadratures int
}

// rngReader reads random bytes from a math/rand/v2 generator (seeded from
// crypto/rand unless a test supplies its own).
type rngReader struct{ r *rand.Rand }

func (r rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}
