package bob

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
)

// unrelated is a receiver whose measurements carry no correlation with
// Alice's symbols: the simulated ones, shuffled.
type unrelated struct {
	*sim.Receiver
	scale float64
}

func (u unrelated) Acquire(ctx context.Context) ([]complex128, error) {
	y, err := u.Receiver.Acquire(ctx)
	r := rand.New(rand.NewPCG(7, 7))
	r.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
	for i := range y {
		y[i] *= complex(u.scale, 0)
	}
	return y, err
}

var _ hardware.Receiver = unrelated{}

// Estimates from measurements unrelated to Alice's symbols are announced as
// finite numbers with key rate 0, and Alice's PE_DENIED drops the frame
// (not an encoding failure); the run goes on.
func TestUncorrelatedEstimatesDenied(t *testing.T) {
	for _, scale := range []float64{1, 0.5, 0.1, 0} {
		t.Run(fmt.Sprint(scale), func(t *testing.T) { testUncorrelated(t, scale) })
	}
}

func testUncorrelated(t *testing.T, scale float64) {
	c := stationConfig()
	c.Frame.Quantum.NumSymbols = 20_000
	l, d := listen(t, "pipe")
	startAlice(t, c, l)
	rx, err := sim.NewReceiver(station.SimConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	drv, _ := newBob(t, c, d, func(o *Options) { o.Receiver = unrelated{rx, scale} })
	s, err := drv.RunFrame(runCtx(t))
	t.Logf("scale %v: T %v (±%v) xi %v (±%v) vel %v key rate %v: %v", scale, s.Transmittance, s.TransmittanceStdErr, s.ExcessNoise, s.ExcessNoiseStdErr, s.ElectronicNoise, s.KeyRate, err)
	// Either announced (finite numbers, key rate 0) and denied, or, when
	// nothing at all correlates, dropped in PE naming the reason.
	if !errors.Is(err, ErrPEDenied) && !errors.Is(err, pp.ErrNoCorrelation) {
		t.Fatalf("RunFrame: %v, want PE_DENIED", err)
	}
	if s.KeyRate != 0 {
		t.Fatalf("key rate %v announced for uncorrelated data", s.KeyRate)
	}
	if Fatal(err) {
		t.Fatal("a denied frame ends the run")
	}
}

// Estimates that are not finite numbers are announced as finite ones with
// key rate 0, so that PE_FINISHED encodes (the reference's fake hardware
// gives such estimates).
func TestFiniteAnnouncement(t *testing.T) {
	c := &messages.PEFinishedContent{NPhoton: 2, Transmittance: math.NaN(), ExcessNoise: math.Inf(1), ElectronicNoise: 0.01, Eta: 0.8, KeyRate: math.NaN()}
	if !finiteAnnouncement(c, false) {
		t.Fatal("non-finite estimates not flagged")
	}
	if _, err := messages.EncodeContent(c); err != nil {
		t.Fatalf("PE_FINISHED does not encode: %v", err)
	}
	if c.KeyRate != 0 || c.Transmittance != 0 || c.ExcessNoise != 0 || c.NPhoton != 2 {
		t.Fatalf("announced %+v", c)
	}
	ok := &messages.PEFinishedContent{NPhoton: 2, Transmittance: 0.5, ExcessNoise: 0.01, ElectronicNoise: 0.01, Eta: 0.8, KeyRate: 1e3}
	if finiteAnnouncement(ok, false) || ok.KeyRate != 1e3 {
		t.Fatalf("finite estimates changed: %+v", ok)
	}
}

// When Alice dies mid-frame and cannot be reached for a while, Run drops
// the frame, backs off, reconnects and goes on with the next frames.
func TestRunRidesOutLostConnection(t *testing.T) {
	c := stationConfig()
	c.Frame.Quantum.NumSymbols = 20_000
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	p := newProxy(t, d, func(m transport.Message, seen int) action {
		if m.Code == messages.PENphotonRequest && seen == 1 {
			return action{kind: hangup} // Alice gone mid-frame
		}
		return action{}
	})
	var dials atomic.Int32
	dialer := transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
		if dials.Add(1) == 2 {
			return nil, errors.New("connection refused") // Alice not back yet
		}
		return p.pipe.DialContext(ctx)
	})
	drv, bobKeys := newBob(t, c, dialer, func(o *Options) { o.Config.ReconnectBackoff = 10 * time.Millisecond })
	sums, err := drv.Run(runCtx(t), 3)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(sums) != 3 {
		t.Fatalf("%d frames attempted, want 3", len(sums))
	}
	for i, s := range sums[:2] {
		if !errors.Is(s.Err, messages.ErrDisconnected) {
			t.Fatalf("frame %d: %v, want a lost connection", i, s.Err)
		}
	}
	if sums[2].Err != nil {
		t.Fatalf("frame after reconnecting: %v", sums[2].Err)
	}
	checkKeys(t, sums[2], aliceKeys, bobKeys)
}

