package alice

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
)

// ErrEmitterBusy is the cause of the ABORT answered to a QIE_REQUEST (or a
// polarisation recovery request) that waited timeouts.emitter_wait for an
// emitter held by another session.
var ErrEmitterBusy = errors.New("emitter busy with another session")

// Options configure a Server.
type Options struct {
	// Config is Alice's validated configuration (copied; later changes go
	// through the parameter registry).
	Config *config.Config
	// Emitter is Alice's transmitter, shared by all sessions and held by one
	// session at a time from QIE_REQUEST to QIE_ENDED.
	Emitter hardware.Emitter
	// Keys receives each frame's final key.
	Keys *keystore.Store
	// Authenticator signs and verifies frames (nil: the None authenticator).
	Authenticator messages.Authenticator
	// Logger receives the server's and sessions' log lines.
	Logger zerolog.Logger
	// Params is the parameter registry's exposure (nil: DefaultParams).
	Params map[string]Policy
	// StopGrace is how long Serve lets sessions finish the request they
	// are handling once its context ends, before closing them (0: 5 s).
	StopGrace time.Duration
	// Observer, when not nil, receives each frame's report, the number of
	// sessions and authentication failures (see Observer).
	Observer Observer
}

// Server is Alice: it serves QOSST sessions until its context ends.
type Server struct {
	opts     Options
	registry *Registry
	emitter  chan struct{} // a token: holding it is holding the emitter
	log      zerolog.Logger

	mu       sync.Mutex
	sessions map[*session]struct{}
	wg       sync.WaitGroup
	nextID   atomic.Uint64
	frames   atomic.Uint64 // frames completed
	// programmingErrors counts the engine's *fsm.InvariantError: a bug here,
	// never the peer's doing.
	programmingErrors atomic.Uint64
	// emitterWaiting, when set (by tests, before the request that waits),
	// runs when a request starts waiting for the emitter.
	emitterWaiting func()

	usedMu    sync.Mutex
	used      map[uuid.UUID]struct{} // frame UUIDs accepted since start
	usedOrder []uuid.UUID            // FIFO for the bound

	ends frameEnds // final-key writes and key-recovery answers

	admission *admission // unidentified connections and identified sessions
	replays   *replayGuard
}

// maxUsedFrames bounds the frame UUIDs remembered in memory; older ones are
// still refused when their key file exists.
const maxUsedFrames = 1 << 16

// claimFrame records that a frame UUID was accepted and reports false when
// it already was: a frame UUID is never reused (the simulated link derives
// the symbols from it, and a real key must not be produced twice under one
// name).
func (s *Server) claimFrame(id uuid.UUID) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	if _, ok := s.used[id]; ok {
		return false
	}
	if len(s.usedOrder) >= maxUsedFrames {
		delete(s.used, s.usedOrder[0])
		s.usedOrder = s.usedOrder[1:]
	}
	s.used[id] = struct{}{}
	s.usedOrder = append(s.usedOrder, id)
	return true
}

// New returns a server; call Serve to run it.
func New(opts Options) (*Server, error) {
	if opts.Config == nil {
		return nil, errors.New("alice: no configuration")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("alice: %w", err)
	}
	if opts.Emitter == nil {
		return nil, errors.New("alice: no emitter")
	}
	if opts.Keys == nil {
		return nil, errors.New("alice: no key store")
	}
	reg, err := NewRegistry(opts.Config, opts.Params)
	if err != nil {
		return nil, err
	}
	if err := SweepTemporaries(opts.Keys, opts.Logger); err != nil {
		return nil, fmt.Errorf("alice: %w", err)
	}
	return &Server{
		opts:     opts,
		registry: reg,
		emitter:  make(chan struct{}, 1),
		log:      opts.Logger,
		sessions: map[*session]struct{}{},
		used:     map[uuid.UUID]struct{}{},

		admission: newAdmission(opts.Logger),
		replays:   newReplayGuard(maxRememberedChallenges),
	}, nil
}

// Registry returns Alice's parameter registry.
func (s *Server) Registry() *Registry { return s.registry }

// ProgrammingErrors returns the number of programming errors (a handler
// that broke what the table guarantees, see fsm.InvariantError) since
// start; each was logged at error level and answered ABORT.
func (s *Server) ProgrammingErrors() uint64 { return s.programmingErrors.Load() }

