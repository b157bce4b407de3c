package alice

import (
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/auth"
)

// maxRememberedChallenges bounds the identification challenges Alice
// remembers (16 bytes each, about 3 MiB with the index at the bound).
const maxRememberedChallenges = 1 << 16

// replayGuard remembers the next_challenge of the last identifications
// accepted under Alice's key. IDENTIFICATION_REQUEST restarts the challenge
// chain, so the protocol itself does not stop a captured one from being
// sent again; under an authenticating scheme a genuine Bob draws a fresh
// next_challenge for every frame he signs, so one seen before is a replay.
// Memory is bounded: the oldest challenge is forgotten first, and nothing
// survives a restart (the residual risk, docs/alice.md).
type replayGuard struct {
	mu    sync.Mutex
	max   int
	seen  map[[16]byte]struct{}
	order [][16]byte // ring, oldest at next once full
	next  int
}

func newReplayGuard(max int) *replayGuard {
	return &replayGuard{max: max, seen: map[[16]byte]struct{}{}}
}

// claim records ch and reports false when it was already recorded.
func (g *replayGuard) claim(ch string) bool {
	sum := sha256.Sum256([]byte(ch))
	var k [16]byte
	copy(k[:], sum[:16])
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.seen[k]; ok {
		return false
	}
	if len(g.order) < g.max {
		g.order = append(g.order, k)
	} else {
		delete(g.seen, g.order[g.next])
		g.order[g.next] = k
		g.next = (g.next + 1) % g.max
	}
	g.seen[k] = struct{}{}
	return true
}

// checkFresh refuses, under an authenticating scheme, an
// IDENTIFICATION_REQUEST whose next_challenge Alice has already accepted:
// the error wraps messages.ErrAuthentication and is answered
// AUTHENTICATION_INVALID. Under the None authenticator anybody can forge a
// fresh frame, so nothing is checked (as the reference).
func (s *session) checkFresh(m transport.Message) error {
	a := s.ts.Authenticator()
	if a == nil || a.Name() == auth.SchemeNone {
		return nil
	}
	if !s.srv.replays.claim(m.Header.NextChallenge) {
		return fmt.Errorf("alice: %s: %w: next_challenge %q already seen under this key (replayed frame)",
			m.Code, messages.ErrAuthentication, logging.Truncate(m.Header.NextChallenge))
	}
	return nil
}
