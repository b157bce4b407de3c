package alice

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
)

// testConfig is a small, fast frame on a good simulated link.
func testConfig() *config.Config {
	c := config.Default()
	c.SerialNumber = "alice-test"
	c.Frame.Quantum.NumSymbols = 12_000
	c.Simulation.Transmittance = 0.95
	c.Simulation.ExcessNoise = 0.005
	c.Simulation.Eta = 0.9
	c.Simulation.ElectronicNoise = 0.01
	c.Simulation.CalibrationSamples = 1 << 12
	c.Timeouts.EmitterWait = config.Duration{Duration: 300 * time.Millisecond}
	return c
}

type harness struct {
	t       testing.TB
	cfg     *config.Config
	srv     *Server
	emitter *sim.Emitter
	// photonScale is the ratio of the emitter's measured <n> to Va/2.
	photonScale float64
	keys        *keystore.Store
	dialer      transport.Dialer
	addr        string
	// ln is the listener Serve was given.
	ln     net.Listener
	auth   messages.Authenticator
	cancel context.CancelFunc
	done   chan error
	// sessions follows the number of sessions Alice serves.
	sessions *sessionCounter
	// programmingErrors is how many programming errors the test provokes
	// on purpose (a panicking driver); any other count fails it.
	programmingErrors uint64
}

// setup is what a harness option may change before Alice starts.
type setup struct {
	cfg  *config.Config
	sim  *sim.Config
	wrap func(hardware.Emitter) hardware.Emitter
	// stopGrace is Options.StopGrace.
	stopGrace time.Duration
	// auth is Alice's authenticator and the test clients' (nil: None).
	auth messages.Authenticator
	// photonScale, when not 0, scales the mean photon number the emitter
	// measures: an emitter whose measured <n> departs from the nominal
	// Va/2, as on instruments.
	photonScale float64
	// log, when set, receives Alice's log at info level instead of the
	// test log at warn level.
	log io.Writer
}

type harnessOpt func(*setup)

// scaledPhotons is an emitter whose measured mean photon number is scale
// times the one of the emitter it wraps.
type scaledPhotons struct {
	hardware.Emitter
	scale float64
}

func (e scaledPhotons) MeanPhotonNumber(ctx context.Context) (float64, error) {
	n, err := e.Emitter.MeanPhotonNumber(ctx)
	return n * e.scale, err
}

// newHarness starts Alice on a pipe ("pipe") or loopback TCP ("tcp").
func newHarness(t testing.TB, network string, opts ...harnessOpt) *harness {
	t.Helper()
	cfg := testConfig()
	sc := station.SimConfig(cfg)
	su := &setup{cfg: cfg, sim: &sc}
	for _, o := range opts {
		o(su)
	}
	em, err := sim.NewEmitter(sc)
	if err != nil {
		t.Fatal(err)
	}
	var emitter hardware.Emitter = em
	if su.photonScale == 0 {
		su.photonScale = 1
	} else {
		emitter = scaledPhotons{Emitter: emitter, scale: su.photonScale}
	}
	if su.wrap != nil {
		emitter = su.wrap(em)
	}
	keys, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sessions := &sessionCounter{changed: make(chan struct{})}
	logger := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	if su.log != nil {
		logger = zerolog.New(su.log).Level(zerolog.InfoLevel)
	}
	srv, err := New(Options{Config: cfg, Emitter: emitter, Keys: keys, StopGrace: su.stopGrace, Authenticator: su.auth,
		Logger: logger, Observer: sessions})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, cfg: cfg, srv: srv, emitter: em, keys: keys, auth: su.auth, photonScale: su.photonScale, done: make(chan error, 1), sessions: sessions}
	var l net.Listener
	switch network {
	case "pipe":
		p := transport.NewPipe()
		l, h.dialer, h.addr = p, p, "pipe"
	case "tcp":
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, h.addr = tl, tl.Addr().String()
		h.dialer = transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", h.addr)
		})
	default:
		t.Fatalf("network %q", network)
	}
	h.ln = l
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- srv.Serve(ctx, l) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Serve: %v", err)
		}
		if n := h.srv.ProgrammingErrors(); n != h.programmingErrors {
			h.t.Errorf("%d programming errors, want %d (a handler broke what the table guarantees; see the log)", n, h.programmingErrors)
		}
	case <-time.After(10 * time.Second):
		h.t.Error("server did not stop")
	}
	h.emitter.Close()
}

// corruptConn flips a bit of the signed digest of the next frame written
// when armed (its first write holds the lengths and the digest).
type corruptConn struct {
	net.Conn
	armed atomic.Bool
}

