package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

// Default per-operation deadlines (see Options).
const (
	DefaultIdleTimeout  = 10 * time.Minute
	DefaultFrameTimeout = time.Minute
	DefaultWriteTimeout = time.Minute
)

// copyContentMax is the largest content that Send copies behind the frame
// prefix to write the frame with one plain write; larger contents go out
// uncopied in a vectored write.
const copyContentMax = 4 << 10

// Errors of the session beyond the local sentinels of package messages.
var (
	// ErrTimeout: a deadline fired (see TimeoutError).
	ErrTimeout = errors.New("timeout")
	// ErrClosed: the session was closed by this side.
	ErrClosed = errors.New("session closed")
	// ErrOutOfSync: an earlier frame error left the stream at an unknown
	// frame boundary, so nothing more can be read from it.
	ErrOutOfSync = errors.New("stream out of sync after a frame error")
)

// TimeoutError is a deadline that fired. Op is "idle" (no frame started in
// time), "frame" (a frame started but did not complete in time) or "write".
// The session is closed when it is returned, so it unwraps to
// messages.ErrDisconnected, ErrTimeout and os.ErrDeadlineExceeded.
type TimeoutError struct {
	Op    string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("transport: %s timeout after %v", e.Op, e.After)
}

// Unwrap lets errors.Is match messages.ErrDisconnected, ErrTimeout and
// os.ErrDeadlineExceeded.
func (e *TimeoutError) Unwrap() []error {
	return []error{messages.ErrDisconnected, ErrTimeout, os.ErrDeadlineExceeded}
}

// Options configure a Session. The zero value is usable: None
// authenticator, default limits and deadlines.
type Options struct {
	// Authenticator signs outgoing and verifies incoming frames; nil means
	// auth.None(), the reference default.
	Authenticator messages.Authenticator
	// Limits bounds incoming frames (max content 128 MiB by default).
	Limits messages.Limits
	// IdleTimeout bounds the wait for the first byte of the next frame;
	// FrameTimeout bounds the rest of a frame once its first byte arrived;
	// WriteTimeout bounds writing one frame. Zero takes the Default*
	// value; a negative value disables the deadline. A deadline d fires
	// between d and d + DeadlineSlack(d) after its operation started (see
	// DeadlineSlack).
	IdleTimeout, FrameTimeout, WriteTimeout time.Duration
	// NextChallenge draws the next_challenge of each sent frame; nil draws
	// them as messages.NewChallenge does (uniform over [A-Za-z0-9], from
	// crypto/rand, rejection sampling) but from a per-session buffer of
	// crypto/rand bytes, refilled in blocks. Tests set it to replay a
	// recorded side of a conversation.
	NextChallenge func() string
}

func (o Options) resolved() Options {
	if o.Authenticator == nil {
		o.Authenticator = auth.None()
	}
	o.IdleTimeout = orDefault(o.IdleTimeout, DefaultIdleTimeout)
	o.FrameTimeout = orDefault(o.FrameTimeout, DefaultFrameTimeout)
	o.WriteTimeout = orDefault(o.WriteTimeout, DefaultWriteTimeout)
	return o
}

