package alice

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
	"github.com/qosst/qosst-go/transport"
)

// session is one connection: its engine, its frame in progress and what it
// holds of the shared hardware. Its handlers run one at a time on the
// session's goroutine.
type session struct {
	srv *Server
	id  string
	ts  *transport.Session
	eng *fsm.Engine
	log zerolog.Logger

	cfg   *config.Config // snapshot taken at connection and at each INITIALIZATION
	frame *frame         // nil in a state without a frame (qosst.HasFrame)
	// holdsEmitter: this session holds the server's emitter lock, from the
	// QIE_REQUEST or REQUEST_POLARISATION_RECOVERY that took it until the
	// session leaves the states that use it (or the frame is dropped).
	holdsEmitter bool

	source  string  // the peer's address without its port (admission)
	closing closing // why the session closed
	refused bool    // no identified slot was free: close after the answer
	evicted atomic.Bool
}

// frame is what Alice keeps of the frame in progress.
type frame struct {
	id         uuid.UUID
	spec       hardware.FrameSpec
	sec        security // announced by Bob in INITIALIZATION_REQUEST
	cfg        *config.Config
	began      time.Time
	phaseStart time.Time
	symbols    []complex128 // Alice's symbols, SNU (after QIE_REQUEST)
	disclosed  []bool       // symbols disclosed in parameter estimation
	nDisclosed int
	nPhoton    float64                     // measured at QIE_ACQUISITION_ENDED (every state from pe on)
	pe         *messages.PEFinishedContent // Bob's estimates (after PE_FINISHED)
	keying     *keying                     // error correction and privacy amplification
	phases     []PhaseTime                 // time spent per phase (FrameReport)
	outcome    string                      // how the frame ended, when dropped (FrameReport)
	announced  *messages.PEFinishedContent // Bob's PE_FINISHED, approved or not (FrameReport)
}

func newSession(srv *Server, id string, ts *transport.Session, cfg *config.Config) *session {
	s := &session{srv: srv, id: id, ts: ts, cfg: cfg, source: source(ts.RemoteAddr())}
	s.log = logging.Session(srv.log, id, ts.RemoteAddr().String())
	mux := fsm.NewMux()
	s.register(mux)
	s.eng = fsm.New(fsm.Config{
		Handlers:        mux,
		Decode:          decode,
		MaxAuthFailures: cfg.Authentication.MaxFailures,
		Logger:          s.log,
		OnLeave: map[states.State]func(context.Context, fsm.Change){
			states.QIEReady:   s.leaveQIEReady,
			states.Emitting:   s.leaveEmitting,
			states.Polarising: s.leavePolarising,
		},
		OnStateChange:  s.onStateChange,
		OnFrameDropped: s.onFrameDropped,
		OnFrameBegun:   s.onFrameBegun,
		OnFrameEnd:     s.onFrameEnd,
	})
	return s
}

func decode(code messages.Code, raw []byte) (messages.Content, error) {
	c, err := messages.DecodeContent(code, raw)
	if err != nil || c == nil {
		return nil, err
	}
	return c, nil
}

// register installs Alice's handlers, one file per phase.
func (s *session) register(m *fsm.Mux) {
	s.registerIdentification(m)
	s.registerInitialization(m)
	s.registerParameters(m)
	s.registerPolarisation(m)
	s.registerQIE(m)
	s.registerPE(m)
	s.registerEC(m)
	s.registerPA(m)
	s.registerFrameEnd(m)
}

