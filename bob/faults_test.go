package bob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
)

// A receiver failure drops the frame: Bob tells Alice (ABORT), keeps no key,
// and the next frame completes.
func TestReceiverFaultDropsFrame(t *testing.T) {
	for _, op := range []sim.Op{sim.OpRecover, sim.OpArm, sim.OpAcquire, sim.OpCalibrateElectronic, sim.OpCalibrateShot} {
		t.Run(string(op), func(t *testing.T) {
			t.Parallel() // each subtest has its own Alice, receiver and key stores
			c := stationConfig()
			c.Frame.Quantum.NumSymbols = 20_000 // the protocol, not the estimation: still a key per frame
			c.Bob.Run.PolarisationRecovery = true
			l, d := listen(t, "pipe")
			aliceKeys := startAlice(t, c, l)
			p := newProxy(t, d, pass)
			sc := station.SimConfig(c)
			sc.Faults = []sim.Fault{{Op: op, Call: 1}}
			rx, err := sim.NewReceiver(sc)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rx.Close() })
			drv, bobKeys := newBob(t, c, p.pipe, func(o *Options) { o.Receiver, o.Polarisation = rx, rx })
			ctx := runCtx(t)
			_, err = drv.RunFrame(ctx)
			if !errors.Is(err, hardware.ErrDevice) && !errors.Is(err, sim.ErrInjected) {
				t.Fatalf("RunFrame: %v, want the injected hardware error", err)
			}
			if Fatal(err) {
				t.Error("a hardware fault is fatal to the run")
			}
			if p.count(messages.Abort) != 1 {
				t.Errorf("Bob did not abort the frame at Alice: %v", p.requests())
			}
			noKeys(t, "Bob", bobKeys)
			noKeys(t, "Alice", aliceKeys)
			s, err := drv.RunFrame(ctx)
			if err != nil {
				t.Fatalf("next frame: %v", err)
			}
			checkKeys(t, s, aliceKeys, bobKeys)
		})
	}
}

// Bob's key is on disk (durably, by the key store) when FRAME_ENDED leaves,
// so that it exists before FRAME_ENDED_ACK is accepted.
func TestKeyWrittenBeforeFrameEnded(t *testing.T) {
	var bobKeys *keystore.Store
	seen := false
	c := stationConfig()
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	p := newProxy(t, d, func(m transport.Message, _ int) action {
		if m.Code == messages.FrameEnded {
			fe, err := messages.DecodeContent(m.Code, m.Content)
			if err != nil {
				t.Errorf("FRAME_ENDED content: %v", err)
				return action{}
			}
			// Written durably as pending before FRAME_ENDED leaves.
			id := fe.(*messages.FrameEndedContent).FrameUUID
			_, serr := os.Stat(filepath.Join(PendingDir(bobKeys), id.String()+keystore.Suffix))
			_, ferr := os.Stat(bobKeys.Path(id))
			seen = serr == nil && errors.Is(ferr, os.ErrNotExist)
		}
		return action{}
	})
	drv, keys := newBob(t, c, p.pipe)
	bobKeys = keys
	s, err := drv.RunFrame(runCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Error("Bob's pending key file did not exist (or his final one did) when FRAME_ENDED was sent")
	}
	checkKeys(t, s, aliceKeys, bobKeys)
}

// A connection lost mid-frame: the client reconnects, Bob identifies again on
// the fresh session, the resent request is refused by Alice (her new session
// holds no frame), the frame is dropped without a key, and the next frame
// completes on the new connection.
func TestReconnectMidFrame(t *testing.T) {
	c := stationConfig()
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	p := newProxy(t, d, func(m transport.Message, seen int) action {
		if m.Code == messages.PENphotonRequest && seen == 1 {
			return action{kind: hangup}
		}
		return action{}
	})
	var drv *Driver
	client := transport.NewClient(p.pipe, transport.ClientOptions{
		OnReconnect: func(ctx context.Context, s *transport.Session) error { return drv.OnReconnect(ctx, s) },
	})
	t.Cleanup(func() { client.Close() })
	drv, bobKeys := newBob(t, c, p.pipe, func(o *Options) { o.Conn = client })
	ctx := runCtx(t)
	_, err := drv.RunFrame(ctx)
	if !errors.Is(err, ErrPeerRefused) || Fatal(err) {
		t.Fatalf("RunFrame: %v, want a refused resent request", err)
	}
	if client.Reconnects() != 1 || p.count(messages.IdentificationRequest) != 2 {
		t.Errorf("reconnects %d, identifications %d", client.Reconnects(), p.count(messages.IdentificationRequest))
	}
	noKeys(t, "Bob", bobKeys)
	s, err := drv.RunFrame(ctx)
	if err != nil {
		t.Fatalf("frame after the reconnect: %v", err)
	}
	checkKeys(t, s, aliceKeys, bobKeys)
}
