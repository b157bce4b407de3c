package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

// noLeak fails the test when goroutines started during it are still alive
// shortly after it ends.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutines left behind: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// pair returns two sessions over an in-memory pipe.
func pair(t *testing.T, a, b Options) (*Session, *Session) {
	t.Helper()
	ca, cb := net.Pipe()
	sa, sb := NewSession(ca, a), NewSession(cb, b)
	t.Cleanup(func() { sa.Close(); sb.Close() })
	return sa, sb
}

// tcpPair returns two sessions over loopback TCP.
func tcpPair(t testing.TB, a, b Options) (*Session, *Session) {
	t.Helper()
	l, err := Endpoint{Network: NetworkTCP, Address: "127.0.0.1:0"}.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ep, _ := ParseEndpoint(l.Addr().String())
	acc := make(chan *Session, 1)
	go func() {
		s, err := Accept(l, b)
		if err != nil {
			acc <- nil
			return
		}
		acc <- s
	}()
	sa, err := Dial(context.Background(), ep, a)
	if err != nil {
		t.Fatal(err)
	}
	sb := <-acc
	if sb == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { sa.Close(); sb.Close() })
	return sa, sb
}

// exchange sends from one session and receives on the other, concurrently
// (net.Pipe is synchronous).
func exchange(t *testing.T, from, to *Session, code messages.Code, content string) (Message, error) {
	t.Helper()
	sent := make(chan error, 1)
	go func() { sent <- from.Send(code, []byte(content)) }()
	m, err := to.Recv()
	var serr error
	select {
	case serr = <-sent:
	case <-time.After(time.Second):
		from.Close() // unblock a sender stuck on a pipe nobody reads
		serr = <-sent
	}
	if serr != nil && err == nil {
		t.Fatalf("send %v: %v", code, serr)
	}
	return m, err
}

func mustExchange(t *testing.T, from, to *Session, code messages.Code, content string) Message {
	t.Helper()
	m, err := exchange(t, from, to, code, content)
	if err != nil {
		t.Fatalf("%v: %v", code, err)
	}
	if m.Code != code || string(m.Content) != content {
		t.Fatalf("received %v %q, sent %v %q", m.Code, m.Content, code, content)
	}
	return m
}

func TestSessionConversation(t *testing.T) {
	noLeak(t)
	bob, alice := pair(t, Options{}, Options{})
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{"serial_number": "B", "qosst_version": "QOSST/0.2"}`)
	mustExchange(t, alice, bob, messages.IdentificationResponse, `{"serial_number": "A"}`)
	m := mustExchange(t, bob, alice, messages.QIERequest, "")
	if m.Content != nil {
		t.Fatalf("absent content handed up as %q", m.Content)
	}
	mustExchange(t, alice, bob, messages.QIEReady, "")
	echo, expect := bob.Challenges()
	if len(echo) != messages.ChallengeLength || expect != "" {
		t.Fatalf("bob after a round trip: echo %q, expect %q", echo, expect)
	}
}

func TestChainIntactAfterUnknownCode(t *testing.T) {
	noLeak(t)
	bob, alice := pair(t, Options{}, Options{})
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{"serial_number": "B", "qosst_version": "QOSST/0.2"}`)
	mustExchange(t, alice, bob, messages.IdentificationResponse, `{"serial_number": "A"}`)
	m, err := exchange(t, bob, alice, messages.Code(999), `{"x": 1}`)
	if !errors.Is(err, messages.ErrUnknownCode) {
		t.Fatalf("unknown code: %v", err)
	}
	if c, _ := messages.LocalCode(err); c != messages.UnknownCode {
		t.Fatalf("local code %v", c)
	}
	if m.Code != 999 || string(m.Content) != `{"x": 1}` {
		t.Fatalf("unknown frame handed up as %v %q", m.Code, m.Content)
	}
	mustExchange(t, alice, bob, messages.UnkownCommand, `{"code": 999}`)
	mustExchange(t, bob, alice, messages.PENphotonRequest, "")
	mustExchange(t, alice, bob, messages.PENphotonResponse, `{"n_photon": 1.0}`)
}

