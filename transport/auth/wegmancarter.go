package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth/wegmancarter"
)

// Refiller is implemented by authenticators that draw on a pool of shared
// secret bits refilled from each completed frame's final key
// (wegman-carter). A station calls Refill with the frame's key before it
// writes the key (Alice on FRAME_ENDED, Bob when he writes it as pending)
// and writes what Refill returns; it calls Confirm once it knows that the
// peer holds the key too (Alice after writing it, Bob on FRAME_ENDED_ACK
// or when key recovery finds that Alice holds it).
type Refiller interface {
	Refill(frame uuid.UUID, key []byte) (rest []byte, err error)
	Confirm(frame uuid.UUID) error
}

type wcAuth struct{ pool *wegmancarter.Pool }

// errNeedsFrame: the Wegman–Carter MAC covers the frame's bytes, not a
// digest; the codec calls SignFrame and VerifyFrame.
var errNeedsFrame = errors.New("auth: wegman-carter authenticates frame bytes, not digests")

// NewWegmanCarter returns the information-theoretic authenticator over an
// opened pool (see package wegmancarter for the MAC and the pad rule).
func NewWegmanCarter(pool *wegmancarter.Pool) (messages.Authenticator, error) {
	if pool == nil {
		return nil, fmt.Errorf("auth: %s needs a pool", SchemeWegmanCarter)
	}
	return &wcAuth{pool: pool}, nil
}

func (*wcAuth) Name() string { return SchemeWegmanCarter }

func (*wcAuth) Sign([]byte) ([]byte, error) { return nil, errNeedsFrame }

func (*wcAuth) Verify([]byte, []byte) error {
	return fmt.Errorf("%w: %w", messages.ErrAuthentication, errNeedsFrame)
}

func (a *wcAuth) SignFrame(header, content []byte) ([]byte, error) {
	t, err := a.pool.Tag(header, content)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", SchemeWegmanCarter, err)
	}
	return t, nil
}

func (a *wcAuth) VerifyFrame(header, content, signed []byte) error {
	if err := a.pool.Check(header, content, signed); err != nil {
		return fmt.Errorf("%w: %w", messages.ErrAuthentication, err)
	}
	return nil
}

func (a *wcAuth) Refill(frame uuid.UUID, key []byte) ([]byte, error) {
	return a.pool.Refill(frame, key)
}

func (a *wcAuth) Confirm(frame uuid.UUID) error { return a.pool.Confirm(frame) }

// Pool returns the pool behind a wegman-carter authenticator (nil for
// another scheme).
func Pool(a messages.Authenticator) *wegmancarter.Pool {
	if w, ok := a.(*wcAuth); ok {
		return w.pool
	}
	return nil
}

// WegmanCarterPoolSize is the size of the initial pool keygen writes.
const WegmanCarterPoolSize = 1 << 20

// WriteWegmanCarterPools writes a pool pair sharing a fresh random initial
// segment of WegmanCarterPoolSize bytes: PREFIX.alice and PREFIX.bob,
// directories of mode 0700. Copy each to its station over a secure
// channel; the stations name them in key_file.
func WriteWegmanCarterPools(prefix string) (alice, bob string, err error) {
	alice, bob = prefix+".alice", prefix+".bob"
	if err := checkAbsent(false, alice, bob); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o700); err != nil {
		return "", "", fmt.Errorf("auth: %w", err)
	}
	if err := wegmancarter.WritePair(alice, bob, WegmanCarterPoolSize, wegmancarter.DefaultRefill); err != nil {
		return "", "", fmt.Errorf("auth: %w", err)
	}
	return alice, bob, nil
}
