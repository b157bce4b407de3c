// Package auth owns the QOSST frame authenticators and the one place that
// decides how their keys are loaded: None (the reference's identity over the
// SHA-256 digest: integrity against accidents, no authenticity), HMAC-SHA256
// with a pre-shared key, and Ed25519 with keys in standard PEM files (PKCS#8
// private key, PKIX public key). Every authenticator implements
// messages.Authenticator; verification failures wrap messages.ErrAuthentication.
package auth

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/qosst/qosst-go/messages"
)

// Scheme names, as used in configuration files and returned by Name.
const (
	SchemeNone    = "none"
	SchemeHMAC    = "hmac-sha256"
	SchemeEd25519 = "ed25519"
)

// MinHMACKeySize is the smallest pre-shared HMAC key accepted, in bytes.
const MinHMACKeySize = 16

// Errors that callers may branch on.
var (
	// ErrUnknownScheme: the configured scheme is not one of the Scheme* names.
	ErrUnknownScheme = errors.New("unknown authentication scheme")
	// ErrKeyFile: a key file is missing, unreadable or malformed.
	ErrKeyFile = errors.New("key file")
	// ErrInsecureKeyFile: a secret key file is readable or writable by
	// users other than its owner.
	ErrInsecureKeyFile = errors.New("insecure key file permissions")
)

// Config selects an authenticator and its key files. It is the only input
// from which keys are loaded (see New).
type Config struct {
	// Scheme is "none" (the default when empty), "hmac-sha256" or "ed25519".
	Scheme string `toml:"scheme" json:"scheme"`
	// KeyFile is the secret key: for hmac-sha256 the pre-shared key (hex
	// text); for ed25519 this station's PKCS#8 PEM private key. The file
	// must not be accessible to group or others (mode 0600 or stricter).
	KeyFile string `toml:"key_file" json:"key_file"`
	// PeerPublicKeyFile is the peer's PKIX PEM public key (ed25519 only).
	PeerPublicKeyFile string `toml:"peer_public_key_file" json:"peer_public_key_file"`
}

// New builds the authenticator described by cfg, loading its key files.
func New(cfg Config) (messages.Authenticator, error) {
	switch cfg.Scheme {
	case "", SchemeNone:
		if cfg.KeyFile != "" || cfg.PeerPublicKeyFile != "" {
			return nil, fmt.Errorf("auth: scheme %q takes no key files", SchemeNone)
		}
		return None(), nil
	case SchemeHMAC:
		if cfg.KeyFile == "" {
			return nil, fmt.Errorf("auth: %s: %w: key_file is required", SchemeHMAC, ErrKeyFile)
		}
		if cfg.PeerPublicKeyFile != "" {
			return nil, fmt.Errorf("auth: %s uses a pre-shared key; peer_public_key_file does not apply", SchemeHMAC)
		}
		key, err := LoadHMACKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		return NewHMAC(key)
	case SchemeEd25519:
		if cfg.KeyFile == "" || cfg.PeerPublicKeyFile == "" {
			return nil, fmt.Errorf("auth: %s: %w: key_file and peer_public_key_file are required", SchemeEd25519, ErrKeyFile)
		}
		priv, err := LoadEd25519PrivateKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		pub, err := LoadEd25519PublicKey(cfg.PeerPublicKeyFile)
		if err != nil {
			return nil, err
		}
		return NewEd25519(priv, pub)
	}
	return nil, fmt.Errorf("auth: %w %q (want %s, %s or %s)", ErrUnknownScheme, cfg.Scheme, SchemeNone, SchemeHMAC, SchemeEd25519)
}

type none struct{}

// None returns the reference's NoneAuthenticator: the signed digest is the
// 32-byte SHA-256 digest itself. It detects accidental corruption only.
func None() messages.Authenticator { return none{} }

func (none) Name() string { return SchemeNone }

func (none) Sign(digest []byte) ([]byte, error) {
	return append([]byte(nil), digest...), nil
}

func (none) Verify(digest, signed []byte) error {
	if len(digest) != sha256.Size || subtle.ConstantTimeCompare(digest, signed) != 1 {
		return fmt.Errorf("%w: digest mismatch", messages.ErrAuthentication)
	}
	return nil
}

type hmacAuth struct{ macs sync.Pool } // of hash.Hash: HMAC states, keyed once

// NewHMAC returns an HMAC-SHA256 authenticator over a pre-shared key of at
// least MinHMACKeySize bytes. The signed digest is HMAC-SHA256(key, digest);
// verification compares in constant time.
func NewHMAC(key []byte) (messages.Authenticator, error) {
	if len(key) < MinHMACKeySize {
		return nil, fmt.Errorf("auth: %s key of %d bytes is too short (at least %d)", SchemeHMAC, len(key), MinHMACKeySize)
	}
	key = append([]byte(nil), key...)
	a := &hmacAuth{}
	a.macs.New = func() any { return hmac.New(sha256.New, key) }
	return a, nil
}

func (a *hmacAuth) mac(digest []byte) []byte {
	m := a.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(digest)
	out := m.Sum(nil)
	a.macs.Put(m)
	return out
}

func (*hmacAuth) Name() string { return SchemeHMAC }

func (a *hmacAuth) Sign(digest []byte) ([]byte, error) {
	return a.mac(digest), nil
}

func (a *hmacAuth) Verify(digest, signed []byte) error {
	if !hmac.Equal(a.mac(digest), signed) {
		return fmt.Errorf("%w: HMAC mismatch", messages.ErrAuthentication)
	}
	return nil
}

type ed25519Auth struct {
	priv ed25519.PrivateKey
	peer ed25519.PublicKey
}

// NewEd25519 returns an authenticator that signs digests with this
// station's private key and verifies the peer's signatures with the peer's
// public key.
func NewEd25519(priv ed25519.PrivateKey, peer ed25519.PublicKey) (messages.Authenticator, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("auth: %s private key has %d bytes, want %d", SchemeEd25519, len(priv), ed25519.PrivateKeySize)
	}
	if len(peer) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("auth: %s public key has %d bytes, want %d", SchemeEd25519, len(peer), ed25519.PublicKeySize)
	}
	return &ed25519Auth{priv: priv, peer: peer}, nil
}

func (*ed25519Auth) Name() string { return SchemeEd25519 }

func (a *ed25519Auth) Sign(digest []byte) ([]byte, error) {
	return ed25519.Sign(a.priv, digest), nil
}

func (a *ed25519Auth) Verify(digest, signed []byte) error {
	if len(signed) != ed25519.SignatureSize || !ed25519.Verify(a.peer, digest, signed) {
		return fmt.Errorf("%w: bad Ed25519 signature", messages.ErrAuthentication)
	}
	return nil
}