// DeadlineSlack is how late a deadline of d may fire: d/16, at most one
// second. Re-arming a deadline costs a runtime timer update per operation,
// a sixth of a small frame's processing; instead the session arms a
// deadline d + DeadlineSlack(d) ahead and keeps it for every operation that
// starts within DeadlineSlack(d) of the arming, whose own deadline d would
// fall inside the slack. A deadline therefore never fires before d has
// elapsed since its operation started, and at most DeadlineSlack(d) after.
func DeadlineSlack(d time.Duration) time.Duration {
	return min(d/16, time.Second)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Message is one received frame. Content is the content JSON exactly as
// received (nil when the frame carried none); decode it with
// messages.DecodeContent. When Recv also returns an error, Message holds
// what could be read: for ErrUnknownCode the whole frame, whose integrity
// held; for ErrAuthentication only the unverified Code and Header, for
// logging.
type Message struct {
	Code    messages.Code
	Content []byte
	Header  messages.Header
}

// Session is one QOSST connection: it sends and receives frames over a
// byte stream and keeps the challenge chain. Send and Recv may be called
// from different goroutines (one sender and one receiver at a time each);
// Close may be called from any goroutine and unblocks both.
type Session struct {
	conn net.Conn
	opts Options
	br   *bufio.Reader
	fr   frameReader // what the decoder reads: br, arming the frame deadline
	dec  *messages.Decoder

	recvMu     sync.Mutex // serialises receivers
	outOfSync  bool       // guarded by recvMu
	frameArmed bool       // guarded by recvMu: the frame deadline is armed for this frame
	digest     [32]byte   // guarded by recvMu

	sendMu sync.Mutex      // serialises senders
	prefix []byte          // guarded by sendMu
	iov    [2][]byte       // guarded by sendMu: prefix and content of a write
	bufs   net.Buffers     // guarded by sendMu
	chal   challengeSource // guarded by sendMu

	chainMu     sync.Mutex
	echo        string // the peer's last next_challenge: what we echo
	expect      string // our last next_challenge: what the peer must echo
	expectValid bool   // false once expect was echoed, until we send again

	dlMu          sync.Mutex // orders deadline changes with context cancellation
	readCanceled  bool
	writeCanceled bool
	epoch         time.Time     // monotonic origin of readAt and writeAt
	readAt        time.Duration // the read deadline armed on conn, since epoch (0: none, < 0: past)
	writeAt       time.Duration // the write deadline armed on conn, since epoch (0: none, < 0: past)

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// NewSession starts a session over an established stream. The chain starts
// empty on both sides, as in the reference.
func NewSession(conn net.Conn, opts Options) *Session {
	s := &Session{conn: conn, opts: opts.resolved(), expectValid: true, epoch: time.Now()}
	s.br = bufio.NewReaderSize(conn, 64<<10)
	s.fr.s = s
	s.dec = messages.NewDecoder(&s.fr, s.opts.Limits)
	return s
}

// Dial connects with d and starts a session.
func Dial(ctx context.Context, d Dialer, opts Options) (*Session, error) {
	c, err := d.DialContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", messages.ErrDisconnected, err)
	}
	return NewSession(c, opts), nil
}

// Accept waits for one connection on l and starts a session over it.
func Accept(l net.Listener, opts Options) (*Session, error) {
	c, err := l.Accept()
	if err != nil {
		return nil, fmt.Errorf("transport: accept: %w", err)
	}
	return NewSession(c, opts), nil
}

// Authenticator returns the session's authenticator.
func (s *Session) Authenticator() messages.Authenticator { return s.opts.Authenticator }

// RemoteAddr returns the peer's address.
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// LocalAddr returns this side's address.
func (s *Session) LocalAddr() net.Addr { return s.conn.LocalAddr() }

// Closed reports whether the session was closed (by Close or after a fatal
// error).
func (s *Session) Closed() bool { return s.closed.Load() }

// Close closes the stream. It is safe from any goroutine and more than
// once; a pending Send or Recv returns an error wrapping
// messages.ErrDisconnected and ErrClosed.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = s.conn.Close()
	})
	return s.closeErr
}

func (s *Session) closedError(op string) error {
	return fmt.Errorf("transport: %s: %w: %w", op, messages.ErrDisconnected, ErrClosed)
}

// Challenges returns the chain state: the challenge the next sent frame
// will echo, and the one the peer must echo next ("" when none is
// outstanding).
func (s *Session) Challenges() (echo, expect string) {
	s.chainMu.Lock()
	defer s.chainMu.Unlock()
	if !s.expectValid {
		return s.echo, ""
	}
	return s.echo, s.expect
}

// Send sends one frame; content is the content JSON (nil or empty for
// none). See SendContext.
func (s *Session) Send(code messages.Code, content []byte) error {
	return s.SendContext(context.Background(), code, content)
}

// SendContext sends one frame whose header echoes the peer's last
// next_challenge and issues a fresh one. content must be a JSON object or
// empty (use messages.EncodeContent); it is written as is, without a copy.
// A failed write leaves the peer with a partial frame, so it closes the
// session; the error wraps messages.ErrDisconnected (a *TimeoutError when
// the write deadline fired), or the context's error as well when ctx ended.
func (s *Session) SendContext(ctx context.Context, code messages.Code, content []byte) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.closed.Load() {
		return s.closedError("send " + code.String())
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("transport: send %s: %w", code, err)
	}
	var next string
	if s.opts.NextChallenge != nil {
		next = s.opts.NextChallenge()
	} else {
		next = s.chal.next()
	}
	s.chainMu.Lock()
	h := messages.Header{Code: code, Challenge: s.echo, NextChallenge: next}
	s.chainMu.Unlock()
	prefix, err := messages.AppendFramePrefix(s.prefix[:0], h, content, s.opts.Authenticator)
	if err != nil {
		return fmt.Errorf("transport: send %s: %w", code, err)
	}
	s.prefix = prefix
	// The peer may answer before the write returns: arm the expectation first.
	s.chainMu.Lock()
	s.expect, s.expectValid = next, true
	s.chainMu.Unlock()

	if ctx.Done() != nil {
		defer s.watch(ctx, true)()
	}
	s.setDeadline(true, s.opts.WriteTimeout)
	if len(content) <= copyContentMax {
		// One plain write: copying a small content costs less than a
		// vectored write.
		s.prefix = append(prefix, content...)
		_, err = s.conn.Write(s.prefix)
	} else {
		s.iov = [2][]byte{prefix, content}
		s.bufs = s.iov[:]
		_, err = s.bufs.WriteTo(s.conn)
		s.iov, s.bufs = [2][]byte{}, nil // do not retain the content
	}
	if err != nil {
		return s.ioFailed("send "+code.String(), "write", s.opts.WriteTimeout, err, ctx)
	}
	return nil
}