func (c *corruptConn) Write(p []byte) (int, error) {
	if len(p) > 4 && c.armed.CompareAndSwap(true, false) {
		q := append([]byte(nil), p...)
		q[4] ^= 0x01
		return c.Conn.Write(q)
	}
	return c.Conn.Write(p)
}

// bob is a test client behaving like qosst-bob: requests and their answers.
type bob struct {
	t    testing.TB
	h    *harness
	s    *transport.Session
	conn *corruptConn

	frame     uuid.UUID
	disclosed []int // indices disclosed in PE
	yRaw      []complex128
	recon     pp.BobSide
	key       []uint8
	params    pp.KeyRateParams
	reconOK   int
	announce  map[string]any // extra INITIALIZATION_REQUEST parameters
	epsPA     float64        // ε_PA Bob sizes the key with (0: the default)
	// echo is the n_photon Bob announces in PE_FINISHED given the one
	// Alice answered (nil: echoed unchanged, as qosst-bob does).
	echo func(nPhoton float64) float64
	// peAnswer is the content of Alice's answer to PE_FINISHED.
	peAnswer messages.Content
}

func (h *harness) bob() *bob { return h.bobWith(h.auth) }

// bobWith is a client signing and verifying with a (nil: None).
func (h *harness) bobWith(a messages.Authenticator) *bob {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := h.dialer.DialContext(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	cc := &corruptConn{Conn: c}
	s := transport.NewSession(cc, transport.Options{IdleTimeout: 30 * time.Second, Authenticator: a})
	b := &bob{t: h.t, h: h, s: s, conn: cc}
	h.t.Cleanup(func() { s.Close() })
	return b
}

// raw sends code with content (a messages.Content, raw JSON bytes, or nil)
// and returns the answer.
func (b *bob) raw(code messages.Code, content any) (messages.Code, messages.Content) {
	b.t.Helper()
	var data []byte
	switch c := content.(type) {
	case nil:
	case []byte:
		data = c
	case messages.Content:
		var err error
		data, err = messages.EncodeContent(c)
		if err != nil {
			b.t.Fatalf("encode %s: %v", code, err)
		}
	default:
		var err error
		data, err = json.Marshal(c)
		if err != nil {
			b.t.Fatal(err)
		}
	}
	if err := b.s.Send(code, data); err != nil {
		b.t.Fatalf("send %s: %v", code, err)
	}
	m, err := b.s.Recv()
	if err != nil {
		b.t.Fatalf("answer to %s: %v", code, err)
	}
	ac, err := messages.DecodeContent(m.Code, m.Content)
	if err != nil {
		b.t.Fatalf("answer %s to %s: content %s: %v", m.Code, code, m.Content, err)
	}
	return m.Code, ac
}

// want sends a request and fails unless the answer is want.
func (b *bob) want(code messages.Code, content any, want messages.Code) messages.Content {
	b.t.Helper()
	got, c := b.raw(code, content)
	if got != want {
		b.t.Fatalf("%s answered %s (%s), want %s", code, got, describe(c), want)
	}
	return c
}

func describe(c messages.Content) string {
	if c == nil {
		return "no content"
	}
	data, _ := messages.EncodeContent(c)
	return string(data)
}

func (b *bob) identify() {
	b.t.Helper()
	c := b.want(messages.IdentificationRequest, &messages.IdentificationRequestContent{SerialNumber: "bob-test", QOSSTVersion: "QOSST/0.2"}, messages.IdentificationResponse)
	if sn := c.(*messages.IdentificationResponseContent).SerialNumber; sn != "alice-test" {
		b.t.Fatalf("Alice's serial number %q", sn)
	}
}

func (b *bob) frameParams() map[string]any {
	q := b.h.cfg.Frame.Quantum
	m := map[string]any{"num_symbols": q.NumSymbols, "symbol_rate": q.SymbolRate, "detection": "heterodyne", "variance": q.ModulationVariance}
	for k, v := range b.announce {
		m[k] = v
	}
	return m
}

func (b *bob) initialize() {
	b.t.Helper()
	b.frame = uuid.New()
	b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: b.frame, Parameters: b.frameParams()}, messages.InitializationAccepted)
}

