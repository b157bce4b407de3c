package transport

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qosst/qosst-go/messages"
)

// script serves connections accepted on l one after the other; handle gets
// the session of the n-th connection (from 0).
func serve(t *testing.T, l net.Listener, conns int, handle func(n int, s *Session)) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; n < conns; n++ {
			s, err := Accept(l, Options{})
			if err != nil {
				return
			}
			handle(n, s)
			s.Close()
		}
	}()
	return done
}

func TestRequestReconnectsAndResendsOnce(t *testing.T) {
	noLeak(t)
	l := NewPipe()
	defer l.Close()
	type seen struct {
		code      messages.Code
		content   string
		challenge string
	}
	got := make(chan seen, 4)
	done := serve(t, l, 2, func(n int, s *Session) {
		m, err := s.Recv()
		if err != nil {
			t.Errorf("server conn %d: %v", n, err)
			return
		}
		got <- seen{m.Code, string(m.Content), m.Header.Challenge}
		if n == 0 {
			return // drop the connection without answering
		}
		if m.Code == messages.IdentificationRequest { // re-identification
			s.Send(messages.IdentificationResponse, []byte(`{"serial_number": "A"}`))
			if m, err = s.Recv(); err != nil {
				t.Errorf("resent request: %v", err)
				return
			}
			got <- seen{m.Code, string(m.Content), m.Header.Challenge}
		}
		s.Send(messages.InitializationAccepted, nil)
	})
	reidentified := 0
	c := NewClient(l, ClientOptions{OnReconnect: func(ctx context.Context, s *Session) error {
		reidentified++
		if err := s.SendContext(ctx, messages.IdentificationRequest, []byte(`{"serial_number": "B", "qosst_version": "QOSST/0.2"}`)); err != nil {
			return err
		}
		m, err := s.RecvContext(ctx)
		if err == nil && m.Code != messages.IdentificationResponse {
			err = errors.New("not identified")
		}
		return err
	}})
	defer c.Close()
	req := `{"frame_uuid": "0b1c8e9a-3f1e-4c55-9d55-2d0f6a6d2c11"}`
	m, err := c.Request(context.Background(), messages.InitializationRequest, []byte(req))
	if err != nil || m.Code != messages.InitializationAccepted {
		t.Fatalf("request across a dropped connection: %v %v", m.Code, err)
	}
	if c.Reconnects() != 1 || reidentified != 1 {
		t.Fatalf("reconnects %d, re-identifications %d", c.Reconnects(), reidentified)
	}
	first, ident, resent := <-got, <-got, <-got
	if first.code != messages.InitializationRequest || resent.code != first.code || resent.content != req {
		t.Fatalf("resent %v %q after %v", resent.code, resent.content, first.code)
	}
	if ident.code != messages.IdentificationRequest || ident.challenge != "" {
		t.Fatalf("fresh connection started with %v, challenge %q; want IDENTIFICATION_REQUEST on an empty chain", ident.code, ident.challenge)
	}
	<-done
}

func TestRequestResendsOnlyOnce(t *testing.T) {
	noLeak(t)
	l := NewPipe()
	defer l.Close()
	attempts := 0
	done := serve(t, l, 2, func(n int, s *Session) {
		if _, err := s.Recv(); err == nil {
			attempts++
		}
	})
	c := NewClient(l, ClientOptions{})
	defer c.Close()
	_, err := c.Request(context.Background(), messages.IdentificationRequest, []byte(`{}`))
	if c, ok := messages.LocalCode(err); !ok || c != messages.SocketDisconnection {
		t.Fatalf("two drops: %v", err)
	}
	<-done
	if attempts != 2 {
		t.Fatalf("%d attempts, want 2", attempts)
	}
}