// run serves the session until the peer leaves, the session must close or
// ctx ends. A request being handled when ctx ends is answered first: its
// handler runs under hctx, which ends only when the server gives up waiting.
// Whatever happens, the emitter is released and nothing of the session
// outlives it.
func (s *session) run(ctx, hctx context.Context) {
	s.log.Debug().Msg("session opened")
	defer func() {
		if p := recover(); p != nil {
			s.log.Error().Str("panic", fmt.Sprint(p)).Str("stack", string(debug.Stack())).Msg("session failed")
		}
		s.ts.Close()
		s.leaveSession()
		s.logClosed()
	}()
	for {
		msg, err := s.ts.RecvContext(ctx)
		began := time.Now()
		var reply fsm.Reply
		var derr error
		if err == nil && msg.Code == messages.IdentificationRequest {
			err = s.checkFresh(msg)
		}
		switch {
		case err == nil, errors.Is(err, messages.ErrUnknownCode):
			reply, derr = s.eng.Dispatch(hctx, msg.Code, msg.Content)
		case errors.Is(err, messages.ErrAuthentication):
			s.peerWarn("authentication failure").Err(err).Str(logging.FieldState, string(s.eng.State())).Msg("authentication failure")
			s.srv.authFailed()
			reply, derr = s.eng.AuthFailed(hctx, err)
		case errors.Is(err, messages.ErrFrame):
			// Integrity held but the content is not JSON, or the frame is
			// malformed: answer INVALID_CONTENT (the next receive closes
			// the session when the stream lost its frame boundary).
			s.peerWarn("unreadable frame").Err(err).Msg("unreadable frame")
			reply = fsm.Reply{Code: messages.InvalidContent, Content: &messages.InvalidContentContent{
				Command: msg.Code, ErrorMessage: err.Error()}}
		default:
			s.noteReceiveError(ctx, err)
			if ctx.Err() == nil && !s.ts.Closed() || !errors.Is(err, messages.ErrDisconnected) {
				s.log.Info().Err(err).Str(logging.FieldState, string(s.eng.State())).Msg("peer gone")
			}
			return
		}
		if errors.Is(derr, fsm.ErrClosed) {
			return
		}
		if derr != nil && !errors.Is(derr, fsm.ErrManInTheMiddle) {
			s.log.Error().Err(derr).Msg("engine")
			var inv *fsm.InvariantError
			if errors.As(derr, &inv) {
				s.srv.programmingErrors.Add(1)
			}
		}
		if err := s.send(hctx, reply, time.Since(began)); err != nil {
			s.log.Info().Err(err).Msg("send failed")
			s.noteReceiveError(hctx, err)
			return
		}
		if reply.Close {
			s.closing.set("closed after "+reply.Code.String(), nil)
			return
		}
		if s.refused {
			return // answered ABORT "server busy"
		}
	}
}

// send encodes and sends a reply; took is the time Alice spent on the
// request (logged at debug level, or info for derived answers and ABORT).
func (s *session) send(ctx context.Context, r fsm.Reply, took time.Duration) error {
	var raw []byte
	if r.Content != nil {
		var err error
		if raw, err = messages.EncodeContent(r.Content); err != nil {
			return fmt.Errorf("encode %s: %w", r.Code, err)
		}
	}
	ev := s.log.Debug()
	if (r.Derived || r.Code == messages.Abort) && !s.refused {
		ev = s.log.Info() // a refusal is counted in the aggregated warning instead
	}
	ev = logging.Event(ev, string(r.State), r.Code).Dur("took", took)
	if r.Cause != nil {
		ev = ev.Str("cause", logging.TruncateTo(r.Cause.Error(), maxLoggedCause))
	}
	ev.Msg("reply")
	return s.ts.SendContext(ctx, r.Code, raw)
}

func (s *session) onStateChange(c fsm.Change) {
	ev := s.log.Info().Str(logging.FieldPhase, states.Phase(c.From)).Str("from", string(c.From)).Str("to", string(c.To)).
		Stringer("request", c.Request).Stringer("response", c.Response)
	if f := s.frame; f != nil {
		ev = ev.Str(logging.FieldFrame, f.id.String()).Dur("phase_time", time.Since(f.phaseStart))
		f.phaseEnded(c.From, time.Since(f.phaseStart))
		f.phaseStart = time.Now()
	}
	ev.Msg("phase")
}

// onFrameDropped forgets the frame in progress (also when a new
// INITIALIZATION replaces it: onFrameBegun then installs the new one).
func (s *session) onFrameDropped(c fsm.Change) {
	if s.frame != nil {
		s.frame.outcome = outcomeOf(c)
	}
	s.dropFrame(c.Reason)
}

