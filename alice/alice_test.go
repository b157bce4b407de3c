package alice

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

func numGoroutine() int { return runtime.NumGoroutine() }

func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// A client behaving like qosst-bob (no content in QIE_REQUEST, several
// symbol requests) runs a whole frame against Alice, over the in-memory
// transport and over TCP: PE_APPROVED, EC, PA, FRAME_ENDED_ACK, and Alice's
// key file (mode 0600, named by the frame UUID) holds the key Bob derives.
func TestFullFrame(t *testing.T) {
	for _, network := range []string{"pipe", "tcp"} {
		t.Run(network, func(t *testing.T) {
			h := newHarness(t, network)
			b := h.bob()
			b.identify()
			final := b.fullFrame()
			path := h.keys.Path(b.frame)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatalf("no key file: %v", err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
			}
			got, err := keystore.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := keystore.PackBits(final); !bytes.Equal(got, want) || len(want) == 0 {
				t.Fatalf("Alice's key (%d bytes) differs from Bob's (%d bytes)", len(got), len(want))
			}
			// The session is back in identified: a second frame runs too.
			b.fullFrame()
			if n := h.srv.FramesCompleted(); n != 2 {
				t.Fatalf("frames completed = %d, want 2", n)
			}
			b.want(messages.Disconnection, nil, messages.DisconnectionAck)
		})
	}
}

// The reference client sends QIE_REQUEST with no content; ours may send
// the frame UUID, which must then be the frame's.
func TestQIERequestFrameUUID(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	b.initialize()
	got, c := b.raw(messages.QIERequest, &messages.QIERequestContent{FrameUUID: uuid.New()})
	if got != messages.Abort || !strings.Contains(c.(*messages.AbortContent).AbortMessage, "frame") {
		t.Fatalf("QIE_REQUEST for another frame answered %s (%s)", got, describe(c))
	}
	b.initialize()
	b.want(messages.QIERequest, &messages.QIERequestContent{FrameUUID: b.frame}, messages.QIEReady)
}

// A new INITIALIZATION_REQUEST in initialized replaces the frame: the new
// frame is the one QIE works on.
func TestReinitializationReplacesFrame(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	b.initialize()
	first := b.frame
	b.initialize()
	if b.frame == first {
		t.Fatal("same frame UUID twice")
	}
	b.want(messages.QIERequest, &messages.QIERequestContent{FrameUUID: b.frame}, messages.QIEReady)
	b.want(messages.QIETrigger, nil, messages.QIEEmissionStarted)
	b.want(messages.QIEAcquisitionEnded, nil, messages.QIEEnded)
}

func TestPEDeniedWhenKeyRateIsNotPositive(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	b.initialize()
	b.qie()
	zero := 0.0
	if got := b.pe(3, 0.1, &zero); got != messages.PEDenied {
		t.Fatalf("PE_FINISHED with key_rate 0 answered %s", got)
	}
	// The frame is dropped: EC is unexpected, a new frame can start.
	b.want(messages.ECInitialization, &messages.ECInitializationContent{Noise: 1, LDPC: &messages.LDPCParams{N: 8, K: 4, ColumnWeight: 2}}, messages.UnexpectedCommand)
	b.initialize()
}

// Alice sizes the key with Va = 2<n>, <n> as her emitter measured it for
// the frame (the value Bob echoes and computes with), not with the nominal
// modulation variance: with an emitter measuring <n> 5 % off Va/2 either
// way, Bob's key of the length he computes from 2<n> is accepted at
// privacy amplification and Alice's final key equals his.
func TestKeySizedWithMeasuredPhotonNumber(t *testing.T) {
	for _, scale := range []float64{0.95, 1.05} {
		h := newHarness(t, "pipe", func(s *setup) { s.photonScale = scale })
		b := h.bob()
		b.identify()
		final := b.fullFrame()
		got, err := h.keys.Read(b.frame)
		if want := keystore.PackBits(final); err != nil || len(want) == 0 || !bytes.Equal(got, want) {
			t.Fatalf("<n> × %v: Alice's key differs from Bob's (%v)", scale, err)
		}
	}
}

