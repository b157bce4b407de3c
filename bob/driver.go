package bob

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/states"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/auth"
)

// Conn is the requesting side of a QOSST session: one request, one answer.
// *transport.Client implements it.
type Conn interface {
	Request(ctx context.Context, code messages.Code, content []byte) (transport.Message, error)
	Close() error
}

// Options are what a Driver runs on.
type Options struct {
	Config   Config
	Conn     Conn
	Receiver hardware.Receiver
	// Polarisation is Bob's polarisation controller, used when
	// Config.PolarisationRecovery is set.
	Polarisation hardware.PolarisationController
	// Keys receives the final key of each completed frame.
	Keys *keystore.Store
	// Refiller, when the authenticator draws on a pool refilled from the
	// link's keys (wegman-carter), takes its part of each frame's key
	// before the key is written and is told when Alice holds the key.
	Refiller auth.Refiller
	// Logger receives one line per phase and one summary per frame.
	Logger zerolog.Logger
	// Rand draws the PE indices, the code seed and the PA seed, and in
	// tests Bob's multidimensional key bits; nil: a ChaCha8 generator seeded
	// from crypto/rand for the former, crypto/rand itself for the key bits.
	Rand *rand.Rand
}

// Driver is Bob: it runs frames against Alice over one connection. A Driver
// is not safe for concurrent use.
type Driver struct {
	cfg     Config
	conn    Conn
	rx      hardware.Receiver
	pol     hardware.PolarisationController
	keys    *keystore.Store
	pending *keystore.Store // keys awaiting FRAME_ENDED_ACK (PendingDir)
	refill  auth.Refiller
	log     zerolog.Logger
	rng     *rand.Rand
	keyBits io.Reader // Bob's multidimensional key bits: crypto/rand unless a test supplies Rand
	tracker *fsm.Tracker

	newFrameID func() uuid.UUID // the UUID of each new frame (uuid.New)

	authFailures int    // authentication failures in a row
	aliceSerial  string // from IDENTIFICATION_RESPONSE
	closed       bool

	obs Observer // progress and frame reports (Observe); nil: none
}

// New checks the options and returns a driver in state connected.
func New(opts Options) (*Driver, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	switch {
	case opts.Conn == nil:
		return nil, fmt.Errorf("%w: no connection", ErrConfig)
	case opts.Receiver == nil:
		return nil, fmt.Errorf("%w: no receiver", ErrConfig)
	case opts.Keys == nil:
		return nil, fmt.Errorf("%w: no key store", ErrConfig)
	case opts.Config.PolarisationRecovery && opts.Polarisation == nil:
		return nil, fmt.Errorf("%w: polarisation recovery asked without a polarisation controller", ErrConfig)
	}
	rng := opts.Rand
	var keyBits io.Reader = rngReader{rng}
	if rng == nil {
		keyBits = crand.Reader
		var seed [32]byte
		if _, err := crand.Read(seed[:]); err != nil {
			return nil, fmt.Errorf("bob: seeding: %w", err)
		}
		rng = rand.New(rand.NewChaCha8(seed))
	}
	pending, err := keystore.Open(PendingDir(opts.Keys))
	if err != nil {
		return nil, fmt.Errorf("bob: pending keys: %w", err)
	}
	for _, st := range []*keystore.Store{opts.Keys, pending} {
		if err := sweepTemporaries(st, opts.Logger); err != nil {
			return nil, fmt.Errorf("bob: %w", err)
		}
	}
	return &Driver{
		cfg: opts.Config, conn: opts.Conn, rx: opts.Receiver, pol: opts.Polarisation,
		keys: opts.Keys, pending: pending, refill: opts.Refiller, log: opts.Logger, rng: rng, keyBits: keyBits, tracker: fsm.NewTracker(),
		newFrameID: uuid.New,
	}, nil
}

// State returns Bob's view of the session state.
func (d *Driver) State() states.State { return d.tracker.State() }

// Run runs frames until n have been attempted (n <= 0: until ctx ends), then
// sends DISCONNECTION. Keys left pending by an earlier frame or run are
// resolved with Alice before each frame and before disconnecting (see
// ResolvePending). A dropped frame is logged and the run goes on; an
// error for which Fatal is true stops it. It returns the summaries of every
// frame attempted and the fatal error, if any (a stop by ctx is not an
// error).
func (d *Driver) Run(ctx context.Context, n int) ([]*Summary, error) {
	var sums []*Summary
	var fatal error
	lost := 0 // connections lost in a row
	for i := 0; n <= 0 || i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		d.resolveBestEffort(ctx)
		sum, err := d.RunFrame(ctx)
		sums = append(sums, sum)
		if d.rideOut(ctx, err, &lost) {
			continue
		}
		if err != nil && Fatal(err) {
			if ctx.Err() == nil {
				fatal = err
			}
			break
		}
	}
	// Disconnect even when ctx ended: give it a short grace period of its own.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.disconnectTimeout())
	defer cancel()
	if d.sessionAlive() {
		d.resolveBestEffort(dctx)
	}
	if err := d.Disconnect(dctx); err != nil && fatal == nil && !errors.Is(err, messages.ErrDisconnected) {
		fatal = err
	}
	return sums, fatal
}