// Recv receives one frame. See RecvContext.
func (s *Session) Recv() (Message, error) { return s.RecvContext(context.Background()) }

// RecvContext receives the next frame and checks it in this order:
//
//  1. the frame's shape: lengths within the Limits, header JSON with its four
//     keys (else messages.ErrFrame; the stream has then lost its frame
//     boundary, and the next Recv closes the session and returns
//     ErrDisconnected wrapping ErrOutOfSync; Send still works, so the
//     caller can answer first);
//  2. the signed digest over the bytes as received (messages.ErrAuthentication);
//  3. the challenge, which must echo the next_challenge of this side's last
//     sent frame, once (messages.ErrAuthentication); IDENTIFICATION_REQUEST
//     is exempt and restarts the chain. A frame that passed step 2 but fails
//     here still sets the challenge the next Send echoes, so that the
//     AUTHENTICATION_INVALID reply is accepted by a genuine peer; its
//     content is not handed up;
//  4. the chain advances: the peer's next_challenge is echoed by the next Send;
//  5. the code is a QOSST code (messages.ErrUnknownCode, frame returned so
//     the caller can answer UNKOWN_COMMAND with an intact chain).
//
// The content is handed up as received, not parsed: Message.Decode
// (messages.DecodeContent) parses and validates it once, and reports
// malformed JSON as messages.ErrInvalidContent, answered with
// INVALID_CONTENT as the reference answers an unreadable frame. (The
// reference's receiver parses the content JSON itself and returns
// FRAME_ERROR; parsing it twice doubled the cost of a round trip.)
//
// A closed or failed stream gives messages.ErrDisconnected, a deadline a
// *TimeoutError; both close the session. When ctx ends while waiting for a
// frame to start, the error wraps ctx.Err() only and the session stays
// usable; when it ends mid-frame, the session is closed.
func (s *Session) RecvContext(ctx context.Context) (Message, error) {
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	if s.closed.Load() {
		return Message{}, s.closedError("receive")
	}
	if s.outOfSync {
		s.Close()
		return Message{}, fmt.Errorf("transport: receive: %w: %w", messages.ErrDisconnected, ErrOutOfSync)
	}
	if err := ctx.Err(); err != nil {
		return Message{}, fmt.Errorf("transport: receive: %w", err)
	}
	if ctx.Done() != nil {
		defer s.watch(ctx, false)()
	}
	// The idle deadline bounds the wait for a first byte that is not
	// buffered yet; the frame deadline is armed by s.fr only when the
	// frame is not wholly buffered and the stream must be read again.
	s.frameArmed = false
	if s.br.Buffered() == 0 {
		s.setDeadline(false, s.opts.IdleTimeout)
		if _, err := s.br.Peek(1); err != nil {
			if ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) && !s.closed.Load() {
				return Message{}, fmt.Errorf("transport: receive: %w", ctx.Err())
			}
			return Message{}, s.ioFailed("receive", "idle", s.opts.IdleTimeout, err, ctx)
		}
	}
	f, err := s.dec.ReadFrame()
	if err != nil {
		if errors.Is(err, messages.ErrFrame) {
			s.outOfSync = true
			return Message{}, fmt.Errorf("transport: receive: %w", err)
		}
		return Message{}, s.ioFailed("receive", "frame", s.opts.FrameTimeout, err, ctx)
	}
	return s.check(f)
}

