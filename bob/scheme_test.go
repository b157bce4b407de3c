package bob

import (
	"context"
	"testing"
	"time"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"

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

// The station's run and encoding keys reach the driver.
func TestStationRunKeys(t *testing.T) {
	c := config.Default()
	for key, value := range map[string]string{"bob.run.reconnects": "2", "bob.run.reconnect_backoff": "3s",
		"bob.error_correction.encoding": "numbers"} {
		if err := c.SetString(key, value); err != nil {
			t.Fatal(err)
		}
	}
	got := FromStation(c)
	if got.Reconnects != 2 || got.ReconnectBackoff != 3*time.Second || !got.NumbersOnly {
		t.Fatalf("reconnects %d, backoff %v, numbers only %v", got.Reconnects, got.ReconnectBackoff, got.NumbersOnly)
	}
	if d := FromStation(config.Default()); d.Reconnects != 5 || d.ReconnectBackoff != 500*time.Millisecond || d.NumbersOnly {
		t.Fatalf("defaults: reconnects %d, backoff %v, numbers only %v", d.Reconnects, d.ReconnectBackoff, d.NumbersOnly)
	}
}

// perCode counts the requests a Conn sends, per code.
type perCode struct {
	Conn
	n map[messages.Code]int
}

func (c *perCode) Request(ctx context.Context, code messages.Code, content []byte) (transport.Message, error) {
	c.n[code]++
	return c.Conn.Request(ctx, code, content)
}

// Against our Alice, who offers the packed encoding in EC_READY, Bob sends
// the blocks of a frame in packed batches (one EC_BLOCK here); with
// bob.error_correction.encoding = "numbers" he sends one EC_BLOCK per block
// in the specification's form. Both end with identical keys.
func TestECEncodings(t *testing.T) {
	t.Parallel()
	for _, numbers := range []bool{false, true} {
		c := stationConfig()
		c.Bob.ErrorCorrection.BlockLength = 1 << 14
		l, d := listen(t, "pipe")
		aliceKeys := startAlice(t, c, l)
		pc := &perCode{n: map[messages.Code]int{}}
		drv, bobKeys := newBob(t, c, d, func(o *Options) {
			o.Config.BlockLength, o.Config.NumbersOnly = 1<<14, numbers
			pc.Conn = o.Conn
			o.Conn = pc
		})
		s, err := drv.RunFrame(runCtx(t))
		if err != nil {
			t.Fatalf("numbers only %v: %v", numbers, err)
		}
		checkKeys(t, s, aliceKeys, bobKeys)
		if s.ECBlocks < 3 {
			t.Fatalf("%d blocks: the test wants several", s.ECBlocks)
		}
		want := 1
		if numbers {
			want = s.ECBlocks
		}
		if got := pc.n[messages.ECBlock]; got != want {
			t.Errorf("numbers only %v: %d EC_BLOCK requests for %d blocks, want %d", numbers, got, s.ECBlocks, want)
		}
		if s.ECBlocksOK+s.ECBlocksFailed != s.ECBlocks || s.ECBlocksOK == 0 {
			t.Errorf("numbers only %v: %d decoded, %d failed of %d", numbers, s.ECBlocksOK, s.ECBlocksFailed, s.ECBlocks)
		}
	}
}