// qie runs the quantum information exchange with QIE_REQUEST without
// content, as qosst-bob does, and measures with the simulated receiver.
func (b *bob) qie() {
	b.t.Helper()
	rc := station.SimConfig(b.h.cfg)
	rc.NoiseSeed = 7
	rx, err := sim.NewReceiver(rc)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rx.Close()
	spec := hardware.FrameSpec{UUID: b.frame, NumSymbols: b.h.cfg.Frame.Quantum.NumSymbols, SymbolRate: b.h.cfg.Frame.Quantum.SymbolRate,
		Detection: hardware.Heterodyne, Va: b.h.cfg.Frame.Quantum.ModulationVariance}
	b.want(messages.QIERequest, nil, messages.QIEReady)
	ctx := context.Background()
	if err := rx.Arm(ctx, spec); err != nil {
		b.t.Fatal(err)
	}
	b.want(messages.QIETrigger, nil, messages.QIEEmissionStarted)
	y, err := rx.Acquire(ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	b.yRaw = y
	b.want(messages.QIEAcquisitionEnded, nil, messages.QIEEnded)
}

// pe discloses ratio of the symbols in several requests, checks Alice's
// symbols against the link model, asks <n> and finishes with the true
// parameters of the simulated link and keyRate (computed when < 0 is not
// forced).
func (b *bob) pe(requests int, ratio float64, forceKeyRate *float64) messages.Code {
	b.t.Helper()
	n := b.h.cfg.Frame.Quantum.NumSymbols
	r := rand.New(rand.NewPCG(1, 2))
	perm := r.Perm(n)[:int(ratio*float64(n))]
	var xs []complex128
	for i := 0; i < requests; i++ {
		part := perm[i*len(perm)/requests : (i+1)*len(perm)/requests]
		c := b.want(messages.PESymbolsRequest, &messages.PESymbolsRequestContent{Indices: part}, messages.PESymbolsResponse).(*messages.PESymbolsResponseContent)
		if len(c.SymbolsReal) != len(part) || len(c.SymbolsImag) != len(part) {
			b.t.Fatalf("PE_SYMBOLS_RESPONSE of %d symbols for %d indices", len(c.SymbolsReal), len(part))
		}
		for j := range part {
			xs = append(xs, complex(float64(c.SymbolsReal[j]), float64(c.SymbolsImag[j])))
		}
	}
	b.disclosed = perm
	// Alice's symbols correlate with Bob's measurements as the link says.
	s := b.h.cfg.Simulation
	g := b.h.cfg.Simulation.Gain
	var cxy, cxx float64
	for j, idx := range perm {
		y := b.yRaw[idx] / complex(g, 0)
		cxy += real(xs[j])*real(y) + imag(xs[j])*imag(y)
		cxx += real(xs[j])*real(xs[j]) + imag(xs[j])*imag(xs[j])
	}
	slope := cxy / cxx
	stderr := math.Sqrt((1 + s.ElectronicNoise + s.Eta*s.Transmittance*s.ExcessNoise/2) / cxx)
	if want := math.Sqrt(s.Eta * s.Transmittance / 2); math.Abs(slope-want) > 6*stderr {
		b.t.Fatalf("disclosed symbols do not match Bob's measurements: slope %.3f, want %.3f ± %.3f", slope, want, stderr)
	}
	np := b.want(messages.PENphotonRequest, nil, messages.PENphotonResponse).(*messages.PENphotonResponseContent)
	if want := b.h.cfg.Frame.Quantum.ModulationVariance / 2 * b.h.photonScale; np.NPhoton != want {
		b.t.Fatalf("n_photon %v, the emitter measured %v", np.NPhoton, want)
	}
	b.params = pp.KeyRateParams{Detection: pp.Heterodyne, Trusted: true, Va: 2 * np.NPhoton, T: s.Transmittance,
		Xi: s.ExcessNoise, Eta: s.Eta, Vel: s.ElectronicNoise, Beta: 0.95}
	var kr float64
	if forceKeyRate != nil {
		kr = *forceKeyRate
	} else {
		r, err := pp.SecretKeyRate(b.params)
		if err != nil {
			b.t.Fatal(err)
		}
		kr = r * b.h.cfg.Frame.Quantum.SymbolRate
	}
	echo := np.NPhoton
	if b.echo != nil {
		echo = b.echo(np.NPhoton)
	}
	got, c := b.raw(messages.PEFinished, &messages.PEFinishedContent{NPhoton: echo, Transmittance: s.Transmittance,
		ExcessNoise: s.ExcessNoise, ElectronicNoise: s.ElectronicNoise, Eta: s.Eta, KeyRate: kr})
	b.peAnswer = c
	return got
}

// keySymbols returns Bob's key measurements in SNU: every index not
// disclosed, ascending.
func (b *bob) keyQuadratures() []float64 {
	dis := make([]bool, len(b.yRaw))
	for _, i := range b.disclosed {
		dis[i] = true
	}
	var y []complex128
	for i, v := range b.yRaw {
		if !dis[i] {
			y = append(y, v/complex(b.h.cfg.Simulation.Gain, 0))
		}
	}
	return pp.KeyQuadratures(y, pp.Heterodyne)
}

func (b *bob) ecInit() {
	b.t.Helper()
	y := b.keyQuadratures()
	snr, err := pp.SNR(b.params)
	if err != nil {
		b.t.Fatal(err)
	}
	ch, _ := pp.ChannelFromParams(b.params)
	plan, err := pp.PlanReconciliation(pp.PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: 3, MaxBlockLength: 1 << 13})
	if err != nil {
		b.t.Fatal(err)
	}
	b.recon, err = pp.NewBobReconciler(plan, y)
	if err != nil {
		b.t.Fatal(err)
	}
	b.want(messages.ECInitialization, &messages.ECInitializationContent{Noise: plan.Noise, Blocks: plan.Blocks, Reconciliation: plan.Scheme,
		LDPC: &messages.LDPCParams{N: plan.Code.N, K: plan.Code.K, ColumnWeight: plan.Code.ColumnWeight, Seed: plan.Code.Seed}}, messages.ECReady)
}