// FramesCompleted returns the number of frames that reached FRAME_ENDED_ACK.
func (s *Server) FramesCompleted() uint64 { return s.frames.Load() }

// Sessions returns the number of sessions being served.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Serve accepts connections on l and serves each in its own session until
// ctx ends; it then closes l, lets each session answer the request it is
// handling (idle sessions end at once; Options.StopGrace bounds the wait),
// closes what remains and returns when every session has finished. It
// returns nil after a stop by ctx, or the listener's error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.log.Info().Str("listen", l.Addr().String()).Str("serial_number", s.opts.Config.SerialNumber).
		Str("authentication", s.authName()).Msg("alice serving")
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	// hard ends the requests still being handled when the grace period is
	// over; ctx only stops accepting and ends idle sessions.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	var err error
	for {
		conn, aerr := l.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				var ne net.Error
				if errors.As(aerr, &ne) && ne.Timeout() {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				err = fmt.Errorf("alice: accept: %w", aerr)
			}
			break
		}
		s.start(ctx, hard, conn)
	}
	l.Close()
	if ctx.Err() == nil {
		cancelHard() // the listener failed: stop now
		s.closeAll()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	grace := s.opts.StopGrace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn().Dur("grace", grace).Int("sessions", s.Sessions()).Msg("closing sessions still busy")
		cancelHard()
		s.closeAll()
		<-done
	}
	s.admission.closed.stop()
	s.log.Info().Uint64("frames", s.frames.Load()).Msg("alice stopped")
	return err
}

func (s *Server) authName() string {
	if s.opts.Authenticator == nil {
		return "none"
	}
	return s.opts.Authenticator.Name()
}

// ServeConn serves one already-established connection in a session and
// returns when the session ends; ctx ending closes the session at once
// (tests and in-memory transports).
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) {
	s.start(ctx, ctx, conn)
	s.wg.Wait()
	s.admission.closed.stop()
}

// start serves conn in a new session: ctx ends it when idle, hard ends the
// request it is handling. The connection starts unidentified (see
// admission): small frames only, timeouts.handshake to identify, and it may
// be evicted by newer unidentified connections; it is never refused.
func (s *Server) start(ctx, hard context.Context, conn net.Conn) {
	cfg := s.registry.Snapshot()
	s.mu.Lock()
	id := strconv.FormatUint(s.nextID.Add(1), 10)
	ts := transport.NewSession(conn, transport.Options{
		Authenticator: s.opts.Authenticator,
		Limits:        unidentifiedLimits(),
		IdleTimeout:   cfg.Timeouts.Idle.Duration,
		FrameTimeout:  cfg.Timeouts.FrameStall.Duration,
		WriteTimeout:  cfg.Timeouts.Write.Duration,
	})
	sess := newSession(s, id, ts, cfg)
	s.sessions[sess] = struct{}{}
	s.sessionsChanged(len(s.sessions))
	s.wg.Add(1)
	s.mu.Unlock()
	s.admission.admit(sess, cfg)
	hs := cfg.Timeouts.Handshake.Duration
	handshake := time.AfterFunc(hs, func() {
		if s.admission.isPending(sess) {
			sess.closeWith("handshake timeout: not identified within timeouts.handshake", &timeoutField{key: "timeouts.handshake", after: hs})
		}
	})
	go func() {
		defer s.wg.Done()
		defer func() {
			handshake.Stop()
			s.admission.leave(sess)
			s.mu.Lock()
			delete(s.sessions, sess)
			s.sessionsChanged(len(s.sessions))
			s.mu.Unlock()
		}()
		sess.run(ctx, hard)
	}()
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sess := range s.sessions {
		sess.ts.Close()
	}
}

// acquireEmitter waits up to wait for the emitter.
func (s *Server) acquireEmitter(ctx context.Context, wait time.Duration) error {
	select {
	case s.emitter <- struct{}{}:
		return nil
	default:
	}
	if s.emitterWaiting != nil {
		s.emitterWaiting()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.emitter <- struct{}{}:
		return nil
	case <-t.C:
		return fmt.Errorf("%w: waited %v", ErrEmitterBusy, wait)
	case <-ctx.Done():
		return fmt.Errorf("waiting for the emitter: %w", ctx.Err())
	}
}

func (s *Server) releaseEmitter() { <-s.emitter }
