package bob

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
)

// lostOnFirst returns a proxy rule applying kind to the first FRAME_ENDED
// and forwarding everything else.
func lostOnFirst(kind actionKind) rule {
	return func(m transport.Message, seen int) action {
		if m.Code == messages.FrameEnded && seen == 1 {
			return action{kind: kind}
		}
		return action{}
	}
}

func pendingOf(t *testing.T, d *Driver) []uuid.UUID {
	t.Helper()
	ids, err := d.Pending()
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// FRAME_ENDED reaches Alice, who writes her key, but her FRAME_ENDED_ACK is
// lost with the connection: Bob's key stays pending, never final and never
// deleted. Once he is back (a new driver on the same key directory, as after
// a restart) he asks Alice, who confirms, and his key becomes final, equal
// to hers.
func TestLostFrameEndedAckIsRecovered(t *testing.T) {
	c := stationConfig()
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	p := newProxy(t, d, lostOnFirst(forwardHangup))
	drv, bobKeys := newBob(t, c, p.pipe)
	s, err := drv.RunFrame(runCtx(t))
	if !errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("frame with its acknowledgement lost: %v", err)
	}
	alice, err := aliceKeys.Read(s.Frame)
	if err != nil {
		t.Fatalf("Alice's key: %v", err)
	}
	if ok, _ := bobKeys.Exists(s.Frame); ok {
		t.Fatal("Bob's key is final without Alice's acknowledgement")
	}
	if ids := pendingOf(t, drv); len(ids) != 1 || ids[0] != s.Frame {
		t.Fatalf("pending keys %v, want %s", ids, s.Frame)
	}

	drv2, _ := newBob(t, c, p.pipe, func(o *Options) { o.Keys = bobKeys })
	promoted, deleted, err := drv2.ResolvePending(runCtx(t))
	if err != nil || promoted != 1 || deleted != 0 {
		t.Fatalf("ResolvePending: %d final, %d deleted, %v", promoted, deleted, err)
	}
	bob, err := bobKeys.Read(s.Frame)
	if err != nil || !bytes.Equal(alice, bob) {
		t.Fatalf("Bob's key after recovery (%v) differs from Alice's", err)
	}
	if ids := pendingOf(t, drv2); len(ids) != 0 {
		t.Fatalf("still pending: %v", ids)
	}
	if p.count(messages.FrameEnded) != 2 {
		t.Errorf("requests %v: want FRAME_ENDED twice (frame end, recovery)", p.requests())
	}
}

// FRAME_ENDED never reaches Alice: she holds no key. Bob's pending key is
// deleted when she says so, at the start of his next run, and that run's
// frame completes normally.
func TestUndeliveredFrameEndedIsDiscarded(t *testing.T) {
	t.Parallel() // its own Alice, link and key stores
	c := stationConfig()
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	p := newProxy(t, d, lostOnFirst(hangup))
	drv, bobKeys := newBob(t, c, p.pipe)
	s, err := drv.RunFrame(runCtx(t))
	if !errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("frame with FRAME_ENDED lost: %v", err)
	}
	if _, err := aliceKeys.Read(s.Frame); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Alice holds a key she never acknowledged: %v", err)
	}
	if ids := pendingOf(t, drv); len(ids) != 1 {
		t.Fatalf("pending keys %v", ids)
	}

	drv2, _ := newBob(t, c, p.pipe, func(o *Options) { o.Keys = bobKeys })
	sums, err := drv2.Run(runCtx(t), 1)
	if err != nil || len(sums) != 1 || sums[0].Err != nil {
		t.Fatalf("next run: %v %v", err, sums)
	}
	if ok, _ := bobKeys.Exists(s.Frame); ok {
		t.Fatal("a key Alice does not hold became final")
	}
	if ids := pendingOf(t, drv2); len(ids) != 0 {
		t.Fatalf("still pending: %v", ids)
	}
	checkKeys(t, sums[0], aliceKeys, bobKeys)
}

// An answer that settles nothing (here: FRAME_ENDED_ACK naming another
// frame) keeps the key pending; Alice's ABORT without a frame_uuid would do
// the same.
func TestUnsettledAnswerKeepsKeyPending(t *testing.T) {
	c := stationConfig()
	l, d := listen(t, "pipe")
	startAlice(t, c, l)
	other, _ := messages.EncodeContent(&messages.FrameEndedAckContent{FrameUUID: uuid.New()})
	p := newProxy(t, d, func(m transport.Message, seen int) action {
		if m.Code == messages.FrameEnded {
			return action{rewrite: func(transport.Message) (messages.Code, []byte) { return messages.FrameEndedAck, other }}
		}
		return action{}
	})
	drv, bobKeys := newBob(t, c, p.pipe)
	s, err := drv.RunFrame(runCtx(t))
	if !errors.Is(err, ErrInvalidResponse) {
		t.Fatalf("FRAME_ENDED_ACK for another frame: %v", err)
	}
	if ok, _ := bobKeys.Exists(s.Frame); ok {
		t.Fatal("key final on a wrong acknowledgement")
	}
	if ids := pendingOf(t, drv); len(ids) != 1 {
		t.Fatalf("pending keys %v", ids)
	}
	if _, _, err := drv.ResolvePending(runCtx(t)); !errors.Is(err, ErrPendingUnresolved) {
		t.Fatalf("ResolvePending on a wrong acknowledgement: %v", err)
	}
	if ids := pendingOf(t, drv); len(ids) != 1 {
		t.Fatalf("pending keys after an unsettled recovery %v", ids)
	}
}

// A crash between making a key final and removing its pending copy leaves
// both: the next ResolvePending removes the pending copy without asking
// Alice and keeps the final key as it is.
func TestPendingCopyOfAFinalKey(t *testing.T) {
	c := stationConfig()
	l, d := listen(t, "pipe")
	startAlice(t, c, l)
	p := newProxy(t, d, pass)
	drv, bobKeys := newBob(t, c, p.pipe)
	id := uuid.New()
	key := []byte{1, 2, 3, 4}
	if _, err := bobKeys.Write(id, key); err != nil {
		t.Fatal(err)
	}
	pending, err := keystore.Open(PendingDir(bobKeys))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pending.Write(id, key); err != nil {
		t.Fatal(err)
	}
	promoted, deleted, err := drv.ResolvePending(runCtx(t))
	if err != nil || promoted != 1 || deleted != 0 {
		t.Fatalf("ResolvePending: %d final, %d deleted, %v", promoted, deleted, err)
	}
	if got, err := bobKeys.Read(id); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("final key %v, %v", got, err)
	}
	if ids := pendingOf(t, drv); len(ids) != 0 {
		t.Fatalf("still pending: %v", ids)
	}
	if n := len(p.requests()); n != 0 {
		t.Errorf("Alice was asked (%v) about a key already final", p.requests())
	}
}
