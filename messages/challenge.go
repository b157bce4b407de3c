package messages

import "crypto/rand"

// ChallengeLength is the length of a challenge string.
const ChallengeLength = 15

const challengeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewChallenge returns a fresh challenge: 15 characters drawn uniformly from
// [A-Za-z0-9] with crypto/rand (rejection sampling, no modulo bias).
func NewChallenge() string {
	var out [ChallengeLength]byte
	var buf [32]byte
	n := 0
	for n < ChallengeLength {
		rand.Read(buf[:]) // never fails (crypto/rand panics on a broken OS source)
		for _, b := range buf {
			// 248 = 4 × 62: bytes at or above it would bias the draw.
			if b >= 248 {
				continue
			}
			out[n] = challengeAlphabet[b%62]
			if n++; n == ChallengeLength {
				break
			}
		}
	}
	return string(out[:])
}