// Alice sizes the key with the <n> her emitter measured, not with the
// n_photon Bob announces: a Bob announcing another value (ten times hers)
// but sizing his key with hers gets his privacy amplification accepted and
// the same key, where an Alice trusting the announced value would bound
// another length.
func TestKeySizedWithAlicesPhotonNumberNotBobs(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	b.echo = func(n float64) float64 { return 10 * n }
	final := b.fullFrame()
	got, err := h.keys.Read(b.frame)
	if want := keystore.PackBits(final); err != nil || len(want) == 0 || !bytes.Equal(got, want) {
		t.Fatalf("Alice's key differs from Bob's (%v)", err)
	}
}

// An emitter that measured no light (<n> = 0) leaves no modulation
// variance to size a key with: PE_FINISHED is denied with the reason.
func TestPEDeniedWithoutMeasuredPhotons(t *testing.T) {
	h := newHarness(t, "pipe", func(s *setup) {
		s.wrap = func(e hardware.Emitter) hardware.Emitter { return scaledPhotons{Emitter: e, scale: 0} }
	})
	h.photonScale = 0
	b := h.bob()
	b.identify()
	b.initialize()
	b.qie()
	one := 1.0
	if got := b.pe(3, 0.1, &one); got != messages.PEDenied {
		t.Fatalf("PE_FINISHED after <n> = 0 answered %s", got)
	}
	if msg := b.peAnswer.(*messages.PEDeniedContent).DenyMessage; !strings.Contains(msg, "mean photon number") {
		t.Fatalf("deny message %q", msg)
	}
}

func TestPESymbolsOutOfRange(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	b.initialize()
	b.qie()
	c := b.want(messages.PESymbolsRequest, &messages.PESymbolsRequestContent{Indices: []int{1, h.cfg.Frame.Quantum.NumSymbols}}, messages.PESymbolsError)
	if !strings.Contains(c.(*messages.PESymbolsErrorContent).ErrorMessage, "out of bound") {
		t.Fatalf("error message %q", describe(c))
	}
	// More indices than symbols: refused before anything is gathered.
	c = b.want(messages.PESymbolsRequest, &messages.PESymbolsRequestContent{Indices: make([]int, h.cfg.Frame.Quantum.NumSymbols+1)}, messages.PESymbolsError)
	if !strings.Contains(c.(*messages.PESymbolsErrorContent).ErrorMessage, "indices requested") {
		t.Fatalf("error message %q", describe(c))
	}
	// A refused request discloses nothing: the frame still gives a key.
	if got := b.pe(2, 0.1, nil); got != messages.PEApproved {
		t.Fatalf("PE answered %s", got)
	}
}

// Negotiation: mismatched parameters give a proposal with Alice's values,
// INITIALIZATION_REQUEST_CONFIG gives her config, and a request with them is
// accepted. In "deny" mode the answer is INITIALIZATION_DENIED.
func TestInitializationNegotiation(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	p := b.frameParams()
	p["symbol_rate"] = 1e9
	frame := uuid.New() // one UUID for every round of the negotiation
	c := b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: frame, Parameters: p}, messages.InitializationProposal).(*messages.InitializationProposalContent)
	if !strings.Contains(c.DenyMessage, "symbol_rate") || c.Config["symbol_rate"] != 100e6 {
		t.Fatalf("proposal %s", describe(c))
	}
	cfg := b.want(messages.InitializationRequestConfig, nil, messages.InitializationConfig).(*messages.InitializationConfigContent)
	q := cfg.Config["frame"].(map[string]any)["quantum"].(map[string]any)
	p["symbol_rate"] = q["symbol_rate"]
	b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: frame, Parameters: p}, messages.InitializationAccepted)
	// A frame UUID accepted once is never accepted again, even in another session.
	b.initialize()
	b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: b.frame}, messages.InitializationDenied)
	other := h.bob()
	other.identify()
	other.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: b.frame}, messages.InitializationDenied)
	// A frame UUID whose key exists is refused.
	id := uuid.New()
	if _, err := h.keys.Write(id, []byte{1}); err != nil {
		t.Fatal(err)
	}
	b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: id}, messages.InitializationDenied)
	// Deny mode.
	b.want(messages.ChangeParameterRequest, &messages.ChangeParameterRequestContent{Parameter: "alice.negotiation.mode", Value: "deny"}, messages.ParameterChanged)
	p["num_symbols"] = 12345
	d := b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: uuid.New(), Parameters: p}, messages.InitializationDenied).(*messages.InitializationDeniedContent)
	if !strings.Contains(d.DenyMessage, "num_symbols") {
		t.Fatalf("deny message %q", d.DenyMessage)
	}
	// Unknown extra parameters are ignored; absent ones take Alice's values.
	b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: uuid.New(), Parameters: map[string]any{"colour": "blue"}}, messages.InitializationAccepted)
}