func (d *Driver) disconnectTimeout() time.Duration {
	if d.cfg.RequestTimeout > 0 && d.cfg.RequestTimeout < 5*time.Second {
		return d.cfg.RequestTimeout
	}
	return 5 * time.Second
}

// Disconnect sends DISCONNECTION (when the session is still open), waits for
// DISCONNECTION_ACK and closes the connection.
func (d *Driver) Disconnect(ctx context.Context) error {
	if d.closed {
		return nil
	}
	d.closed = true
	defer d.conn.Close()
	if d.tracker.State() == states.Closed {
		return nil
	}
	// A connection already lost (or closed by a cancelled request) is not
	// dialled again just to say goodbye.
	if !d.sessionAlive() {
		return nil
	}
	m, err := d.conn.Request(ctx, messages.Disconnection, nil)
	if err != nil {
		return fmt.Errorf("bob: disconnection: %w", err)
	}
	if _, terr := d.tracker.Receive(messages.Disconnection, m.Code); terr != nil {
		return fmt.Errorf("bob: disconnection: %w", terr)
	}
	d.log.Info().Str(logging.FieldState, string(d.tracker.State())).Stringer(logging.FieldCode, m.Code).Msg("disconnected")
	return nil
}

// sessionAlive reports whether the connection's session is still open (a
// connection that does not tell is taken as open).
func (d *Driver) sessionAlive() bool {
	sc, ok := d.conn.(interface{ Session() *transport.Session })
	return !ok || sc.Session() != nil
}

// RunFrame runs one frame, from identification (when needed) to
// FRAME_ENDED_ACK. It always returns a summary; the error says why the frame
// was dropped (see Fatal for what ends a run).
func (d *Driver) RunFrame(ctx context.Context) (*Summary, error) {
	f := &frame{d: d, ctx: ctx, sum: &Summary{Start: time.Now(), Eta: d.cfg.Eta}}
	err := f.run()
	if err != nil {
		err = f.drop(err)
	}
	f.sum.Total = time.Since(f.sum.Start)
	f.sum.Err = err
	ev := d.log.Info()
	msg := "frame completed"
	if err != nil {
		ev = d.log.Warn()
		msg = "frame dropped"
		if Fatal(err) {
			ev = d.log.Error()
		}
	}
	ev.Str(logging.FieldState, string(d.tracker.State())).EmbedObject(f.sum).Msg(msg)
	if d.obs != nil {
		d.obs.FrameEnded(f.sum)
	}
	return f.sum, err
}

// frame is the state of one frame in progress, as crypto/tls keeps a
// handshake's: each phase method reads what the previous ones left.
type frame struct {
	d   *Driver
	ctx context.Context
	sum *Summary

	id     uuid.UUID
	params FrameParams
	spec   hardware.FrameSpec
	armed  bool

	raw       []complex128 // Bob's measurements, detector units
	cal       pp.Calibration
	disclosed [][]int          // PE indices, per request
	kp        pp.KeyRateParams // what the key is computed with (announced in PE_FINISHED)
	plan      ecPlan
	packed    bool // Alice's EC_READY offered the packed encoding, and Bob uses it
	rec       reconciled
	finalKey  []uint8
	keyPath   string
	// pendingKey: the key is written as pending; endSent: FRAME_ENDED was
	// sent for it, so Alice may hold the key and only she can settle it.
	pendingKey, endSent bool
	lastCode            messages.Code    // Alice's last answer (for the phase log line)
	lastContent         messages.Content // and its content, when it decoded
	aliceSide           bool             // Alice holds a frame (state with a frame)
	// localAuthFailure: one of Alice's answers failed Bob's digest or
	// challenge check; Alice may still hold the frame.
	localAuthFailure bool
}