func TestContentNotJSONIsInvalidContent(t *testing.T) {
	bob, alice := pair(t, Options{}, Options{})
	m := mustExchange(t, bob, alice, messages.IdentificationRequest, `{"serial_number": `)
	if _, err := m.Decode(); !errors.Is(err, messages.ErrInvalidContent) {
		t.Fatalf("truncated content JSON decodes: %v", err)
	}
	mustExchange(t, alice, bob, messages.InvalidContent, `{"code": 100, "error_message": "bad"}`)
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{}`)
}

// recConn records what is written through it.
type recConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *recConn) Write(p []byte) (int, error) {
	c.buf.Write(p)
	return c.Conn.Write(p)
}

func TestReplayedFrameRejected(t *testing.T) {
	ca, cb := net.Pipe()
	rc := &recConn{Conn: cb}
	bob, alice := NewSession(ca, Options{}), NewSession(rc, Options{})
	defer bob.Close()
	defer alice.Close()
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{}`)
	mustExchange(t, alice, bob, messages.IdentificationResponse, `{}`)
	mustExchange(t, bob, alice, messages.QIERequest, ``)
	rc.buf.Reset()
	mustExchange(t, alice, bob, messages.QIEReady, ``)
	replay := bytes.Clone(rc.buf.Bytes())
	go cb.Write(replay)
	if _, err := bob.Recv(); !errors.Is(err, messages.ErrAuthentication) || !strings.Contains(err.Error(), "replayed") {
		t.Fatalf("replayed frame: %v", err)
	}
}

func TestWrongChallengeRejected(t *testing.T) {
	bob, alice := pair(t, Options{}, Options{})
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{}`)
	// Bob forgets the chain: his next frame echoes "" instead of Alice's challenge.
	go alice.Send(messages.IdentificationResponse, []byte(`{}`))
	if _, err := bob.Recv(); err != nil {
		t.Fatal(err)
	}
	bob.chainMu.Lock()
	bob.echo = "WRONGCHALLENGE1"
	bob.chainMu.Unlock()
	if _, err := exchange(t, bob, alice, messages.QIERequest, ""); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("wrong challenge: %v", err)
	}
	// Re-identification restarts the chain.
	mustExchange(t, alice, bob, messages.AuthenticationInvalid, "")
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{}`)
	mustExchange(t, alice, bob, messages.IdentificationResponse, `{}`)
	mustExchange(t, bob, alice, messages.QIERequest, "")
}

