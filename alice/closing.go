package alice

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/transport"
)

// timeoutField names the timeout that closed a session and its value.
type timeoutField struct {
	key   string // configuration key, e.g. "timeouts.idle"
	after time.Duration
}

// closing is why a session closed, logged with "session closed".
type closing struct {
	mu      sync.Mutex
	reason  string
	timeout *timeoutField
}

// set records the first reason given; later ones are ignored.
func (c *closing) set(reason string, t *timeoutField) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason == "" {
		c.reason, c.timeout = reason, t
	}
}

// reset forgets a reason recorded while the session was unidentified.
func (c *closing) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reason, c.timeout = "", nil
}

// event adds the reason and the timeout that fired, if any, to ev.
func (c *closing) event(ev *zerolog.Event) *zerolog.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason == "" {
		return ev
	}
	ev = ev.Str("reason", c.reason)
	if c.timeout != nil {
		ev = ev.Str("timeout", c.timeout.key).Dur("after", c.timeout.after)
	}
	return ev
}

// closeWith records why the session closes and closes its stream; the
// session's goroutine then ends and logs the reason.
func (s *session) closeWith(reason string, t *timeoutField) {
	s.closing.set(reason, t)
	s.ts.Close()
}

// timeoutKeys maps the transport's deadline operations to the
// configuration keys Alice sets them from.
var timeoutKeys = map[string]string{
	"idle":  "timeouts.idle",
	"frame": "timeouts.frame_stall",
	"write": "timeouts.write",
}

// noteReceiveError records why a receive ended the session.
func (s *session) noteReceiveError(ctx context.Context, err error) {
	if ctx.Err() != nil {
		s.closing.set("server stopping", nil)
		return
	}
	var te *transport.TimeoutError
	if errors.As(err, &te) {
		key := timeoutKeys[te.Op]
		if key == "" {
			key = "timeouts." + te.Op
		}
		s.closing.set(fmt.Sprintf("%s timeout", te.Op), &timeoutField{key: key, after: te.After})
		return
	}
	s.closing.set("peer gone: "+err.Error(), nil)
}

// logClosed logs the end of the session: at info level with its reason for
// a session that identified; for one that never did, at debug level, and
// counted in the server's aggregated warning (see aggregator).
func (s *session) logClosed() {
	if !s.srv.admission.isPending(s) {
		s.closing.event(s.log.Info()).Msg("session closed")
		return
	}
	s.closing.event(s.log.Debug()).Msg("session closed")
	s.closing.mu.Lock()
	reason, t := s.closing.reason, s.closing.timeout
	s.closing.mu.Unlock()
	if strings.HasPrefix(reason, "peer gone") {
		reason = "peer gone" // the error text varies: one count
	}
	s.srv.admission.closed.add(s.source, reason, t, s.evicted.Load())
}

// peerWarn is the event of a warning the peer provoked: at warn level on an
// identified session; on one that never identified, at debug level with
// reason recorded as the closing reason, so that the server's aggregated
// warning counts it instead of one line per connection.
func (s *session) peerWarn(reason string) *zerolog.Event {
	if s.srv.admission.isPending(s) {
		s.closing.set(reason, nil)
		return s.log.Debug()
	}
	return s.log.Warn()
}

// maxLoggedCause bounds the cause of an answer in the log: a validation
// error may quote what the peer sent.
const maxLoggedCause = 512