// CHANGE_PARAMETER_REQUEST through the wire: the four answers, and a change
// applies to the next frame.
func TestChangeParameterOverTheWire(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	ch := b.want(messages.ChangeParameterRequest, &messages.ChangeParameterRequestContent{Parameter: "frame.quantum.num_symbols", Value: 10000.0}, messages.ParameterChanged).(*messages.ParameterChangedContent)
	if ch.Parameter != "frame.quantum.num_symbols" || ch.OldValue != float64(12000) || ch.NewValue != float64(10000) {
		t.Fatalf("PARAMETER_CHANGED %s", describe(ch))
	}
	b.want(messages.ChangeParameterRequest, &messages.ChangeParameterRequestContent{Parameter: "frame.quantum.nope", Value: 1.0}, messages.ParameterUnkown)
	iv := b.want(messages.ChangeParameterRequest, &messages.ChangeParameterRequestContent{Parameter: "frame.quantum.roll_off", Value: 7.0}, messages.ParameterInvalidValue).(*messages.ParameterInvalidValueContent)
	if iv.ErrorMessage == "" || iv.OldValue != 0.5 {
		t.Fatalf("PARAMETER_INVALID_VALUE %s", describe(iv))
	}
	b.want(messages.ChangeParameterRequest, &messages.ChangeParameterRequestContent{Parameter: "simulation.transmittance", Value: 0.1}, messages.ParameterUnchanged)
	h.cfg.Frame.Quantum.NumSymbols = 10000 // the harness's Bob follows
	b.initialize()
	b.qie()
	if len(b.yRaw) != 10000 {
		t.Fatalf("frame of %d symbols after the change", len(b.yRaw))
	}
}

// Derived answers seen through Alice: unknown code, unexpected code,
// invalid content; the chain stays intact after each.
func TestDerivedAnswers(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	c := b.want(messages.Code(1000), nil, messages.UnkownCommand).(*messages.UnkownCommandContent)
	if c.Command != 1000 {
		t.Fatalf("UNKOWN_COMMAND code %d", c.Command)
	}
	u := b.want(messages.QIETrigger, nil, messages.UnexpectedCommand).(*messages.UnexpectedCommandContent)
	if u.Command != messages.QIETrigger || !strings.Contains(u.ErrorMessage, "connected") {
		t.Fatalf("UNEXPECTED_COMMAND %s", describe(u))
	}
	b.want(messages.IdentificationResponse, &messages.IdentificationResponseContent{SerialNumber: "x"}, messages.UnexpectedCommand)
	ic := b.want(messages.IdentificationRequest, []byte(`{"serial_number": 3, "qosst_version": "QOSST/0.2"}`), messages.InvalidContent).(*messages.InvalidContentContent)
	if ic.Command != messages.IdentificationRequest || !strings.Contains(ic.ErrorMessage, "serial_number") {
		t.Fatalf("INVALID_CONTENT %s", describe(ic))
	}
	v := b.want(messages.IdentificationRequest, &messages.IdentificationRequestContent{SerialNumber: "b", QOSSTVersion: "QOSST/0.1"}, messages.InvalidQOSSTVersion).(*messages.InvalidQOSSTVersionContent)
	if v.QOSSTVersion != "QOSST/0.2" {
		t.Fatalf("INVALID_QOSST_VERSION %s", describe(v))
	}
	b.identify()
	b.want(messages.InitializationRequest, []byte(`{"frame_uuid": "not-a-uuid"}`), messages.InvalidContent)
	b.initialize()
	b.want(messages.PESymbolsRequest, &messages.PESymbolsRequestContent{Indices: []int{1}}, messages.UnexpectedCommand)
	b.want(messages.InvalidResponse, &messages.InvalidResponseContent{ErrorMessage: "test"}, messages.InvalidResponseAck)
	b.qie() // the frame survived every derived answer
}

