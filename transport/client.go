package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/qosst/qosst-go/messages"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	// Session configures every session the client opens.
	Session Options
	// NoResend disables the reconnect-and-resend of Request.
	NoResend bool
	// OnReconnect, when set, runs on each fresh session that replaces an
	// earlier one (dropped, timed out, or closed), before any request is
	// sent on it: before the resend of Request, and before the first
	// request after a failure. The new session's
	// challenge chain starts empty, as the reference's does; a strict server
	// also starts the new connection unidentified, so a caller whose request
	// is not IDENTIFICATION_REQUEST typically identifies again here.
	OnReconnect func(ctx context.Context, s *Session) error
}

// Client is the requesting side of QOSST (Bob): one request, one response,
// over a session it (re)opens with its Dialer. Request calls are
// serialised; Close may be called from any goroutine.
type Client struct {
	dialer Dialer
	opts   ClientOptions

	mu         sync.Mutex // serialises Request and Connect
	dialed     int        // guarded by mu: sessions opened so far
	sess       atomic.Pointer[Session]
	closed     atomic.Bool
	reconnects atomic.Int64
}

// NewClient returns a client that dials d on first use.
func NewClient(d Dialer, opts ClientOptions) *Client {
	return &Client{dialer: d, opts: opts}
}

// Connect opens the session if none is open.
func (c *Client) Connect(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.session(ctx)
	return err
}

// Session returns the current session, or nil when none is open.
func (c *Client) Session() *Session {
	if s := c.sess.Load(); s != nil && !s.Closed() {
		return s
	}
	return nil
}

// Reconnects counts the sessions opened to replace an earlier one.
func (c *Client) Reconnects() int { return int(c.reconnects.Load()) }

// Close closes the client and its session; later requests fail with
// ErrClosed.
func (c *Client) Close() error {
	c.closed.Store(true)
	if s := c.sess.Load(); s != nil {
		return s.Close()
	}
	return nil
}

func (c *Client) session(ctx context.Context) (*Session, error) {
	if c.closed.Load() {
		return nil, fmt.Errorf("transport: client: %w: %w", messages.ErrDisconnected, ErrClosed)
	}
	if s := c.sess.Load(); s != nil && !s.Closed() {
		return s, nil
	}
	s, err := Dial(ctx, c.dialer, c.opts.Session)
	if err != nil {
		return nil, err
	}
	c.sess.Store(s)
	if c.closed.Load() { // Close raced with the dial
		s.Close()
		return nil, fmt.Errorf("transport: client: %w: %w", messages.ErrDisconnected, ErrClosed)
	}
	c.dialed++
	if c.dialed > 1 {
		c.reconnects.Add(1)
		if c.opts.OnReconnect != nil {
			if err := c.opts.OnReconnect(ctx, s); err != nil {
				s.Close()
				return nil, fmt.Errorf("transport: reconnect: %w", err)
			}
		}
	}
	return s, nil
}

// Request sends (code, content) and waits for the response, as the
// reference client's request does: when the connection turns out to be
// dropped (the send or the receive fails with messages.ErrDisconnected,
// deadlines included), it opens a fresh session, runs OnReconnect, and
// sends the same request once more. The fresh session's chain starts
// empty. Errors that are an answer from the peer (ErrAuthentication,
// ErrUnknownCode, ErrFrame) are returned with the Message and never
// resent. When ctx ends the session is closed, so a late response cannot
// be taken for the answer to the next request.
func (c *Client) Request(ctx context.Context, code messages.Code, content []byte) (Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for attempt := 0; ; attempt++ {
		s, err := c.session(ctx)
		if err != nil {
			return Message{}, err
		}
		m, err := roundTrip(ctx, s, code, content)
		if err == nil {
			return m, nil
		}
		if ctx.Err() != nil {
			s.Close()
			return m, err
		}
		if !errors.Is(err, messages.ErrDisconnected) {
			return m, err // the peer answered, or our own content was refused
		}
		s.Close()
		if attempt == 1 || c.opts.NoResend || errors.Is(err, ErrClosed) && c.closed.Load() {
			return m, err
		}
	}
}

func roundTrip(ctx context.Context, s *Session, code messages.Code, content []byte) (Message, error) {
	if err := s.SendContext(ctx, code, content); err != nil {
		return Message{}, err
	}
	return s.RecvContext(ctx)
}