func TestAuthenticatorsInteroperate(t *testing.T) {
	noLeak(t)
	k1 := bytes.Repeat([]byte{1}, 32)
	k2 := bytes.Repeat([]byte{2}, 32)
	h1a, _ := auth.NewHMAC(k1)
	h1b, _ := auth.NewHMAC(k1)
	h2, _ := auth.NewHMAC(k2)
	pubA, privA, _ := ed25519.GenerateKey(rand.Reader)
	pubB, privB, _ := ed25519.GenerateKey(rand.Reader)
	pubM, _, _ := ed25519.GenerateKey(rand.Reader)
	edA, _ := auth.NewEd25519(privA, pubB)
	edB, _ := auth.NewEd25519(privB, pubA)
	edBWrong, _ := auth.NewEd25519(privB, pubM) // trusts someone else's key

	for _, c := range []struct {
		name   string
		a, b   messages.Authenticator
		accept bool
	}{
		{"hmac same key", h1a, h1b, true},
		{"hmac other key", h1a, h2, false},
		{"ed25519 pair", edA, edB, true},
		{"ed25519 wrong peer key", edA, edBWrong, false},
		{"hmac vs none", h1a, auth.None(), false},
		{"ed25519 vs hmac", edA, h1b, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sa, sb := tcpPair(t, Options{Authenticator: c.a}, Options{Authenticator: c.b})
			if err := sa.Send(messages.IdentificationRequest, []byte(`{"serial_number": "B"}`)); err != nil {
				t.Fatal(err)
			}
			m, err := sb.Recv()
			if c.accept {
				if err != nil || m.Code != messages.IdentificationRequest {
					t.Fatalf("%v %v", m.Code, err)
				}
				if err := sb.Send(messages.IdentificationResponse, []byte(`{}`)); err != nil {
					t.Fatal(err)
				}
				if _, err := sa.Recv(); err != nil {
					t.Fatalf("reply: %v", err)
				}
				return
			}
			if !errors.Is(err, messages.ErrAuthentication) {
				t.Fatalf("wrong key accepted: %v", err)
			}
			if m.Content != nil {
				t.Fatal("unauthenticated content handed up")
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	noLeak(t)
	_, alice := pair(t, Options{}, Options{IdleTimeout: 30 * time.Millisecond})
	start := time.Now()
	_, err := alice.Recv()
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "idle" || !errors.Is(err, messages.ErrDisconnected) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("idle: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("idle timeout took %v", el)
	}
	if !alice.Closed() {
		t.Fatal("session still open after a timeout")
	}
}

func TestStalledHalfFrame(t *testing.T) {
	noLeak(t)
	ca, cb := net.Pipe()
	defer ca.Close()
	alice := NewSession(cb, Options{IdleTimeout: -1, FrameTimeout: 50 * time.Millisecond})
	defer alice.Close()
	frame, _ := messages.AppendFrame(nil, messages.Header{Code: messages.IdentificationRequest}, []byte(`{}`), auth.None())
	go ca.Write(frame[:10]) // then stall
	_, err := alice.Recv()
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "frame" || !errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("stalled frame: %v", err)
	}
}

func TestWriteTimeout(t *testing.T) {
	noLeak(t)
	bob, _ := pair(t, Options{WriteTimeout: 30 * time.Millisecond}, Options{})
	// Nobody reads the synchronous pipe.
	err := bob.Send(messages.IdentificationRequest, []byte(`{}`))
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "write" || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write: %v", err)
	}
	if err := bob.Send(messages.IdentificationRequest, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after a failed write: %v", err)
	}
}

// Close unblocks a Recv and a Send in progress (synctest.Wait: the call is
// blocked before Close, without a sleep).
func TestCloseUnblocksRecvAndSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, alice := pair(t, Options{}, Options{IdleTimeout: -1})
		got := make(chan error, 1)
		go func() { _, err := alice.Recv(); got <- err }()
		synctest.Wait()
		go alice.Close()
		if err := <-got; !errors.Is(err, messages.ErrDisconnected) || !errors.Is(err, ErrClosed) {
			t.Fatalf("recv after close: %v", err)
		}
		if err := alice.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		// A Send blocked on a peer that does not read is unblocked by Close.
		bob, _ := pair(t, Options{WriteTimeout: -1}, Options{})
		go func() { got <- bob.Send(messages.IdentificationRequest, []byte(`{}`)) }()
		synctest.Wait()
		go bob.Close()
		if err := <-got; !errors.Is(err, messages.ErrDisconnected) || !errors.Is(err, ErrClosed) {
			t.Fatalf("send after close: %v", err)
		}
	})
}