// steps drive a fresh session to each state; abortIn and disconnectIn use
// them to reach every state.
var steps = []struct {
	state string
	run   func(b *bob)
}{
	{"connected", func(b *bob) {}},
	{"identified", func(b *bob) { b.identify() }},
	{"initialized", func(b *bob) { b.identify(); b.initialize() }},
	{"polarising", func(b *bob) {
		b.identify()
		b.initialize()
		b.want(messages.RequestPolarisationRecovery, nil, messages.PolarisationRecoveryAck)
	}},
	{"qie_ready", func(b *bob) {
		b.identify()
		b.initialize()
		b.want(messages.QIERequest, nil, messages.QIEReady)
	}},
	{"emitting", func(b *bob) {
		b.identify()
		b.initialize()
		b.want(messages.QIERequest, nil, messages.QIEReady)
		b.want(messages.QIETrigger, nil, messages.QIEEmissionStarted)
	}},
	{"pe", func(b *bob) { b.identify(); b.initialize(); b.qie() }},
	{"pe_approved", toPEApproved},
	{"ec", func(b *bob) { toPEApproved(b); b.ecInit() }},
	{"ec_done", toECDone},
	{"pa_done", func(b *bob) {
		toECDone(b)
		req, _ := b.paRequest(0)
		b.want(messages.PARequest, req, messages.PASuccess)
	}},
}

func toPEApproved(b *bob) {
	b.identify()
	b.initialize()
	b.qie()
	if got := b.pe(2, 0.1, nil); got != messages.PEApproved {
		b.t.Fatalf("PE answered %s", got)
	}
}

func toECDone(b *bob) { toPEApproved(b); b.ecInit(); b.ecBlocks(); b.ecVerify() }

// ABORT in every state is acknowledged, drops the frame and gives the
// emitter back: the same session (identified again when it was) starts a
// new frame through QIE.
func TestAbortInEveryState(t *testing.T) {
	h := newHarness(t, "pipe")
	for _, st := range steps {
		t.Run(st.state, func(t *testing.T) {
			b := h.bob()
			b.t = t
			st.run(b)
			b.want(messages.Abort, &messages.AbortContent{AbortMessage: "test abort"}, messages.AbortAck)
			if st.state == "connected" {
				b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: uuid.New()}, messages.UnexpectedCommand)
				b.identify()
			}
			// Frame dropped: no frame-phase request is legal.
			b.want(messages.QIETrigger, nil, messages.UnexpectedCommand)
			b.initialize()
			b.want(messages.QIERequest, nil, messages.QIEReady) // the emitter is free
			b.want(messages.Abort, nil, messages.AbortAck)
			b.want(messages.Disconnection, nil, messages.DisconnectionAck)
		})
	}
}

// A peer that disconnects in any state leaves nothing behind: the server
// keeps serving another session, the emitter is free, and the goroutine
// count returns to its baseline.
func TestDisconnectInEveryState(t *testing.T) {
	for _, network := range []string{"pipe", "tcp"} {
		t.Run(network, func(t *testing.T) {
			h := newHarness(t, network, func(s *setup) { s.cfg.Timeouts.EmitterWait.Duration = 10 * time.Second })
			other := h.bob()
			other.identify()
			base := numGoroutine()
			for _, st := range steps {
				b := h.bob()
				b.t = t
				st.run(b)
				b.s.Close()
				// The session ends (and so gives the emitter back), then
				// every goroutine it had is gone.
				h.sessions.wait(t, 1)
				waitGoroutines(t, base)
				// The other session is still served, and the emitter is free.
				other.initialize()
				other.want(messages.QIERequest, nil, messages.QIEReady)
				other.want(messages.Abort, nil, messages.AbortAck)
			}
			if n := h.srv.Sessions(); n != 1 {
				t.Fatalf("%d sessions, want 1", n)
			}
		})
	}
}

// authRejected sends code in a frame whose signed digest is corrupted and
// checks that Alice answers AUTHENTICATION_INVALID. Alice's answer cannot
// echo the rejected frame's challenge, so Bob's session flags it too; the
// code is read from the unverified header.
func (b *bob) authRejected(code messages.Code) {
	b.t.Helper()
	b.conn.armed.Store(true)
	if err := b.s.Send(code, nil); err != nil {
		b.t.Fatal(err)
	}
	m, err := b.s.Recv()
	if err != nil && !errors.Is(err, messages.ErrAuthentication) {
		b.t.Fatalf("answer to a tampered %s: %v", code, err)
	}
	if m.Code != messages.AuthenticationInvalid {
		b.t.Fatalf("tampered %s answered %s", code, m.Code)
	}
}

