package bob

import (
	"fmt"
	"math"

	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
)

// minCorrelationSigmas is how many standard errors above 0 the estimated
// transmittance must be for Bob to take his measurements as correlated
// with Alice's symbols. Below it the estimates carry no correlation: an
// unphysical excess noise (far below 0) would otherwise be clamped to 0 in
// asymptotic mode and announce a positive key rate for unrelated data.
const minCorrelationSigmas = 3

// noCorrelation reports pp.ErrNoCorrelation when the estimated transmittance
// is not significantly above 0.
func noCorrelation(res *pp.PEResult) error {
	if res == nil {
		return pp.ErrNoCorrelation
	}
	t, se := res.T.Value, res.T.StdErr
	if !isFinite(t) || !isFinite(se) || t <= minCorrelationSigmas*se {
		return fmt.Errorf("%w: transmittance %.3g ± %.3g, not %d standard errors above 0",
			pp.ErrNoCorrelation, t, se, minCorrelationSigmas)
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// finiteAnnouncement makes a PE_FINISHED content announceable whatever the
// estimates: every value that is not a finite number becomes 0 (a negative
// value where the protocol wants a non-negative one, too), and the key rate
// is 0 when noKey is set or anything had to be replaced. Alice then answers
// PE_DENIED, as the protocol says for a frame without key. It reports
// whether the key rate was forced to 0.
func finiteAnnouncement(c *messages.PEFinishedContent, noKey bool) bool {
	fixed := false
	fix := func(v *float64, nonNegative bool) {
		if !isFinite(*v) || nonNegative && *v < 0 {
			*v, fixed = 0, true
		}
	}
	fix(&c.NPhoton, true)
	fix(&c.Transmittance, false)
	fix(&c.ExcessNoise, false)
	fix(&c.ElectronicNoise, true)
	fix(&c.Eta, true)
	fix(&c.KeyRate, false)
	if noKey || fixed {
		c.KeyRate = 0
		return true
	}
	return false
}