// check runs steps 2 to 6 of RecvContext on a complete frame.
func (s *Session) check(f *messages.Frame) (Message, error) {
	h := f.Header
	m := Message{Code: h.Code, Header: h}
	var err error
	if fa, ok := s.opts.Authenticator.(messages.FrameAuthenticator); ok {
		err = fa.VerifyFrame(f.HeaderJSON, f.Content, f.Signed)
	} else {
		s.digest = f.Digest()
		err = s.opts.Authenticator.Verify(s.digest[:], f.Signed)
	}
	if err != nil {
		if !errors.Is(err, messages.ErrAuthentication) {
			err = fmt.Errorf("%w: %w", messages.ErrAuthentication, err)
		}
		return m, fmt.Errorf("transport: receive %s: %w", h.Code, err)
	}
	s.chainMu.Lock()
	if h.Code != messages.IdentificationRequest {
		if !s.expectValid {
			s.echo = h.NextChallenge // as below
			s.chainMu.Unlock()
			return m, fmt.Errorf("transport: receive %s: %w: challenge %q echoes no outstanding challenge (replayed frame?)",
				h.Code, messages.ErrAuthentication, clip(h.Challenge))
		}
		if h.Challenge != s.expect {
			// The digest held, so the peer did send this next_challenge:
			// echo it, so that our AUTHENTICATION_INVALID reply reaches it.
			want := s.expect
			s.echo = h.NextChallenge
			s.chainMu.Unlock()
			return m, fmt.Errorf("transport: receive %s: %w: challenge %q, expected %q",
				h.Code, messages.ErrAuthentication, clip(h.Challenge), want)
		}
	}
	s.echo = h.NextChallenge
	s.expectValid = false
	s.chainMu.Unlock()

	m.Content = f.Content
	if !h.Code.Known() {
		return m, fmt.Errorf("transport: receive: %w: %d", messages.ErrUnknownCode, int(h.Code))
	}
	return m, nil
}

// ioFailed turns a read or write failure into the session's error and
// closes the session: the stream is gone or at an unknown position.
func (s *Session) ioFailed(op, phase string, after time.Duration, err error, ctx context.Context) error {
	wasClosed := s.closed.Load()
	s.Close()
	switch {
	case wasClosed:
		return s.closedError(op)
	case ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("transport: %s: %w: %s interrupted: %w", op, messages.ErrDisconnected, phase, ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("transport: %s: %w", op, &TimeoutError{Op: phase, After: after})
	case errors.Is(err, messages.ErrDisconnected):
		return fmt.Errorf("transport: %s: %w", op, err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("transport: %s: %w: %w", op, messages.ErrDisconnected, err)
	}
	return fmt.Errorf("transport: %s: %w: %w", op, messages.ErrDisconnected, err)
}

// frameReader is the decoder's view of the stream: the buffered reader,
// which arms the frame deadline before the first read of a frame that must
// go to the stream (a frame already wholly buffered needs no deadline).
type frameReader struct{ s *Session }

func (r *frameReader) Read(p []byte) (int, error) {
	s := r.s
	if !s.frameArmed && s.br.Buffered() == 0 {
		s.frameArmed = true
		s.setDeadline(false, s.opts.FrameTimeout)
	}
	return s.br.Read(p)
}

// pastDeadline is the armed deadline of an operation cut short by its
// context: a moment long past.
const pastDeadline time.Duration = -1

// deadlineLocked sets the write (or read) deadline at s.epoch + at (none
// when at is 0, in the past when it is negative) and records it; s.dlMu
// must be held.
func (s *Session) deadlineLocked(write bool, at time.Duration) {
	var t time.Time
	switch {
	case at > 0:
		t = s.epoch.Add(at)
	case at < 0:
		t = time.Unix(1, 0)
	}
	if write {
		s.writeAt = at
		s.conn.SetWriteDeadline(t)
	} else {
		s.readAt = at
		s.conn.SetReadDeadline(t)
	}
}

// setDeadline makes the write (or read) deadline d from now (none when
// d < 0), unless a context cancellation already forced it into the past.
// An armed deadline between d and d + DeadlineSlack(d) from now is kept;
// otherwise the deadline is armed at d + DeadlineSlack(d), so that the
// operations of the next DeadlineSlack(d) keep it.
func (s *Session) setDeadline(write bool, d time.Duration) {
	s.dlMu.Lock()
	defer s.dlMu.Unlock()
	if write && s.writeCanceled || !write && s.readCanceled {
		return
	}
	at := s.readAt
	if write {
		at = s.writeAt
	}
	if d <= 0 {
		if at != 0 {
			s.deadlineLocked(write, 0)
		}
		return
	}
	want := time.Since(s.epoch) + d // monotonic clock only: cheaper than time.Now
	slack := DeadlineSlack(d)
	if at > 0 && want <= at && want >= at-slack {
		return
	}
	s.deadlineLocked(write, want+slack)
}

// watch forces the write (or read) deadline into the past when ctx ends,
// which unblocks a pending write (or read). The returned function stops
// watching.
func (s *Session) watch(ctx context.Context, write bool) func() {
	canceled := &s.readCanceled
	if write {
		canceled = &s.writeCanceled
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		s.dlMu.Lock()
		*canceled = true
		s.deadlineLocked(write, pastDeadline) // recorded: the next setDeadline re-arms
		s.dlMu.Unlock()
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired // it started: let it finish before clearing its mark
		}
		s.dlMu.Lock()
		*canceled = false
		s.dlMu.Unlock()
	}
}