// Authentication failure mid-frame: AUTHENTICATION_INVALID, the frame is
// dropped and the emitter released, the peer must identify again; after
// max_failures in a row the session closes.
func TestAuthenticationFailureMidFrame(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	b.initialize()
	b.want(messages.QIERequest, nil, messages.QIEReady)
	b.authRejected(messages.QIETrigger)
	// A second tampered frame in a row is refused the same way.
	b.authRejected(messages.QIETrigger)
	b.identify()
	b.want(messages.QIETrigger, nil, messages.UnexpectedCommand) // the frame is gone
	b.initialize()
	b.want(messages.QIERequest, nil, messages.QIEReady) // the emitter was released
	for i := 0; i < h.cfg.Authentication.MaxFailures; i++ {
		b.authRejected(messages.QIETrigger)
	}
	if _, err := b.s.Recv(); !errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("session not closed after %d authentication failures in a row: %v", h.cfg.Authentication.MaxFailures, err)
	}
	// Alice keeps serving others.
	other := h.bob()
	other.identify()
	other.initialize()
	other.want(messages.QIERequest, nil, messages.QIEReady)
}

// Two sessions: while one holds the emitter (QIE_REQUEST to QIE_ENDED),
// the other's QIE_REQUEST waits timeouts.emitter_wait and gets ABORT with a
// reason; once the first releases it, the second gets the emitter, even
// when the release happens while it waits.
func TestQIEExclusivity(t *testing.T) {
	h := newHarness(t, "pipe")
	a, b := h.bob(), h.bob()
	a.identify()
	b.identify()
	a.initialize()
	b.initialize()
	a.want(messages.QIERequest, nil, messages.QIEReady)
	start := time.Now()
	got, c := b.raw(messages.QIERequest, nil)
	if got != messages.Abort || !strings.Contains(c.(*messages.AbortContent).AbortMessage, "emitter busy") {
		t.Fatalf("second QIE_REQUEST answered %s (%s)", got, describe(c))
	}
	if w := time.Since(start); w < h.cfg.Timeouts.EmitterWait.Duration {
		t.Fatalf("ABORT after %v, before emitter_wait %v", w, h.cfg.Timeouts.EmitterWait.Duration)
	}
	// b is back in identified (frame dropped); a carries on.
	a.want(messages.QIETrigger, nil, messages.QIEEmissionStarted)
	// b waits while a finishes the exchange (a longer wait, taken by b's
	// next INITIALIZATION, so that a slow machine does not time it out).
	b.want(messages.ChangeParameterRequest, &messages.ChangeParameterRequestContent{Parameter: "timeouts.emitter_wait", Value: "20s"}, messages.ParameterChanged)
	b.initialize()
	waiting := make(chan struct{})
	h.srv.emitterWaiting = func() { close(waiting) }
	done := make(chan messages.Code, 1)
	go func() {
		if err := b.s.Send(messages.QIERequest, nil); err != nil {
			done <- 0
			return
		}
		m, err := b.s.Recv()
		if err != nil {
			done <- 0
			return
		}
		done <- m.Code
	}()
	<-waiting // b's QIE_REQUEST waits for the emitter
	a.want(messages.QIEAcquisitionEnded, nil, messages.QIEEnded)
	if got := <-done; got != messages.QIEReady {
		t.Fatalf("waiting QIE_REQUEST answered %s after the emitter was released", got)
	}
}

// A hardware error inside a handler becomes ABORT to that peer with the
// reason; the server keeps serving.
func TestHardwareErrorAborts(t *testing.T) {
	h := newHarness(t, "pipe", func(s *setup) {
		s.sim.Faults = []sim.Fault{{Op: sim.OpPrepare, Call: 1}, {Op: sim.OpStartEmission, Call: 1}}
	})
	b := h.bob()
	b.identify()
	b.initialize()
	got, c := b.raw(messages.QIERequest, nil)
	if got != messages.Abort || !strings.Contains(c.(*messages.AbortContent).AbortMessage, "injected fault") {
		t.Fatalf("QIE_REQUEST with a failing emitter answered %s (%s)", got, describe(c))
	}
	b.initialize()
	b.want(messages.QIERequest, nil, messages.QIEReady)
	got, c = b.raw(messages.QIETrigger, nil)
	if got != messages.Abort {
		t.Fatalf("QIE_TRIGGER with a failing emitter answered %s (%s)", got, describe(c))
	}
	// The emitter was given back and the session goes on.
	other := h.bob()
	other.identify()
	other.initialize()
	other.want(messages.QIERequest, nil, messages.QIEReady)
}

