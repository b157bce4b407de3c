package bob

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
)

// refAlice is a server written from PROTOCOL-NOTES.md that behaves like
// qosst-alice 0.10: boolean flags rather than a state machine, identification,
// initialization (accepts anything), QIE, PE (symbols, n_photon, PE_FINISHED
// denied when key_rate <= 0), ABORT, DISCONNECTION, INVALID_RESPONSE; and
// UNEXPECTED_COMMAND to everything it never implemented:
// INITIALIZATION_REQUEST_CONFIG, error correction and privacy amplification.
type refAlice struct {
	t    testing.TB
	sc   sim.Config
	mu   sync.Mutex
	log  []messages.Code // requests received
	done chan struct{}
}

func startRefAlice(t testing.TB, c *config.Config, l net.Listener) *refAlice {
	r := &refAlice{t: t, sc: station.SimConfig(c), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); r.serve(ctx, conn) }()
		}
	}()
	t.Cleanup(func() { cancel(); l.Close(); wg.Wait() })
	return r
}

func (r *refAlice) requests() []messages.Code {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]messages.Code(nil), r.log...)
}

func (r *refAlice) serve(ctx context.Context, conn net.Conn) {
	s := transport.NewSession(conn, transport.Options{IdleTimeout: 30 * time.Second})
	defer s.Close()
	var (
		identified, initialized, qieReady, emitting, pe bool
		frame                                           uuid.UUID
		symbols                                         []complex128
	)
	send := func(code messages.Code, c messages.Content) {
		var raw []byte
		if c != nil {
			var err error
			if raw, err = messages.EncodeContent(c); err != nil {
				r.t.Errorf("ref alice: %v", err)
			}
		}
		s.SendContext(ctx, code, raw)
	}
	unexpected := func(code messages.Code) {
		send(messages.UnexpectedCommand, &messages.UnexpectedCommandContent{Command: code, ErrorMessage: "unexpected"})
	}
	for {
		m, err := s.RecvContext(ctx)
		if err != nil {
			return
		}
		r.mu.Lock()
		r.log = append(r.log, m.Code)
		r.mu.Unlock()
		c, err := messages.DecodeContent(m.Code, m.Content)
		if err != nil {
			send(messages.InvalidContent, &messages.InvalidContentContent{Command: m.Code, ErrorMessage: err.Error()})
			continue
		}
		switch m.Code {
		case messages.IdentificationRequest:
			identified = true
			send(messages.IdentificationResponse, &messages.IdentificationResponseContent{SerialNumber: "ref-alice"})
		case messages.InitializationRequest:
			if !identified {
				unexpected(m.Code)
				continue
			}
			frame = c.(*messages.InitializationRequestContent).FrameUUID
			initialized = true
			send(messages.InitializationAccepted, nil)
		case messages.QIERequest:
			if !initialized {
				unexpected(m.Code)
				continue
			}
			spec := r.sc.Spec(frame)
			symbols, err = sim.Symbols(ctx, r.sc.LinkSeed, spec)
			if err != nil {
				send(messages.Abort, &messages.AbortContent{AbortMessage: err.Error()})
				continue
			}
			qieReady = true
			send(messages.QIEReady, nil)
		case messages.QIETrigger:
			if !qieReady {
				unexpected(m.Code)
				continue
			}
			emitting = true
			send(messages.QIEEmissionStarted, nil)
		case messages.QIEAcquisitionEnded:
			if !emitting {
				unexpected(m.Code)
				continue
			}
			pe = true
			send(messages.QIEEnded, nil)
		case messages.PESymbolsRequest:
			if !pe {
				unexpected(m.Code)
				continue
			}
			idx := c.(*messages.PESymbolsRequestContent).Indices
			out := make([]complex128, len(idx))
			for i, j := range idx {
				out[i] = symbols[j]
			}
			send(messages.PESymbolsResponse, messages.NewPESymbolsResponse(out))
		case messages.PENphotonRequest:
			send(messages.PENphotonResponse, &messages.PENphotonResponseContent{NPhoton: r.sc.Va / 2})
		case messages.PEFinished:
			if c.(*messages.PEFinishedContent).KeyRate <= 0 {
				send(messages.PEDenied, &messages.PEDeniedContent{DenyMessage: "Key rate is null."})
				continue
			}
			send(messages.PEApproved, nil)
		case messages.Abort:
			initialized, qieReady, emitting, pe = false, false, false, false
			send(messages.AbortAck, nil)
		case messages.InvalidResponse:
			send(messages.InvalidResponseAck, nil)
		case messages.Disconnection:
			send(messages.DisconnectionAck, nil)
			return
		default:
			// INITIALIZATION_REQUEST_CONFIG, EC_*, PA_*, FRAME_ENDED...
			unexpected(m.Code)
		}
	}
}