func (b *bob) ecBlocks() {
	b.t.Helper()
	for i := 0; i < b.recon.Stats().Blocks; i++ {
		syn, err := b.recon.Syndrome(i)
		if err != nil {
			b.t.Fatal(err)
		}
		got, c := b.raw(messages.ECBlock, messages.NewECBlock(i, syn))
		switch got {
		case messages.ECBlockAck:
			b.recon.Accept(i, true)
			b.reconOK++
		case messages.ECBlockError:
			b.recon.Accept(i, false)
		default:
			b.t.Fatalf("EC_BLOCK answered %s (%s)", got, describe(c))
		}
	}
	if b.reconOK == 0 {
		b.t.Fatal("no block reconciled")
	}
}

func (b *bob) ecVerify() {
	b.t.Helper()
	b.key = b.recon.Key()
	b.want(messages.ECVerification, &messages.ECVerificationContent{Hash: pp.VerificationHash(b.key)}, messages.ECVerificationSuccess)
}

// paRequest returns PA_REQUEST asking for length secret bits (the length
// Bob computes when length < 0) and the key Bob derives with it.
func (b *bob) paRequest(extra int) (*messages.PARequestContent, []uint8) {
	b.t.Helper()
	st := b.recon.Stats()
	l, _, err := pp.FinalKeyLength(pp.FinalKeyParams{ReconciledBits: st.KeyBits, SyndromeBits: st.LeakedBits, Estimate: b.params, EpsilonPA: b.epsPA})
	if err != nil {
		b.t.Fatalf("no secret key on the test link: %v", err)
	}
	l += extra
	params, err := pp.NewPAParams(nil, len(b.key), l)
	if err != nil {
		b.t.Fatal(err)
	}
	final, err := pp.PrivacyAmplify(b.key, params)
	if err != nil {
		b.t.Fatal(err)
	}
	return &messages.PARequestContent{Seed: params.Diagonals, SecretKeyLength: params.OutputBits, SubblockLength: params.InputBits, FeedbackPolynomial: []uint8{}}, final
}

// fullFrame runs a whole frame and returns Bob's final key.
func (b *bob) fullFrame() []uint8 {
	b.t.Helper()
	b.initialize()
	b.qie()
	if got := b.pe(4, 0.1, nil); got != messages.PEApproved {
		b.t.Fatalf("PE_FINISHED answered %s", got)
	}
	b.ecInit()
	b.ecBlocks()
	b.ecVerify()
	req, final := b.paRequest(0)
	b.want(messages.PARequest, req, messages.PASuccess)
	ack := b.want(messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: b.frame}, messages.FrameEndedAck).(*messages.FrameEndedAckContent)
	if ack.FrameUUID != b.frame {
		b.t.Fatalf("FRAME_ENDED_ACK for %s, want %s", ack.FrameUUID, b.frame)
	}
	return final
}

// goroutines waits until the goroutine count is back to at most base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := numGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, baseline %d: a session leaked\n%s", n, base, goroutineDump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sessionCounter is an Observer that signals every change of the number of
// sessions Alice serves, so that tests wait for it without polling.
type sessionCounter struct {
	mu      sync.Mutex
	active  int
	changed chan struct{} // closed, then replaced, at every change
}

func (c *sessionCounter) FrameEnded(FrameReport) {}

func (c *sessionCounter) AuthenticationFailed() {}

func (c *sessionCounter) SessionsChanged(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active = n
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait returns once Alice serves n sessions; it fails the test when that
// does not happen within 15 s.
func (c *sessionCounter) wait(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		c.mu.Lock()
		active, changed := c.active, c.changed
		c.mu.Unlock()
		if active == n {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%d sessions after 15 s, want %d", active, n)
		}
	}
}