// panicky is an emitter whose photon-number measurement panics.
type panicky struct{ hardware.Emitter }

func (panicky) MeanPhotonNumber(context.Context) (float64, error) { panic("instrument driver bug") }

// A panic inside a handler becomes ABORT to that peer and a log line, never
// a dead server; the emitter is given back.
func TestPanicInHandlerAborts(t *testing.T) {
	h := newHarness(t, "pipe", func(s *setup) {
		s.wrap = func(e hardware.Emitter) hardware.Emitter { return panicky{e} }
	})
	h.programmingErrors = 1 // the driver's panic
	b := h.bob()
	b.identify()
	b.initialize()
	b.want(messages.QIERequest, nil, messages.QIEReady)
	b.want(messages.QIETrigger, nil, messages.QIEEmissionStarted)
	got, c := b.raw(messages.QIEAcquisitionEnded, nil)
	if got != messages.Abort {
		t.Fatalf("QIE_ACQUISITION_ENDED with a panicking driver answered %s (%s)", got, describe(c))
	}
	other := h.bob()
	other.identify()
	other.initialize()
	other.want(messages.QIERequest, nil, messages.QIEReady)
	if h.emitter.Emitting() {
		t.Fatal("emission still on after the abort")
	}
}

// PA_ERROR when Bob asks for more secret bits than Alice computes from the
// same measured quantities; a fitting request then succeeds.
func TestPAErrorWhenKeyTooLong(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	toECDone(b)
	req, _ := b.paRequest(1)
	c := b.want(messages.PARequest, req, messages.PAError).(*messages.PAErrorContent)
	if !strings.Contains(c.ErrorMessage, "exceeds") {
		t.Fatalf("PA_ERROR %q", c.ErrorMessage)
	}
	req, _ = b.paRequest(0)
	b.want(messages.PARequest, req, messages.PASuccess)
}

// Serve stops when its context ends, closing every session.
func TestServeStops(t *testing.T) {
	h := newHarness(t, "tcp")
	b := h.bob()
	b.identify()
	h.stop()
	if _, err := b.s.Recv(); err == nil {
		t.Fatal("session still open after the server stopped")
	}
	// Serve closed its listener. (Dialing its address is no proof: under
	// the race detector another test's listener took the freed port, and
	// the dial succeeded.) The deadline makes a listener left open fail the
	// test after a second rather than hang it.
	_ = h.ln.(*net.TCPListener).SetDeadline(time.Now().Add(time.Second))
	if c, err := h.ln.Accept(); !errors.Is(err, net.ErrClosed) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("listener still open after stop: Accept returned %v", err)
	}
}

// slowPrepare is an emitter whose Prepare says when it starts, then takes
// delay, or hangs until its context ends when delay is 0.
type slowPrepare struct {
	hardware.Emitter
	started chan struct{}
	delay   time.Duration
}

func (s slowPrepare) Prepare(ctx context.Context, spec hardware.FrameSpec) ([]complex128, error) {
	s.started <- struct{}{}
	if s.delay == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	time.Sleep(s.delay)
	return s.Emitter.Prepare(ctx, spec)
}

// A stop while a request is being handled lets Alice answer it before the
// session closes; the emitter is given back.
func TestGracefulStopAnswersRequestInProgress(t *testing.T) {
	started := make(chan struct{}, 1)
	h := newHarness(t, "tcp", func(s *setup) {
		s.wrap = func(e hardware.Emitter) hardware.Emitter {
			return slowPrepare{Emitter: e, started: started, delay: 300 * time.Millisecond}
		}
	})
	b := h.bob()
	b.identify()
	b.initialize()
	if err := b.s.Send(messages.QIERequest, nil); err != nil {
		t.Fatal(err)
	}
	<-started
	stopped := make(chan struct{})
	go func() { h.stop(); close(stopped) }()
	m, err := b.s.Recv()
	if err != nil || m.Code != messages.QIEReady {
		t.Fatalf("request in progress at stop: %v %s", err, m.Code)
	}
	<-stopped
	if _, err := b.s.Recv(); err == nil {
		t.Fatal("session open after stop")
	}
	if h.emitter.Emitting() {
		t.Fatal("emitter still emitting")
	}
	select {
	case h.srv.emitter <- struct{}{}:
	default:
		t.Fatal("emitter still held after stop")
	}
}

