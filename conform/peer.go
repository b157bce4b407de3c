package conform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/qosst/qosst-go/messages"
)

// errNoReply: the server answered nothing within the case's time bound.
var errNoReply = errors.New("no answer in time")

// reply is one frame received from the server, with what the checker
// found about its integrity.
type reply struct {
	Code      messages.Code
	Content   []byte
	Header    messages.Header
	DigestOK  bool // the signed digest verified
	ChainOK   bool // the challenge echoed the checker's last next_challenge
	SentChall string
}

func (r reply) String() string {
	s := r.Code.String()
	if len(r.Content) > 0 {
		c := string(r.Content)
		if len(c) > 160 {
			c = c[:160] + "…"
		}
		s += " " + c
	}
	return s
}

// peer is the checker's side of one connection: a QOSST client that keeps
// the challenge chain itself, so that it can also break it on purpose.
type peer struct {
	conn  net.Conn
	dec   *messages.Decoder
	auth  messages.Authenticator
	echo  string // the server's last next_challenge
	sent  string // the next_challenge of the checker's last frame
	last  []byte // the bytes of the last frame sent (for replays)
	ctx   context.Context
	limit time.Duration // bound on one answer
}

func dialPeer(ctx context.Context, o *Options) (*peer, error) {
	d := net.Dialer{Timeout: o.CaseTimeout}
	conn, err := o.dial(ctx, &d)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", o.Target, err)
	}
	return &peer{
		conn:  conn,
		dec:   messages.NewDecoder(conn, messages.Limits{MaxContent: 64 << 20}),
		auth:  o.Authenticator,
		ctx:   ctx,
		limit: o.ReplyTimeout,
	}, nil
}

func (p *peer) close() { p.conn.Close() }

// frame builds a frame with the given header fields.
func (p *peer) frame(code messages.Code, challenge, next string, content []byte) ([]byte, error) {
	h := messages.Header{Code: code, Challenge: challenge, NextChallenge: next}
	return messages.AppendFrame(nil, h, content, p.auth)
}

// send sends a well-formed frame that continues the chain.
func (p *peer) send(code messages.Code, content []byte) error {
	next := messages.NewChallenge()
	b, err := p.frame(code, p.echo, next, content)
	if err != nil {
		return err
	}
	p.sent = next
	p.last = b
	return p.write(b)
}

// write sends raw bytes.
func (p *peer) write(b []byte) error {
	p.conn.SetWriteDeadline(p.deadline())
	_, err := p.conn.Write(b)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func (p *peer) deadline() time.Time {
	d := time.Now().Add(p.limit)
	if cd, ok := p.ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	return d
}

// recv reads the server's next frame within the time bound.
func (p *peer) recv() (reply, error) {
	p.conn.SetReadDeadline(p.deadline())
	f, err := p.dec.ReadFrame()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return reply{}, errNoReply
		}
		return reply{}, err
	}
	d := f.Digest()
	r := reply{
		Code:      f.Header.Code,
		Content:   append([]byte(nil), f.Content...),
		Header:    f.Header,
		DigestOK:  p.auth.Verify(d[:], f.Signed) == nil,
		ChainOK:   f.Header.Challenge == p.sent,
		SentChall: p.sent,
	}
	p.echo = f.Header.NextChallenge
	return r, nil
}

// request sends one frame and reads the answer.
func (p *peer) request(code messages.Code, content []byte) (reply, error) {
	if err := p.send(code, content); err != nil {
		return reply{}, err
	}
	return p.recv()
}

// closedByServer reports whether the server closes the connection within
// the time bound (reading EOF or a reset), skipping any frames it sends.
func (p *peer) closedByServer() bool {
	for range 4 {
		_, err := p.recv()
		if err == nil {
			continue
		}
		return !errors.Is(err, errNoReply)
	}
	return false
}