// onFrameBegun installs the frame the INITIALIZATION handler prepared.
func (s *session) onFrameBegun(c fsm.Change) {
	f, ok := c.NewFrame.(*frame)
	if !ok {
		// The handler answered a row that begins a frame without one.
		s.log.Error().Err(fsm.Invariant("%s answered %s without a frame", c.Request, c.Response)).Msg("engine")
		s.srv.programmingErrors.Add(1)
		return
	}
	s.frame = f
}

func (s *session) onFrameEnd(c fsm.Change) {
	if f := s.frame; f != nil {
		s.log.Info().Str(logging.FieldFrame, f.id.String()).Dur("frame_time", time.Since(f.began)).Msg("frame completed")
		s.report(f, OutcomeCompleted, "")
	}
	s.srv.frames.Add(1)
	s.frame = nil
}

// leaveQIEReady gives the emitter back unless the emission starts.
func (s *session) leaveQIEReady(_ context.Context, c fsm.Change) {
	if c.To != states.Emitting {
		s.releaseEmitter()
	}
}

// leaveEmitting stops the emission and gives the emitter back, whether the
// acquisition ended (QIE_ENDED) or the frame was dropped.
func (s *session) leaveEmitting(context.Context, fsm.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.opts.Emitter.StopEmission(ctx); err != nil {
		s.log.Error().Err(err).Msg("stopping the emission")
	}
	s.releaseEmitter()
}

// leavePolarising switches the recovery signal off and gives the emitter
// back.
func (s *session) leavePolarising(context.Context, fsm.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.opts.Emitter.SetPolarisationSignal(ctx, false); err != nil {
		s.log.Error().Err(err).Msg("switching the polarisation signal off")
	}
	s.releaseEmitter()
}

// leaveSession runs, when the session ends in a state, what leaving that
// state does, and drops the frame in progress.
func (s *session) leaveSession() {
	ch := fsm.Change{From: s.eng.State(), To: states.Closed}
	switch ch.From {
	case states.QIEReady:
		s.leaveQIEReady(context.Background(), ch)
	case states.Emitting:
		s.leaveEmitting(context.Background(), ch)
	case states.Polarising:
		s.leavePolarising(context.Background(), ch)
	}
	s.dropFrame("session ended")
}

// dropFrame forgets the frame in progress and gives back the emitter if a
// handler took it for a request that then failed.
func (s *session) dropFrame(reason string) {
	if s.frame != nil {
		s.log.Info().Str(logging.FieldFrame, s.frame.id.String()).Str("reason", reason).Msg("frame dropped")
		s.report(s.frame, cmp.Or(s.frame.outcome, OutcomeDropped), reason)
		s.frame = nil
	}
	s.releaseEmitter()
}

// releaseEmitter gives the emitter back to the other sessions.
func (s *session) releaseEmitter() {
	if !s.holdsEmitter {
		return
	}
	s.holdsEmitter = false
	s.srv.releaseEmitter()
}

// holdEmitter takes the emitter for this session, waiting at most
// timeouts.emitter_wait for another session to give it back.
func (s *session) holdEmitter(ctx context.Context) error {
	if s.holdsEmitter {
		return nil
	}
	if err := s.srv.acquireEmitter(ctx, s.cfg.Timeouts.EmitterWait.Duration); err != nil {
		return err
	}
	s.holdsEmitter = true
	return nil
}

// current returns the frame in progress; the table guarantees one exists in
// the states where handlers call it, so its absence is a programming error
// (fsm.Invariant). A frame past timeouts.frame is an ordinary error (ABORT).
func (s *session) current() (*frame, error) {
	if s.frame == nil {
		return nil, fsm.Invariant("no frame in progress in state %s", s.eng.State())
	}
	if d := s.frame.cfg.Timeouts.Frame.Duration; d > 0 && time.Since(s.frame.began) > d {
		return nil, fmt.Errorf("frame %s exceeded timeouts.frame = %v", s.frame.id, d)
	}
	return s.frame, nil
}

// answer is a shorthand for a handler's answer.
func answer(code messages.Code, content messages.Content) (fsm.Answer, error) {
	if content == nil {
		return fsm.Answer{Code: code}, nil
	}
	return fsm.Answer{Code: code, Content: content}, nil
}
