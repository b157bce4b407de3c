package alicetest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
)

func smallConfig(serial string) *config.Config {
	c := config.Default()
	c.SerialNumber = serial
	c.Frame.Quantum.NumSymbols = 20_000
	c.Simulation.CalibrationSamples = 1 << 12
	return c
}

// identify sends IDENTIFICATION_REQUEST on a new session and returns the
// serial number Alice answers with.
func identify(t *testing.T, d transport.Dialer) (*transport.Session, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := transport.NewSession(conn, transport.Options{IdleTimeout: 10 * time.Second})
	req, _ := messages.EncodeContent(&messages.IdentificationRequestContent{SerialNumber: "bob", QOSSTVersion: "QOSST/0.2"})
	if err := s.Send(messages.IdentificationRequest, req); err != nil {
		t.Fatal(err)
	}
	m, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	c, err := messages.DecodeContent(m.Code, m.Content)
	if err != nil || m.Code != messages.IdentificationResponse {
		t.Fatalf("answer %s %s (%v)", m.Code, m.Content, err)
	}
	return s, c.(*messages.IdentificationResponseContent).SerialNumber
}

// Alice serves on TCP and on a pipe with the given configuration, and Stop
// ends her sessions.
func TestServesAndStops(t *testing.T) {
	for _, network := range []string{alicetest.TCP, alicetest.Pipe} {
		t.Run(network, func(t *testing.T) {
			a := alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: smallConfig("alice-" + network)}, Network: network})
			if network == alicetest.TCP {
				if _, _, err := net.SplitHostPort(a.Addr); err != nil {
					t.Fatalf("address %q: %v", a.Addr, err)
				}
			} else if a.Addr != "pipe" {
				t.Fatalf("address %q", a.Addr)
			}
			s, serial := identify(t, a.Dialer)
			defer s.Close()
			if serial != "alice-"+network {
				t.Fatalf("serial number %q", serial)
			}
			if a.Keys == nil || a.Emitter == nil || a.Alice == nil || a.Config.SerialNumber != serial {
				t.Fatalf("server fields not set: %+v", a)
			}
			a.Stop()
			if _, err := s.Recv(); err == nil {
				t.Fatal("session still open after Stop")
			}
			if n := a.Alice.Sessions(); n != 0 {
				t.Fatalf("%d sessions after Stop", n)
			}
			a.Stop() // a second Stop (and the one at cleanup) does nothing
		})
	}
}

// A listener of the caller's is served, and a pipe is also the dialer.
func TestServesGivenListener(t *testing.T) {
	p := transport.NewPipe()
	a := alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: smallConfig("given")}, Listener: p})
	if a.Dialer != p {
		t.Fatal("the pipe is not the dialer")
	}
	s, serial := identify(t, p)
	defer s.Close()
	if serial != "given" {
		t.Fatalf("serial number %q", serial)
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Cleanup(func()) {}

// brokenListener fails Accept: Serve returns an error. It closes accepted
// when Serve closes it after the failed Accept, by which time Serve has
// recorded the error (closing accepted in Accept let a Stop cancel Serve's
// context before Serve looked at it, and the error went unreported).
type brokenListener struct {
	net.Listener
	accepted chan struct{}
	once     *sync.Once
}

var errBroken = errors.New("broken listener")

func (l brokenListener) Accept() (net.Conn, error) {
	return nil, errBroken
}

func (l brokenListener) Close() error {
	l.once.Do(func() { close(l.accepted) })
	return l.Listener.Close()
}

// Stop fails the test when Alice's Serve ends with an error.
func TestStopReportsServeError(t *testing.T) {
	r := &recorder{TB: t}
	l := brokenListener{Listener: transport.NewPipe(), accepted: make(chan struct{}), once: new(sync.Once)}
	a := alicetest.Start(r, alicetest.Options{Options: alice.Options{Config: smallConfig("broken")}, Listener: l})
	<-l.accepted // Serve failed, and closed the listener, before Stop cancels it
	a.Stop()
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], errBroken.Error()) {
		t.Fatalf("failures %q, want one naming the Serve error", r.failures)
	}
}

// countingObserver counts what Alice reports to the observer of Options.
type countingObserver struct {
	mu      sync.Mutex
	changes []int
}

func (o *countingObserver) FrameEnded(alice.FrameReport) {}
func (o *countingObserver) AuthenticationFailed()        {}
func (o *countingObserver) SessionsChanged(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.changes = append(o.changes, n)
}

// WaitSessions returns once a session that ended is no longer served, and
// the observer of Options still hears every change.
func TestWaitSessions(t *testing.T) {
	obs := &countingObserver{}
	a := alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: smallConfig("alice"), Observer: obs}, Network: alicetest.Pipe})
	if !a.WaitSessions(0, 0) {
		t.Fatal("sessions before any connection")
	}
	s, _ := identify(t, a.Dialer)
	if a.Alice.Sessions() != 1 || a.WaitSessions(0, 10*time.Millisecond) {
		t.Fatalf("%d sessions, or the open one not counted", a.Alice.Sessions())
	}
	s.Close()
	if !a.WaitSessions(0, 5*time.Second) || a.Alice.Sessions() != 0 {
		t.Fatalf("%d sessions after the peer left", a.Alice.Sessions())
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if fmt.Sprint(obs.changes) != "[1 0]" {
		t.Fatalf("observer heard %v, want [1 0]", obs.changes)
	}
}