func (f *frame) run() error {
	if f.d.tracker.State() == states.Connected {
		if err := f.phase(PhaseIdentification, f.identify); err != nil {
			return err
		}
	}
	steps := []struct {
		p  Phase
		fn func() error
	}{
		{PhaseInitialization, f.initialize},
		{PhasePolarisation, f.polarisation},
		{PhaseQIE, f.exchange},
		{PhaseCalibration, f.calibrate},
		{PhasePE, f.estimate},
		{PhaseEC, f.reconcile},
		{PhasePA, f.amplify},
		{PhaseFrameEnd, f.end},
	}
	for _, s := range steps {
		if s.p == PhasePolarisation && !f.d.cfg.PolarisationRecovery {
			continue
		}
		if err := f.phase(s.p, s.fn); err != nil {
			return err
		}
	}
	f.d.authFailures = 0
	return nil
}

// phase runs one phase, times it and logs one line with the state reached
// and Alice's last answer.
func (f *frame) phase(p Phase, fn func() error) error {
	if err := f.ctx.Err(); err != nil {
		return &PhaseError{Phase: p, Err: fmt.Errorf("%w: %w", errContext, err)}
	}
	start := time.Now()
	f.progress(p, 0, 0)
	err := fn()
	dur := time.Since(start)
	f.sum.Phases = append(f.sum.Phases, PhaseTime{Phase: p, Duration: dur})
	ev := f.d.log.Info()
	if err != nil {
		ev = f.d.log.Warn().AnErr("error", err)
	}
	ev = ev.Str(logging.FieldPhase, string(p)).Str(logging.FieldState, string(f.d.tracker.State()))
	if f.lastCode != 0 {
		ev = ev.Stringer(logging.FieldCode, f.lastCode)
	}
	if f.id != uuid.Nil {
		ev = ev.Str(logging.FieldFrame, f.id.String())
	}
	ev.Dur("took", dur).Msg("phase")
	return err
}

// request sends one request and returns Alice's answer when it is a row of
// the table for it. Every other outcome becomes a *PhaseError:
//   - ABORT: ErrAborted (the tracker drops the frame);
//   - AUTHENTICATION_INVALID, or an answer failing Bob's checks:
//     messages.ErrAuthentication, or fsm.ErrManInTheMiddle after MaxAuthFailures in a row;
//   - UNKOWN_COMMAND, UNEXPECTED_COMMAND, INVALID_CONTENT, and the responses
//     the table marks Refused (PE_SYMBOLS_ERROR, EC_DENIED,
//     EC_REMAINING_ERROR, PA_ERROR): ErrPeerRefused;
//   - an answer off the table, with an unknown code or malformed content:
//     Bob answers INVALID_RESPONSE, then ErrInvalidResponse.
func (f *frame) request(p Phase, code messages.Code, c messages.Content) (messages.Code, messages.Content, error) {
	fail := func(resp messages.Code, msg string, err error) (messages.Code, messages.Content, error) {
		return resp, nil, &PhaseError{Phase: p, Request: code, Response: resp, Message: msg, Err: err}
	}
	if err := f.d.tracker.CanSend(code); err != nil {
		return fail(0, "", fmt.Errorf("%w: %w", ErrInvalidResponse, err))
	}
	var raw []byte
	if c != nil {
		b, err := messages.EncodeContent(c)
		if err != nil {
			return fail(0, "", fmt.Errorf("bob: encoding %s: %w", code, err))
		}
		raw = b
	}
	// A stop (f.ctx ending) lets the request in flight finish for a short
	// grace period, so that the session stays in step and Bob can still say
	// DISCONNECTION; a peer that does not answer by then is abandoned.
	ctx, cancel := context.WithCancel(context.WithoutCancel(f.ctx))
	defer cancel()
	if t := f.d.cfg.RequestTimeout; t > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeout(ctx, t)
		defer cancelT()
	}
	stop := context.AfterFunc(f.ctx, func() { time.AfterFunc(stopGrace, cancel) })
	defer stop()
	m, err := f.d.conn.Request(ctx, code, raw)
	f.lastCode = m.Code
	if err == nil && f.ctx.Err() != nil {
		// Answered, but Bob is stopping: the frame ends here (Alice drops it
		// on DISCONNECTION).
		if tr, terr := f.d.tracker.Receive(code, m.Code); terr == nil {
			f.track(tr)
		}
		return fail(m.Code, "", fmt.Errorf("%w: %w", errContext, f.ctx.Err()))
	}
	switch {
	case err == nil:
	case errors.Is(err, messages.ErrAuthentication):
		// Alice's answer failed Bob's checks: Bob's view drops the frame,
		// but Alice still holds it until told (drop sends ABORT).
		f.d.tracker.AuthFailed()
		f.localAuthFailure = true
		return fail(m.Code, "", f.d.authFailed(err))
	case errors.Is(err, messages.ErrUnknownCode), errors.Is(err, messages.ErrFrame):
		return fail(m.Code, "", f.invalidResponse(code, m.Code, err.Error()))
	case f.ctx.Err() != nil:
		return fail(0, "", fmt.Errorf("%w: %w", errContext, err))
	case noAnswer(ctx, err):
		return fail(0, "", fmt.Errorf("%w: no answer to %s within %v (timeouts.response): %w", ErrNoAnswer, code, f.d.cfg.RequestTimeout, err))
	default:
		return fail(0, "", fmt.Errorf("%w: %w", messages.ErrDisconnected, err))
	}
	tr, terr := f.d.tracker.Receive(code, m.Code)
	if terr != nil {
		if errors.Is(terr, fsm.ErrRejected) {
			content, _ := messages.DecodeContent(m.Code, m.Content)
			return fail(m.Code, peerMessage(content), fmt.Errorf("%w: %w", ErrPeerRefused, terr))
		}
		return fail(m.Code, "", f.invalidResponse(code, m.Code, terr.Error()))
	}
	f.track(tr)
	content, derr := messages.DecodeContent(m.Code, m.Content)
	f.lastContent = content
	switch {
	case m.Code == messages.AuthenticationInvalid:
		return fail(m.Code, "", f.d.authFailed(errors.New("the answer was AUTHENTICATION_INVALID")))
	case m.Code == messages.Abort:
		return fail(m.Code, peerMessage(content), ErrAborted)
	case derr != nil:
		return fail(m.Code, "", f.invalidResponse(code, m.Code, derr.Error()))
	case tr.Verdict == qosst.Refused:
		// A row by which Alice declines what the frame cannot do without.
		return fail(m.Code, peerMessage(content), ErrPeerRefused)
	}
	return m.Code, content, nil
}