func TestRequestNoResend(t *testing.T) {
	noLeak(t)
	l := NewPipe()
	defer l.Close()
	done := serve(t, l, 1, func(n int, s *Session) { s.Recv() })
	c := NewClient(l, ClientOptions{NoResend: true})
	defer c.Close()
	if _, err := c.Request(context.Background(), messages.IdentificationRequest, []byte(`{}`)); !errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("drop without resend: %v", err)
	}
	<-done
	if c.Reconnects() != 0 {
		t.Fatal("reconnected with NoResend")
	}
}

func TestRequestDoesNotResendAnswers(t *testing.T) {
	noLeak(t)
	l := NewPipe()
	defer l.Close()
	done := serve(t, l, 1, func(n int, s *Session) {
		s.Recv()
		s.Send(messages.Code(4242), []byte(`{}`))
		s.Recv() // wait for the client to go
	})
	c := NewClient(l, ClientOptions{})
	m, err := c.Request(context.Background(), messages.IdentificationRequest, []byte(`{}`))
	if !errors.Is(err, messages.ErrUnknownCode) || m.Code != 4242 || c.Reconnects() != 0 {
		t.Fatalf("unknown answer: %v %v, reconnects %d", m.Code, err, c.Reconnects())
	}
	c.Close()
	<-done
}

func TestRequestContextEndsClosesSession(t *testing.T) {
	noLeak(t)
	l := NewPipe()
	defer l.Close()
	release := make(chan struct{})
	done := serve(t, l, 1, func(n int, s *Session) {
		s.Recv()
		<-release // answer late
		s.Send(messages.IdentificationResponse, nil)
	})
	c := NewClient(l, ClientOptions{})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := c.Request(ctx, messages.IdentificationRequest, []byte(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) || c.Reconnects() != 0 {
		t.Fatalf("request past its context: %v", err)
	}
	if c.Session() != nil {
		t.Fatal("session kept open: a late answer would pair with the next request")
	}
	close(release)
	<-done
}

func TestClientCloseStopsRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewPipe()
		defer l.Close()
		done := serve(t, l, 1, func(n int, s *Session) { s.Recv(); s.Recv() })
		c := NewClient(l, ClientOptions{})
		errc := make(chan error, 1)
		go func() {
			_, err := c.Request(context.Background(), messages.IdentificationRequest, []byte(`{}`))
			errc <- err
		}()
		synctest.Wait() // the request is in flight: Alice waits for the next one
		c.Close()
		if err := <-errc; !errors.Is(err, ErrClosed) || c.Reconnects() != 0 {
			t.Fatalf("request during Close: %v (reconnects %d)", err, c.Reconnects())
		}
		<-done
	})
}

func TestRequestAfterFailureReconnectsWithHook(t *testing.T) {
	noLeak(t)
	l := NewPipe()
	defer l.Close()
	done := serve(t, l, 3, func(n int, s *Session) {
		for {
			m, err := s.Recv()
			if err != nil {
				return
			}
			if n == 0 {
				return // first connection: drop after one request
			}
			s.Send(messages.IdentificationResponse, []byte(`{"seen": `+strconv.Itoa(int(m.Code))+`}`))
		}
	})
	hooks := 0
	c := NewClient(l, ClientOptions{NoResend: true, OnReconnect: func(ctx context.Context, s *Session) error {
		hooks++
		return nil
	}})
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Request(ctx, messages.IdentificationRequest, []byte(`{}`)); !errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("dropped: %v", err)
	}
	if hooks != 0 {
		t.Fatal("hook ran without a new session")
	}
	// The next request opens a new session: the hook runs first.
	if m, err := c.Request(ctx, messages.IdentificationRequest, []byte(`{}`)); err != nil || m.Code != messages.IdentificationResponse {
		t.Fatalf("after the failure: %v %v", m.Code, err)
	}
	if hooks != 1 || c.Reconnects() != 1 {
		t.Fatalf("hooks %d, reconnects %d", hooks, c.Reconnects())
	}
	c.Close()
	l.Close()
	<-done
}
