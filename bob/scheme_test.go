package bob

import (
	"testing"

	pp "github.com/qosst/qosst-go/postprocessing"
)

// Both reconciliation schemes run over the wire: the scheme travels in
// EC_INITIALIZATION, Alice decodes every EC_BLOCK (for multidimensional
// reconciliation with the rotations and norms it carries) and the frame ends
// with identical keys. Multidimensional reconciliation reaches a clearly
// higher efficiency than sign reconciliation on the same link.
func TestReconciliationSchemesOnTheWire(t *testing.T) {
	t.Parallel() // its own Alice, link and key stores
	beta := map[string]float64{}
	for _, scheme := range []string{pp.SchemeSign, pp.SchemeMultidimensional} {
		t.Run(scheme, func(t *testing.T) {
			c := stationConfig()
			l, d := listen(t, "pipe")
			aliceKeys := startAlice(t, c, l)
			drv, bobKeys := newBob(t, c, d, func(o *Options) { o.Config.Reconciliation = scheme })
			s, err := drv.RunFrame(runCtx(t))
			if err != nil {
				t.Fatalf("RunFrame: %v", err)
			}
			checkKeys(t, s, aliceKeys, bobKeys)
			if s.ECBlocksFailed != 0 || s.ECBlocksOK != s.ECBlocks {
				t.Errorf("%d of %d blocks failed", s.ECBlocksFailed, s.ECBlocks)
			}
			beta[scheme] = s.Beta
			t.Logf("%s: β = %.3f, %d blocks, key %d bits", scheme, s.Beta, s.ECBlocks, s.KeyBits)
		})
	}
	if !(beta[pp.SchemeMultidimensional] > beta[pp.SchemeSign]+0.1) {
		t.Errorf("β multidimensional %.3f, sign %.3f: want the former clearly higher", beta[pp.SchemeMultidimensional], beta[pp.SchemeSign])
	}
}

// The station key bob.error_correction.reconciliation reaches the driver.
func TestWithStationReconciliation(t *testing.T) {
	c := stationConfig()
	if got := FromStation(c).WithStation(c).Reconciliation; got != pp.SchemeMultidimensional {
		t.Errorf("default scheme %q", got)
	}
	c.Bob.ErrorCorrection.Reconciliation = "sign"
	bc := FromStation(c).WithStation(c)
	if bc.Reconciliation != pp.SchemeSign {
		t.Errorf("scheme %q, want sign", bc.Reconciliation)
	}
	bc.Reconciliation = "turbo"
	if err := bc.Validate(); err == nil {
		t.Error("unknown scheme accepted")
	}
}

// Bob's ε_PA reaches Alice through INITIALIZATION_REQUEST: with a weaker
// ε_PA than Alice's default Bob asks for a longer key than her default
// would allow, and she grants it because she computes with the announced
// value; the keys are identical.
func TestAnnouncedEpsilonPAAgrees(t *testing.T) {
	c := stationConfig()
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	drv, bobKeys := newBob(t, c, d, func(o *Options) { o.Config.EpsilonPA = 1e-3 })
	s, err := drv.RunFrame(runCtx(t))
	if err != nil {
		t.Fatalf("RunFrame: %v", err)
	}
	checkKeys(t, s, aliceKeys, bobKeys)
}

// The target β of bob.error_correction.efficiency reaches the planner: a
// frame run with a low target reconciles at that β (the effective rate of
// its quasi-cyclic code is at most efficiency·I_AB, and within a few
// percent of it), and ends with identical keys.
func TestStationEfficiencyReachesPlan(t *testing.T) {
	t.Parallel()
	c := stationConfig()
	c.Bob.ErrorCorrection.Efficiency = 0.6
	if got := FromStation(c).Efficiency; got != 0.6 {
		t.Fatalf("driver efficiency %v", got)
	}
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	drv, bobKeys := newBob(t, c, d, func(o *Options) { o.Config = o.Config.WithStation(c) })
	s, err := drv.RunFrame(runCtx(t))
	if err != nil {
		t.Fatalf("RunFrame: %v", err)
	}
	checkKeys(t, s, aliceKeys, bobKeys)
	if !(s.Beta > 0.55 && s.Beta <= 0.6+1e-9) {
		t.Errorf("β = %.4f, want just under the target 0.6", s.Beta)
	}
}