// Against a server behaving like qosst-alice, Bob gets through PE, learns at
// EC_INITIALIZATION that the peer lacks error correction, reports it, aborts
// the frame and disconnects cleanly. No key is written.
func TestInteropQosstAliceLacksEC(t *testing.T) {
	c := stationConfig()
	l, d := listen(t, "tcp")
	ref := startRefAlice(t, c, l)
	drv, bobKeys := newBob(t, c, d)
	sums, err := drv.Run(runCtx(t), 3)
	if !errors.Is(err, ErrPeerLacksEC) || !Fatal(err) {
		t.Fatalf("Run: %v, want ErrPeerLacksEC", err)
	}
	var pe *PhaseError
	if !errors.As(err, &pe) || pe.Phase != PhaseEC || pe.Request != messages.ECInitialization || pe.Response != messages.UnexpectedCommand {
		t.Errorf("error %v does not say EC_INITIALIZATION was refused", err)
	}
	if len(sums) != 1 || sums[0].Transmittance == 0 {
		t.Errorf("want one frame with parameter estimation done, got %d", len(sums))
	}
	reqs := ref.requests()
	want := []messages.Code{messages.PEFinished, messages.ECInitialization, messages.Abort, messages.Disconnection}
	if len(reqs) < len(want) {
		t.Fatalf("requests %v", reqs)
	}
	tail := reqs[len(reqs)-len(want):]
	for i := range want {
		if tail[i] != want[i] {
			t.Fatalf("request sequence ends %v, want %v", tail, want)
		}
	}
	noKeys(t, "Bob", bobKeys)
	if drv.State() != "closed" {
		t.Errorf("state %s after the run, want closed", drv.State())
	}
}

// Negotiation: Alice proposes her own values and Bob adopts them; Alice
// denies outright; Alice's proposal carries no values and Bob asks for her
// configuration; qosst-alice gives no configuration.
func TestNegotiation(t *testing.T) {
	t.Parallel() // its own Alice, link and key stores
	t.Run("proposal adopted", func(t *testing.T) {
		c := stationConfig()
		ac := c.Clone()
		ac.Frame.Quantum.NumSymbols = 50_000
		l, d := listen(t, "pipe")
		aliceKeys := startAlice(t, ac, l)
		drv, bobKeys := newBob(t, c, d)
		s, err := drv.RunFrame(runCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if s.Params.NumSymbols != 50_000 {
			t.Errorf("frame ran with %d symbols, want Alice's 50000", s.Params.NumSymbols)
		}
		checkKeys(t, s, aliceKeys, bobKeys)
	})
	t.Run("proposal outside Bob's policy", func(t *testing.T) {
		c := stationConfig()
		ac := c.Clone()
		ac.Frame.Quantum.NumSymbols = 50_000
		l, d := listen(t, "pipe")
		startAlice(t, ac, l)
		drv, _ := newBob(t, c, d, func(o *Options) { o.Config.Policy.MaxSymbols = 45_000 })
		_, err := drv.RunFrame(runCtx(t))
		if !errors.Is(err, ErrInitializationDenied) {
			t.Fatalf("RunFrame: %v, want ErrInitializationDenied", err)
		}
	})
	t.Run("denied", func(t *testing.T) {
		c := stationConfig()
		ac := c.Clone()
		ac.Frame.Quantum.NumSymbols = 50_000
		ac.Alice.Negotiation.Mode = config.NegotiateDeny
		l, d := listen(t, "pipe")
		startAlice(t, ac, l)
		drv, _ := newBob(t, c, d)
		sums, err := drv.Run(runCtx(t), 3)
		if !errors.Is(err, ErrInitializationDenied) {
			t.Fatalf("Run: %v, want ErrInitializationDenied", err)
		}
		var pe *PhaseError
		if !errors.As(err, &pe) || pe.Response != messages.InitializationDenied || pe.Message == "" {
			t.Errorf("error %v does not carry Alice's deny message", err)
		}
		if len(sums) != 1 {
			t.Errorf("%d frames attempted", len(sums))
		}
	})
	t.Run("configuration requested", func(t *testing.T) {
		c := stationConfig()
		ac := c.Clone()
		ac.Frame.Quantum.NumSymbols = 50_000
		l, d := listen(t, "pipe")
		aliceKeys := startAlice(t, ac, l)
		p := newProxy(t, d, func(m transport.Message, seen int) action {
			if m.Code != messages.InitializationRequest {
				return action{}
			}
			return action{rewrite: func(a transport.Message) (messages.Code, []byte) {
				if a.Code == messages.InitializationProposal {
					return a.Code, []byte(`{"deny_message": "ask me"}`)
				}
				return a.Code, a.Content
			}}
		})
		drv, bobKeys := newBob(t, c, p.pipe)
		s, err := drv.RunFrame(runCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if p.count(messages.InitializationRequestConfig) != 1 || p.count(messages.InitializationRequest) != 2 {
			t.Errorf("requests %v", p.requests())
		}
		if s.Params.NumSymbols != 50_000 {
			t.Errorf("frame ran with %d symbols, want Alice's 50000", s.Params.NumSymbols)
		}
		checkKeys(t, s, aliceKeys, bobKeys)
	})
	t.Run("qosst-alice gives no configuration", func(t *testing.T) {
		c := stationConfig()
		l, d := listen(t, "pipe")
		ref := startRefAlice(t, c, l)
		p := newProxy(t, d, func(m transport.Message, seen int) action {
			if m.Code == messages.InitializationRequest {
				return action{kind: reply, code: messages.InitializationProposal, content: []byte(`{"deny_message": "no"}`)}
			}
			return action{}
		})
		drv, _ := newBob(t, c, p.pipe)
		_, err := drv.RunFrame(runCtx(t))
		if !errors.Is(err, ErrInitializationDenied) || !errors.Is(err, ErrPeerRefused) {
			t.Fatalf("RunFrame: %v, want ErrInitializationDenied from a refusal", err)
		}
		if n := indexOf(ref.requests(), messages.InitializationRequestConfig); n < 0 {
			t.Errorf("Bob never asked for the configuration: %v", ref.requests())
		}
	})
}
