package bob

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
)

// action is what the tampering proxy does with one of Bob's requests.
type action struct {
	kind    actionKind
	code    messages.Code // reply: the code Bob receives
	content []byte        // reply: its content
	// rewrite, when set on a forwarded request, edits Alice's answer.
	rewrite func(m transport.Message) (messages.Code, []byte)
}

type actionKind int

const (
	forward       actionKind = iota // pass to Alice, pass her answer back
	reply                           // answer Bob without asking Alice
	abortBoth                       // Alice drops the frame (proxy sends her ABORT); Bob receives ABORT
	authInvalid                     // Alice drops the frame; Bob receives AUTHENTICATION_INVALID
	hangup                          // close both connections without an answer
	corrupt                         // forward; corrupt the digest of Alice's answer on its way to Bob
	forwardHangup                   // pass to Alice, then close both connections: her answer is lost
)

// corruptConn flips one bit of the signed digest of the next frame written
// when armed (byte 4: the first digest byte after the two u16 lengths), so
// that the frame stays well formed but fails its integrity check.
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

// rule decides the fate of a request; seen counts the requests of that code
// so far, this one included.
type rule func(m transport.Message, seen int) action

// proxy sits between Bob and Alice: it terminates Bob's session, opens its
// own to Alice, and relays (code, content) pairs, except where its rule
// tampers. It records every request Bob sent.
type proxy struct {
	t     testing.TB
	alice transport.Dialer
	rule  rule
	pipe  *transport.Pipe

	mu   sync.Mutex
	sent []messages.Code
	seen map[messages.Code]int // over every connection
}

func newProxy(t testing.TB, alice transport.Dialer, r rule) *proxy {
	p := &proxy{t: t, alice: alice, rule: r, pipe: transport.NewPipe(), seen: map[messages.Code]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := p.pipe.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(ctx, c) }()
		}
	}()
	t.Cleanup(func() { cancel(); p.pipe.Close(); wg.Wait() })
	return p
}

// requests returns the codes Bob sent, in order.
func (p *proxy) requests() []messages.Code {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]messages.Code(nil), p.sent...)
}

func (p *proxy) count(c messages.Code) int {
	n := 0
	for _, x := range p.requests() {
		if x == c {
			n++
		}
	}
	return n
}

func (p *proxy) serve(ctx context.Context, c net.Conn) {
	opts := transport.Options{IdleTimeout: 30 * time.Second}
	cc := &corruptConn{Conn: c}
	bob := transport.NewSession(cc, opts)
	defer bob.Close()
	al, err := transport.Dial(ctx, p.alice, opts)
	if err != nil {
		p.t.Errorf("proxy: dial Alice: %v", err)
		return
	}
	defer al.Close()
	roundTrip := func(code messages.Code, content []byte) (transport.Message, error) {
		if err := al.SendContext(ctx, code, content); err != nil {
			return transport.Message{}, err
		}
		return al.RecvContext(ctx)
	}
	for {
		m, err := bob.RecvContext(ctx)
		if errors.Is(err, messages.ErrAuthentication) {
			// As Alice does: the frame is dropped and Bob must identify again.
			p.mu.Lock()
			p.sent = append(p.sent, m.Code)
			p.mu.Unlock()
			if a, err := roundTrip(messages.Abort, nil); err != nil || a.Code != messages.AbortAck {
				p.t.Errorf("proxy: Alice answered %v, %v to ABORT", a.Code, err)
				return
			}
			if err := bob.SendContext(ctx, messages.AuthenticationInvalid, nil); err != nil {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		p.mu.Lock()
		p.sent = append(p.sent, m.Code)
		p.seen[m.Code]++
		n := p.seen[m.Code]
		p.mu.Unlock()
		act := p.rule(m, n)
		var out transport.Message
		switch act.kind {
		case hangup:
			return
		case forwardHangup:
			roundTrip(m.Code, m.Content)
			return
		case forward, corrupt:
			out, err = roundTrip(m.Code, m.Content)
			if err != nil {
				return
			}
			if act.rewrite != nil {
				out.Code, out.Content = act.rewrite(out)
			}
		case reply:
			out = transport.Message{Code: act.code, Content: act.content}
		case abortBoth, authInvalid:
			a, err := roundTrip(messages.Abort, []byte(`{"abort_message": "test proxy"}`))
			if err != nil || a.Code != messages.AbortAck {
				p.t.Errorf("proxy: Alice answered %v, %v to ABORT", a.Code, err)
				return
			}
			out = transport.Message{Code: messages.Abort, Content: []byte(`{"abort_message": "operator stop"}`)}
			if act.kind == authInvalid {
				out = transport.Message{Code: messages.AuthenticationInvalid}
			}
		}
		if act.kind == corrupt {
			cc.armed.Store(true)
		}
		if err := bob.SendContext(ctx, out.Code, out.Content); err != nil {
			return
		}
		if m.Code == messages.Disconnection {
			return
		}
	}
}

// pass forwards everything.
func pass(transport.Message, int) action { return action{} }
