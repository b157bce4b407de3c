package transport

import (
	"crypto/rand"

	"github.com/qosst/qosst-go/messages"
)

const challengeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// challengeSource draws challenges as messages.NewChallenge does (15
// characters, uniform over [A-Za-z0-9] by rejection sampling of crypto/rand
// bytes) but reads crypto/rand in blocks: one read per about thirty
// challenges instead of one per frame. Every byte is used at most once, so
// the challenges are exactly as unpredictable as crypto/rand. Not safe for
// concurrent use (the session draws under its send lock); the zero value is
// ready.
type challengeSource struct {
	buf  [512]byte
	left int // unused bytes at the end of buf
}

func (c *challengeSource) next() string {
	var out [messages.ChallengeLength]byte
	for n := 0; n < len(out); {
		if c.left == 0 {
			rand.Read(c.buf[:]) // never fails (crypto/rand panics on a broken OS source)
			c.left = len(c.buf)
		}
		i := len(c.buf) - c.left
		b := c.buf[i]
		c.buf[i] = 0 // a used byte does not stay in memory
		c.left--
		// 248 = 4 × 62: bytes at or above it would bias the draw.
		if b >= 248 {
			continue
		}
		out[n] = challengeAlphabet[b%62]
		n++
	}
	return string(out[:])
}