func TestContextCancelWhileIdleKeepsSession(t *testing.T) {
	noLeak(t)
	bob, alice := pair(t, Options{}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := alice.RecvContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("canceled wait: %v", err)
	}
	if alice.Closed() {
		t.Fatal("session closed by a cancellation while idle")
	}
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{}`)
}

func TestOutOfSyncAfterFrameError(t *testing.T) {
	ca, cb := net.Pipe()
	defer ca.Close()
	alice := NewSession(cb, Options{})
	defer alice.Close()
	bad := []byte{0, 5, 0, 0, 'n', 'o', 'p', 'e', '!', 'x', 'y', 'z'}
	go ca.Write(bad)
	if _, err := alice.Recv(); !errors.Is(err, messages.ErrFrame) {
		t.Fatalf("garbage header: %v", err)
	}
	// The session can still answer.
	go io.Copy(io.Discard, ca)
	if err := alice.Send(messages.InvalidContent, []byte(`{"code": 0, "error_message": "unreadable frame"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Recv(); !errors.Is(err, messages.ErrDisconnected) || !errors.Is(err, ErrOutOfSync) {
		t.Fatalf("recv after losing the frame boundary: %v", err)
	}
	if !alice.Closed() {
		t.Fatal("session left open after losing sync")
	}
}

func TestContentLimit(t *testing.T) {
	ca, cb := net.Pipe()
	defer ca.Close()
	alice := NewSession(cb, Options{Limits: messages.Limits{MaxContent: 16}})
	defer alice.Close()
	frame, _ := messages.AppendFrame(nil, messages.Header{Code: messages.IdentificationRequest}, []byte(`{"serial_number": "too long for the limit"}`), auth.None())
	go ca.Write(frame)
	if _, err := alice.Recv(); !errors.Is(err, messages.ErrFrame) {
		t.Fatalf("oversized content: %v", err)
	}
}

func TestPeerDisconnects(t *testing.T) {
	bob, alice := tcpPair(t, Options{}, Options{})
	bob.Close()
	_, err := alice.Recv()
	if c, ok := messages.LocalCode(err); !ok || c != messages.SocketDisconnection {
		t.Fatalf("peer closed: %v", err)
	}
}

func TestUnixSocketSession(t *testing.T) {
	noLeak(t)
	path := filepath.Join(t.TempDir(), "qosst.sock")
	ep, err := ParseEndpoint("unix://" + path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ep.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket file mode: %v %v", fi, err)
	}
	done := make(chan error, 1)
	go func() {
		s, err := Accept(l, Options{})
		if err != nil {
			done <- err
			return
		}
		defer s.Close()
		m, err := s.Recv()
		if err == nil {
			err = s.Send(messages.IdentificationResponse, m.Content)
		}
		done <- err
	}()
	c := NewClient(ep, ClientOptions{})
	defer c.Close()
	m, err := c.Request(context.Background(), messages.IdentificationRequest, []byte(`{"serial_number": "B"}`))
	if err != nil || m.Code != messages.IdentificationResponse || string(m.Content) != `{"serial_number": "B"}` {
		t.Fatalf("%v %q %v", m.Code, m.Content, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestParseEndpoint(t *testing.T) {
	for in, want := range map[string]Endpoint{
		"tcp://10.0.0.2:9000": {NetworkTCP, "10.0.0.2:9000"},
		"10.0.0.2:9000":       {NetworkTCP, "10.0.0.2:9000"},
		"alice.lab":           {NetworkTCP, "alice.lab:8181"},
		"tcp://alice.lab":     {NetworkTCP, "alice.lab:8181"},
		"[::1]:1":             {NetworkTCP, "[::1]:1"},
		"[::1]":               {NetworkTCP, "[::1]:8181"},
		"unix:///run/q.sock":  {NetworkUnix, "/run/q.sock"},
		"unix:q.sock":         {NetworkUnix, "q.sock"},
		"/run/q.sock":         {NetworkUnix, "/run/q.sock"},
	} {
		got, err := ParseEndpoint(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "http://x", "x:99999", "unix://", "x:port"} {
		if _, err := ParseEndpoint(bad); !errors.Is(err, ErrEndpoint) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func TestRejectedFrameReplyReachesPeer(t *testing.T) {
	// After rejecting a frame whose digest held but whose challenge did not,
	// the AUTHENTICATION_INVALID reply is accepted by the sender.
	bob, alice := pair(t, Options{}, Options{})
	mustExchange(t, bob, alice, messages.IdentificationRequest, `{}`)
	mustExchange(t, alice, bob, messages.IdentificationResponse, `{}`)
	// Bob sends twice in a row: the second frame echoes no fresh challenge.
	mustExchange(t, bob, alice, messages.QIERequest, "")
	if _, err := exchange(t, bob, alice, messages.QIETrigger, ""); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("second frame without an answer in between: %v", err)
	}
	mustExchange(t, alice, bob, messages.AuthenticationInvalid, "")
}

func TestTypedContent(t *testing.T) {
	bob, alice := pair(t, Options{}, Options{})
	go bob.SendContent(context.Background(), messages.PESymbolsRequest, &messages.PESymbolsRequestContent{Indices: []int{4, 0, 2}})
	m, err := alice.Recv()
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if req, ok := c.(*messages.PESymbolsRequestContent); !ok || len(req.Indices) != 3 || req.Indices[0] != 4 {
		t.Fatalf("decoded %#v", c)
	}
	if err := bob.SendContent(context.Background(), messages.QIERequest, &messages.PESymbolsRequestContent{}); err == nil {
		t.Fatal("content of another code accepted")
	}
}