// Run gives up after Config.Reconnects lost connections in a row, with
// the cause.
func TestRunGivesUpAfterReconnects(t *testing.T) {
	c := stationConfig()
	dialer := transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
		return nil, errors.New("connection refused")
	})
	drv, _ := newBob(t, c, dialer, func(o *Options) {
		o.Config.ReconnectBackoff = time.Millisecond
		o.Config.Reconnects = 2
	})
	sums, err := drv.Run(runCtx(t), 10)
	if !errors.Is(err, messages.ErrDisconnected) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Run: %v", err)
	}
	if len(sums) != 3 {
		t.Fatalf("%d frames attempted, want 3 (2 reconnects)", len(sums))
	}
}

// When Alice serves as many identified sessions as she allows, Bob reports
// "server busy" (not a lost connection), and Run backs off and retries.
func TestServerBusy(t *testing.T) {
	c := stationConfig()
	c.Alice.MaxSessions = 1
	l, d := listen(t, "pipe")
	startAlice(t, c, l)
	conn, err := d.DialContext(runCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	holder := transport.NewSession(conn, transport.Options{})
	t.Cleanup(func() { holder.Close() })
	if err := holder.SendContent(runCtx(t), messages.IdentificationRequest,
		&messages.IdentificationRequestContent{SerialNumber: "holder", QOSSTVersion: messages.QOSSTVersion}); err != nil {
		t.Fatal(err)
	}
	if m, err := holder.Recv(); err != nil || m.Code != messages.IdentificationResponse {
		t.Fatalf("holder: %s %v", m.Code, err)
	}
	drv, _ := newBob(t, c, d, func(o *Options) {
		o.Config.ReconnectBackoff = time.Millisecond
		o.Config.Reconnects = 1
	})
	sums, err := drv.Run(runCtx(t), 5)
	if !errors.Is(err, ErrServerBusy) {
		t.Fatalf("Run: %v, want server busy once the reconnects are spent", err)
	}
	if len(sums) != 2 {
		t.Fatalf("%d frames attempted: %v", len(sums), err)
	}
	for _, s := range sums {
		if !errors.Is(s.Err, ErrServerBusy) || !strings.Contains(s.Err.Error(), "server busy") {
			t.Fatalf("frame: %v, want server busy", s.Err)
		}
	}
}

// A peer that stops answering ends the run within the request timeout,
// with an error that says so (it is not retried).
func TestPeerStopsAnswering(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { // reads everything, answers nothing
				defer c.Close()
				var buf [4096]byte
				for {
					if _, err := c.Read(buf[:]); err != nil {
						return
					}
				}
			}()
		}
	}()
	dialer := transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", l.Addr().String())
	})
	drv, _ := newBob(t, stationConfig(), dialer, func(o *Options) { o.Config.RequestTimeout = 200 * time.Millisecond })
	start := time.Now()
	sums, err := drv.Run(runCtx(t), 5)
	if len(sums) != 1 {
		t.Fatalf("%d frames attempted against a silent peer", len(sums))
	}
	if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "no answer to IDENTIFICATION_REQUEST within 200ms") {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Run took %v against a silent peer with a 200ms request timeout", d)
	}
}
