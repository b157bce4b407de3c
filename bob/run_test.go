package bob

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/station"
)

// Run with n = 0 runs frames until its context ends, then disconnects and
// returns without error; every completed frame has its key on both sides,
// and the frame cut short by the stop has none.
func TestRunUntilStopped(t *testing.T) {
	t.Parallel() // its own Alice, link and key stores
	c := stationConfig()
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	p := newProxy(t, d, pass)
	drv, bobKeys := newBob(t, c, p.pipe)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		sums []*Summary
		err  error
	}
	two := make(chan struct{})
	drv.Observe(&completions{n: 2, reached: two})
	done := make(chan result, 1)
	go func() {
		s, err := drv.Run(ctx, 0)
		done <- result{s, err}
	}()
	select {
	case <-two:
	case <-time.After(30 * time.Second):
		t.Fatal("no two frames completed in 30 s")
	}
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if r.err != nil {
		t.Fatalf("Run stopped by its context returned %v", r.err)
	}
	if len(r.sums) < 2 {
		t.Fatalf("%d frames", len(r.sums))
	}
	for _, s := range r.sums {
		if s.Err == nil {
			checkKeys(t, s, aliceKeys, bobKeys)
			continue
		}
		if _, err := bobKeys.Read(s.Frame); err == nil {
			t.Errorf("frame %s stopped mid-way left a key", s.Frame)
		}
	}
	if last := p.requests()[len(p.requests())-1]; last != messages.Disconnection {
		t.Errorf("last request %s, want DISCONNECTION", last)
	}
}

// A receiver that hangs: stopping Bob's context ends the frame promptly,
// with no key and no error from Run.
func TestStopDuringAcquisition(t *testing.T) {
	c := stationConfig()
	l, d := listen(t, "pipe")
	startAlice(t, c, l)
	sc := station.SimConfig(c)
	sc.Faults = []sim.Fault{{Op: sim.OpAcquire, Hang: true}}
	rx, err := sim.NewReceiver(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	drv, bobKeys := newBob(t, c, d, func(o *Options) { o.Receiver, o.Polarisation = rx, rx })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	sums, err := drv.Run(ctx, 5)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("Run took %s after its context ended", el)
	}
	if len(sums) != 1 || !errors.Is(sums[0].Err, context.DeadlineExceeded) {
		t.Fatalf("summaries %d, first error %v", len(sums), sums[0].Err)
	}
	noKeys(t, "Bob", bobKeys)
}

// completions is an Observer that closes reached when n frames have
// completed.
type completions struct {
	n, completed int
	reached      chan struct{}
}

func (c *completions) FrameProgress(Progress) {}
func (c *completions) AuthenticationFailed()  {}

func (c *completions) FrameEnded(s *Summary) {
	if s.Completed() {
		c.completed++
		if c.completed == c.n {
			close(c.reached)
		}
	}
}
