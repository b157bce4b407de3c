package alice

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
)

// ErrServerBusy is the cause of the ABORT answered to an identification
// when alice.max_sessions identified sessions are being served. Bob reports
// it as "server busy".
var ErrServerBusy = errors.New("server busy")

// Content bounds (bytes). Before a session has identified, every frame is
// bounded by IdentificationContentMax: an IDENTIFICATION_REQUEST content is
// two short strings. Once identified, the codes that carry large contents
// (largeContent) are bounded by limits.max_content and every other code by
// SmallContentMax.
const (
	IdentificationContentMax = 4 << 10
	SmallContentMax          = 64 << 10
)

// largeContent reports whether a request code may carry a large content:
// the parameter-estimation indices, the code matrix, the syndromes, the
// verification hash and the privacy-amplification seed.
func largeContent(c messages.Code) bool {
	switch c {
	case messages.PESymbolsRequest, messages.ECInitialization, messages.ECBlock,
		messages.ECRemaining, messages.ECVerification, messages.PARequest:
		return true
	}
	return false
}

// unidentifiedLimits are the frame limits of a session that has not
// identified.
func unidentifiedLimits() messages.Limits {
	return messages.Limits{MaxContent: IdentificationContentMax}
}

// identifiedLimits are the frame limits of an identified session.
func identifiedLimits(cfg *config.Config) messages.Limits {
	return messages.Limits{MaxContent: cfg.Limits.MaxContent, ContentFor: func(c messages.Code) int {
		if largeContent(c) {
			return cfg.Limits.MaxContent
		}
		return SmallContentMax
	}}
}

// admission keeps the connections that have not identified apart from the
// identified sessions. Unidentified connections are bounded in number
// (alice.max_unidentified), per source address
// (alice.max_unidentified_per_source) and in time (timeouts.handshake): a
// newcomer is never refused, the oldest unidentified connection (of its
// source when that source is at its bound) is evicted instead, so idle or
// failing connections cannot keep a genuine Bob out. Identified sessions
// (alice.max_sessions) keep their slot until they end.
type admission struct {
	mu         sync.Mutex
	pending    []*session // unidentified, oldest first
	perSource  map[string]int
	identified map[*session]struct{}
	closed     *aggregator // unidentified connections closed
}

func newAdmission(log zerolog.Logger) *admission {
	return &admission{
		perSource:  map[string]int{},
		identified: map[*session]struct{}{},
		closed:     newAggregator(log, time.Second),
	}
}

// source is the address a connection comes from, without its port.
func source(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// admit records s as unidentified, evicting (closing) the oldest
// unidentified connection of its source or of all when a bound is reached.
func (a *admission) admit(s *session, cfg *config.Config) {
	a.mu.Lock()
	var victim *session
	var why string
	switch {
	case a.perSource[s.source] >= cfg.Alice.MaxUnidentifiedPerSource:
		victim = a.oldestLocked(s.source, true)
		why = "alice.max_unidentified_per_source"
	case len(a.pending) >= cfg.Alice.MaxUnidentified:
		victim = a.oldestLocked("", false)
		why = "alice.max_unidentified"
	}
	if victim != nil {
		a.removeLocked(victim)
	}
	a.pending = append(a.pending, s)
	a.perSource[s.source]++
	a.mu.Unlock()
	if victim != nil {
		victim.evicted.Store(true)
		victim.closeWith("evicted: "+why, nil)
	}
}

// oldestLocked returns the oldest unidentified connection (of src when
// bySource).
func (a *admission) oldestLocked(src string, bySource bool) *session {
	for _, p := range a.pending {
		if !bySource || p.source == src {
			return p
		}
	}
	return nil
}

// removeLocked forgets s as unidentified; it reports whether s was.
func (a *admission) removeLocked(s *session) bool {
	for i, p := range a.pending {
		if p == s {
			a.pending = append(a.pending[:i], a.pending[i+1:]...)
			a.perSource[s.source]--
			if a.perSource[s.source] <= 0 {
				delete(a.perSource, s.source)
			}
			return true
		}
	}
	return false
}

// identify moves s to the identified sessions, or reports ErrServerBusy
// when max of them are served. An identified session identifying again
// keeps its slot.
func (a *admission) identify(s *session, max int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.identified[s]; ok {
		return nil
	}
	if len(a.identified) >= max {
		return fmt.Errorf("%w: %d identified sessions (alice.max_sessions)", ErrServerBusy, max)
	}
	a.removeLocked(s)
	a.identified[s] = struct{}{}
	return nil
}

// isPending reports whether s has not identified.
func (a *admission) isPending(s *session) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.identified[s]
	return !ok
}

// leave forgets s when its session ends.
func (a *admission) leave(s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.removeLocked(s)
	delete(a.identified, s)
}

// counts returns the numbers of unidentified and identified connections.
func (a *admission) counts() (unidentified, identified int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending), len(a.identified)
}

// identified takes an identified slot for the session and raises its frame
// limits; ErrServerBusy when no slot is free.
func (s *session) identified() error {
	if err := s.srv.admission.identify(s, s.cfg.Alice.MaxSessions); err != nil {
		s.closing.set("server busy: no identified slot (alice.max_sessions)", nil)
		s.refused = true
		return err
	}
	s.closing.reset()
	s.ts.SetLimits(identifiedLimits(s.cfg))
	return nil
}
