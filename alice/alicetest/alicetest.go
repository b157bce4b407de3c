// Package alicetest serves our Alice for tests, in the manner of
// net/http/httptest: Start runs an alice.Server on a loopback TCP port, an
// in-memory pipe or a listener of the caller's, with whatever configuration,
// emitter, key store and authenticator the test gives (a small simulated
// link and a temporary key directory when it gives none), and returns its
// address and a dialer. Stop, also run when the test ends, stops the server
// and fails the test when it does not stop in time, ends with an error or
// leaves a session behind.
package alicetest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
)

// Networks Start can listen on.
const (
	TCP  = "tcp"  // a loopback TCP port chosen by the system
	Pipe = "pipe" // an in-memory transport.Pipe
)

// StopTimeout bounds how long Stop waits for the server to return.
const StopTimeout = 10 * time.Second

// Options configure Start. The embedded alice.Options are passed to
// alice.New, with defaults for what is left zero: Config config.Default(),
// Emitter the simulated emitter of station.SimConfig(Config) (closed by Stop),
// Keys a store in a fresh temporary directory, Logger disabled.
type Options struct {
	alice.Options
	// Network is TCP (the default) or Pipe; ignored when Listener is set.
	Network string
	// Listener, when not nil, is served instead of a new one (Dialer is
	// then nil unless the listener is a transport.Dialer, as a
	// transport.Pipe is).
	Listener net.Listener
}

// Server is our Alice serving until Stop.
type Server struct {
	// Alice is the running server.
	Alice *alice.Server
	// Config is the configuration Alice was started with.
	Config *config.Config
	// Emitter is Alice's emitter.
	Emitter hardware.Emitter
	// Keys is the store of Alice's final keys.
	Keys *keystore.Store
	// Addr is the listen address ("pipe" on a pipe).
	Addr string
	// Dialer connects to Alice.
	Dialer transport.Dialer

	t         testing.TB
	sessions  *sessionWatch
	ownsEm    bool
	cancel    context.CancelFunc
	done      chan error
	closeOnce sync.Once
}

// Start serves our Alice until Stop or the end of the test; it fails the
// test at once when Alice cannot start.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ao := opts.Options
	if ao.Config == nil {
		ao.Config = config.Default()
	}
	s := &Server{t: t, Config: ao.Config, done: make(chan error, 1)}
	if ao.Emitter == nil {
		em, err := sim.NewEmitter(station.SimConfig(ao.Config))
		if err != nil {
			t.Fatalf("alicetest: emitter: %v", err)
		}
		ao.Emitter, s.ownsEm = em, true
	}
	s.Emitter = ao.Emitter
	if ao.Keys == nil {
		keys, err := keystore.Open(t.TempDir())
		if err != nil {
			s.closeEmitter()
			t.Fatalf("alicetest: keys: %v", err)
		}
		ao.Keys = keys
	}
	s.Keys = ao.Keys
	s.sessions = &sessionWatch{next: ao.Observer, changed: make(chan struct{})}
	ao.Observer = s.sessions
	srv, err := alice.New(ao)
	if err != nil {
		s.closeEmitter()
		t.Fatalf("alicetest: %v", err)
	}
	s.Alice = srv
	l, err := s.listen(opts)
	if err != nil {
		s.closeEmitter()
		t.Fatalf("alicetest: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- srv.Serve(ctx, l) }()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) listen(opts Options) (net.Listener, error) {
	if l := opts.Listener; l != nil {
		s.Addr = l.Addr().String()
		if d, ok := l.(transport.Dialer); ok {
			s.Dialer = d
		}
		return l, nil
	}
	switch opts.Network {
	case Pipe:
		p := transport.NewPipe()
		s.Addr, s.Dialer = p.Addr().String(), p
		return p, nil
	case TCP, "":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addr := l.Addr().String()
		s.Addr = addr
		s.Dialer = transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		})
		return l, nil
	}
	return nil, &net.AddrError{Err: "unknown network", Addr: opts.Network}
}

// Stop stops Alice and waits for her to return: it fails the test when she
// does not within StopTimeout, when Serve returns an error, when a session
// is left or when a handler made a programming error (fsm.InvariantError); it then closes the emitter Start created. Stop may be called more
// than once.
func (s *Server) Stop() {
	s.closeOnce.Do(func() {
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil {
				s.t.Errorf("alicetest: Serve: %v", err)
			}
			if n := s.Alice.Sessions(); n != 0 {
				s.t.Errorf("alicetest: %d sessions left after Serve returned", n)
			}
			if n := s.Alice.ProgrammingErrors(); n != 0 {
				s.t.Errorf("alicetest: %d programming errors (see the log: a handler broke what the table guarantees)", n)
			}
		case <-time.After(StopTimeout):
			s.t.Errorf("alicetest: alice did not stop within %v", StopTimeout)
		}
		s.closeEmitter()
	})
}

func (s *Server) closeEmitter() {
	if s.ownsEm {
		s.Emitter.Close()
	}
}

// WaitSessions waits until Alice serves at most max sessions, signalled by
// Alice as their number changes, and reports whether that happened within
// timeout.
func (s *Server) WaitSessions(max int, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		s.sessions.mu.Lock()
		active, changed := s.sessions.active, s.sessions.changed
		s.sessions.mu.Unlock()
		if active <= max {
			return true
		}
		select {
		case <-changed:
		case <-t.C:
			return false
		}
	}
}

// sessionWatch is the Observer Start installs: it follows the number of
// sessions for WaitSessions and passes everything on to the observer of
// Options, if any.
type sessionWatch struct {
	next    alice.Observer
	mu      sync.Mutex
	active  int
	changed chan struct{} // closed, then replaced, at every change
}

func (w *sessionWatch) FrameEnded(r alice.FrameReport) {
	if w.next != nil {
		w.next.FrameEnded(r)
	}
}

func (w *sessionWatch) AuthenticationFailed() {
	if w.next != nil {
		w.next.AuthenticationFailed()
	}
}

func (w *sessionWatch) SessionsChanged(n int) {
	w.mu.Lock()
	w.active = n
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	if w.next != nil {
		w.next.SessionsChanged(n)
	}
}