// track follows the frame effects of a transition.
func (f *frame) track(tr qosst.Transition) {
	switch tr.Frame {
	case qosst.FrameBegun:
		f.aliceSide = true
	case qosst.FrameDropped, qosst.FrameComplete:
		f.aliceSide = false
	}
}

// authFailed counts an authentication failure: Bob must identify again,
// and after MaxAuthFailures in a row he concludes man-in-the-middle.
func (d *Driver) authFailed(cause error) error {
	d.authFailures++
	if d.obs != nil {
		d.obs.AuthenticationFailed()
	}
	d.log.Warn().Int("failures_in_a_row", d.authFailures).Int("max", d.cfg.MaxAuthFailures).
		AnErr("cause", cause).Str(logging.FieldState, string(d.tracker.State())).Msg("authentication failure")
	if d.authFailures >= d.cfg.MaxAuthFailures {
		d.log.Error().Int("failures_in_a_row", d.authFailures).Msg("man-in-the-middle suspected: stopping")
		return fmt.Errorf("%w (%d failures in a row; last: %w)", fsm.ErrManInTheMiddle, d.authFailures, cause)
	}
	if !errors.Is(cause, messages.ErrAuthentication) {
		cause = fmt.Errorf("%w: %w", messages.ErrAuthentication, cause)
	}
	return cause
}

// invalidResponse answers an unacceptable answer with INVALID_RESPONSE and
// waits for INVALID_RESPONSE_ACK.
func (f *frame) invalidResponse(req, resp messages.Code, why string) error {
	msg := fmt.Sprintf("%s is not a valid answer to %s: %s", resp, req, why)
	f.d.log.Warn().Stringer("request", req).Stringer(logging.FieldCode, resp).Str("reason", why).
		Str(logging.FieldState, string(f.d.tracker.State())).Msg("invalid response")
	raw, err := messages.EncodeContent(&messages.InvalidResponseContent{ErrorMessage: msg})
	if err != nil {
		return fmt.Errorf("%w: %s (encoding INVALID_RESPONSE: %w)", ErrInvalidResponse, msg, err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), f.d.disconnectTimeout())
	defer cancel()
	m, err := f.d.conn.Request(ctx, messages.InvalidResponse, raw)
	if err != nil {
		return fmt.Errorf("%w: %s (sending INVALID_RESPONSE: %w)", ErrInvalidResponse, msg, err)
	}
	if _, terr := f.d.tracker.Receive(messages.InvalidResponse, m.Code); terr != nil {
		return fmt.Errorf("%w: %s (then %w)", ErrInvalidResponse, msg, terr)
	}
	return fmt.Errorf("%w: %s", ErrInvalidResponse, msg)
}