// A frame whose integrity holds but whose content is not JSON is answered
// INVALID_CONTENT naming its code; the session goes on.
func TestUnreadableContent(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	c := b.want(messages.IdentificationRequest, []byte(`{"serial_number": "b", "qosst_version"`), messages.InvalidContent).(*messages.InvalidContentContent)
	if c.Command != messages.IdentificationRequest {
		t.Fatalf("INVALID_CONTENT for code %d", c.Command)
	}
	b.identify()
}

// Beyond alice.max_sessions identified sessions, an identification is
// answered ABORT "server busy" and the connection closed; the sessions
// being served are not disturbed.
func TestMaxSessions(t *testing.T) {
	h := newHarness(t, "tcp", func(s *setup) { s.cfg.Alice.MaxSessions = 1 })
	a := h.bob()
	a.identify()
	extra := h.bob()
	got, c := extra.raw(messages.IdentificationRequest, &messages.IdentificationRequestContent{SerialNumber: "extra", QOSSTVersion: messages.QOSSTVersion})
	if got != messages.Abort || !strings.Contains(c.(*messages.AbortContent).AbortMessage, "server busy") {
		t.Fatalf("identification beyond max_sessions answered %s (%s)", got, describe(c))
	}
	if m, err := extra.s.Recv(); err == nil {
		t.Fatalf("refused connection still open: %s", m.Code)
	}
	a.initialize()
	a.want(messages.Disconnection, nil, messages.DisconnectionAck)
	// Once a session ends, a new one is served.
	h.sessions.wait(t, 0)
	h.bob().identify()
}

// A frame that outlives timeouts.frame is aborted at its next request
// (here timeouts.frame is 1 ns: any later request comes too late).
func TestFrameTimeout(t *testing.T) {
	h := newHarness(t, "pipe", func(s *setup) { s.cfg.Timeouts.Frame.Duration = time.Nanosecond })
	b := h.bob()
	b.identify()
	b.initialize()
	got, c := b.raw(messages.QIERequest, nil)
	if got != messages.Abort || !strings.Contains(c.(*messages.AbortContent).AbortMessage, "timeouts.frame") {
		t.Fatalf("late QIE_REQUEST answered %s (%s)", got, describe(c))
	}
	b.want(messages.QIETrigger, nil, messages.UnexpectedCommand) // the frame was dropped
}

// A request still being handled when the stop's grace period is over (here
// a preparation that hangs) is cut short: Serve returns after the grace
// period and the session closes.
func TestStopCutsHandlersAfterGrace(t *testing.T) {
	started := make(chan struct{}, 1)
	h := newHarness(t, "tcp", func(s *setup) {
		s.wrap = func(e hardware.Emitter) hardware.Emitter { return slowPrepare{Emitter: e, started: started} }
		s.stopGrace = 200 * time.Millisecond
	})
	b := h.bob()
	b.identify()
	b.initialize()
	if err := b.s.Send(messages.QIERequest, nil); err != nil {
		t.Fatal(err)
	}
	<-started
	start := time.Now()
	h.stop()
	d := time.Since(start)
	if d < 200*time.Millisecond || d > 10*time.Second {
		t.Fatalf("stop took %v with a 200ms grace period", d)
	}
	if m, err := b.s.Recv(); err == nil {
		t.Fatalf("hung request answered %s after stop", m.Code)
	}
}

// With a shared HMAC-SHA256 key, a peer holding the key runs a frame; a
// peer with another key is answered AUTHENTICATION_INVALID and never
// identified.
func TestHMACAuthenticator(t *testing.T) {
	key := bytes.Repeat([]byte{0x5a}, 32)
	alice, err := auth.NewHMAC(key)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "tcp", func(s *setup) { s.auth = alice })
	b := h.bob()
	b.identify()
	b.fullFrame()
	other, _ := auth.NewHMAC(bytes.Repeat([]byte{0xa5}, 32))
	m := h.bobWith(other)
	if err := m.s.Send(messages.IdentificationRequest, nil); err != nil {
		t.Fatal(err)
	}
	msg, err := m.s.Recv()
	if !errors.Is(err, messages.ErrAuthentication) || msg.Code != messages.AuthenticationInvalid {
		t.Fatalf("peer with another key: %s %v", msg.Code, err)
	}
}