// peerMessage extracts the human message of an error or refusal content,
// escaped and bounded (logging.TruncateTo): it reaches logs and errors.
func peerMessage(c messages.Content) string {
	return logging.TruncateTo(rawPeerMessage(c), maxPeerMessage)
}

// maxPeerMessage bounds Alice's messages in Bob's logs and errors.
const maxPeerMessage = 512

func rawPeerMessage(c messages.Content) string {
	switch x := c.(type) {
	case *messages.AbortContent:
		return x.AbortMessage
	case *messages.InitializationDeniedContent:
		return x.DenyMessage
	case *messages.InitializationProposalContent:
		return x.DenyMessage
	case *messages.PEDeniedContent:
		return x.DenyMessage
	case *messages.UnexpectedCommandContent:
		return x.ErrorMessage
	case *messages.InvalidContentContent:
		return x.ErrorMessage
	case *messages.UnkownCommandContent:
		return fmt.Sprintf("code %d unknown", int(x.Command))
	case *messages.PESymbolsErrorContent:
		return x.ErrorMessage
	case *messages.ECDeniedContent:
		return x.ErrorMessage
	case *messages.ECBlockErrorContent:
		return x.ErrorMessage
	case *messages.ECVerificationFailContent:
		return x.ErrorMessage
	case *messages.PAErrorContent:
		return x.ErrorMessage
	case *messages.InvalidQOSSTVersionContent:
		return "Alice speaks " + x.QOSSTVersion
	}
	return ""
}

// drop cleans up after a frame that did not complete: the receiver is
// disarmed, a key written for it is removed, Alice is told (ABORT) when she
// still holds the frame, and after an authentication failure Bob identifies
// again. It returns the frame's error, or a fatal one if the cleanup found
// one.
func (f *frame) drop(cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), f.d.disconnectTimeout())
	defer cancel()
	if f.armed {
		_ = f.d.rx.Stop(ctx)
		f.armed = false
	}
	if f.pendingKey && !f.endSent {
		// Alice never heard of the end of this frame: she holds no key.
		if err := f.d.removePending(f.id); err != nil {
			f.d.log.Error().Err(err).Msg("cannot remove the pending key of a dropped frame")
		}
	} else if f.pendingKey {
		if ok, _ := f.d.pending.Exists(f.id); ok {
			f.d.log.Warn().Str(logging.FieldFrame, f.id.String()).
				Msg("key kept pending: Alice may hold it; it is settled with her once identified again")
		}
	}
	f.sum.KeyFile = ""
	f.sum.KeyBits = 0
	if Fatal(cause) && !errors.Is(cause, ErrPeerLacksEC) && !errors.Is(cause, ErrInvalidResponse) {
		return cause
	}
	if f.aliceSide && (qosst.HasFrame(f.d.tracker.State()) || f.localAuthFailure) {
		if err := f.abort(ctx, cause); err != nil {
			return errors.Join(cause, err)
		}
	}
	if errors.Is(cause, messages.ErrAuthentication) && !errors.Is(cause, fsm.ErrManInTheMiddle) {
		if err := f.d.reidentify(ctx); err != nil {
			return errors.Join(cause, err)
		}
	}
	return cause
}

// abort tells Alice that Bob drops the frame.
func (f *frame) abort(ctx context.Context, cause error) error {
	raw, err := messages.EncodeContent(&messages.AbortContent{AbortMessage: cause.Error()})
	if err != nil {
		return fmt.Errorf("bob: encoding ABORT: %w", err)
	}
	m, err := f.d.conn.Request(ctx, messages.Abort, raw)
	if err != nil {
		return fmt.Errorf("%w: sending ABORT: %w", messages.ErrDisconnected, err)
	}
	if _, terr := f.d.tracker.Receive(messages.Abort, m.Code); terr != nil {
		return fmt.Errorf("%w: ABORT answered %s", ErrInvalidResponse, m.Code)
	}
	f.aliceSide = false
	f.d.log.Info().Str(logging.FieldState, string(f.d.tracker.State())).Stringer(logging.FieldCode, m.Code).
		Str("reason", cause.Error()).Msg("frame aborted by Bob")
	return nil
}

// reidentify identifies again after an authentication failure, as many
// times as the failure budget allows.
func (d *Driver) reidentify(ctx context.Context) error {
	for {
		f := &frame{d: d, ctx: ctx, sum: &Summary{}}
		err := f.identify()
		if err == nil || !errors.Is(err, messages.ErrAuthentication) || errors.Is(err, fsm.ErrManInTheMiddle) {
			return err
		}
	}
}

// newSeed draws a 63-bit non-negative seed.
func (d *Driver) newSeed() int64 { return int64(d.rng.Uint64() >> 1) }
