// Package auth owns the QOSST frame authenticators and the one place that
// decides how their keys are loaded (New): None (the reference's identity
// over the SHA-256 digest: integrity against accidents, no authenticity),
// HMAC-SHA256 with a pre-shared key, Ed25519 with keys in standard PEM files
// (PKCS#8 private key, PKIX public key), ML-DSA-65 (FIPS 204, through
// cloudflare/circl) with keys in PEM files under the IETF ML-DSA
// identifiers, Falcon-512 as qosst-core 0.10 makes and checks it, with
// qosst's JSON key files (transport/auth/falcon), and the
// information-theoretic Wegman–Carter MAC over a pool of shared secret bits
// refilled from the link's keys (transport/auth/wegmancarter). Every authenticator
// implements messages.Authenticator; verification failures wrap
// messages.ErrAuthentication.
package auth

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth/wegmancarter"
)

// Scheme names, as used in configuration files and returned by Name.
const (
	SchemeNone      = "none"
	SchemeHMAC      = "hmac-sha256"
	SchemeEd25519   = "ed25519"
	SchemeMLDSA65   = "ml-dsa-65"
	SchemeFalcon512 = "falcon-512"
	// SchemeWegmanCarter is the information-theoretic MAC over a pool of
	// shared secret bits refilled from the link's own keys.
	SchemeWegmanCarter = "wegman-carter"
)

// schemes lists every scheme New accepts, with the key files it takes.
var schemes = []struct {
	name      string
	key, peer bool
}{
	{SchemeNone, false, false},
	{SchemeHMAC, true, false},
	{SchemeEd25519, true, true},
	{SchemeMLDSA65, true, true},
	{SchemeFalcon512, true, true},
	{SchemeWegmanCarter, true, false},
}

// Schemes returns the scheme names New accepts.
func Schemes() []string {
	out := make([]string, len(schemes))
	for i, s := range schemes {
		out[i] = s.name
	}
	return out
}

// KeyFiles reports which key files a scheme takes: key (Config.KeyFile)
// and peer (Config.PeerPublicKeyFile). Both are then required. An empty
// scheme is SchemeNone; an unknown one is ErrUnknownScheme.
func KeyFiles(scheme string) (key, peer bool, err error) {
	if scheme == "" {
		scheme = SchemeNone
	}
	for _, s := range schemes {
		if s.name == scheme {
			return s.key, s.peer, nil
		}
	}
	return false, false, fmt.Errorf("auth: %w %q (want one of %s)", ErrUnknownScheme, scheme, strings.Join(Schemes(), ", "))
}

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
	// Scheme is one of Schemes(): "none" (the default when empty),
	// "hmac-sha256", "ed25519", "ml-dsa-65" or "falcon-512".
	Scheme string `toml:"scheme" json:"scheme"`
	// KeyFile is the secret key: for hmac-sha256 the pre-shared key (hex
	// text); for ed25519 and ml-dsa-65 this station's PKCS#8 PEM private
	// key; for falcon-512 qosst's JSON secret key [f, g, F, G]; for
	// wegman-carter the station's pool directory. The file must not be
	// accessible to group or others (mode 0600 or stricter; 0700 for a
	// pool directory).
	KeyFile string `toml:"key_file" json:"key_file"`
	// PeerPublicKeyFile is the peer's public key: a PKIX
	// (SubjectPublicKeyInfo) PEM file for ed25519 and ml-dsa-65, qosst's
	// JSON public key h for falcon-512.
	PeerPublicKeyFile string `toml:"peer_public_key_file" json:"peer_public_key_file"`
}

// New builds the authenticator described by cfg, loading its key files.
// It is the one place that decides how keys load.
func New(cfg Config) (messages.Authenticator, error) {
	key, peer, err := KeyFiles(cfg.Scheme)
	if err != nil {
		return nil, err
	}
	scheme := cfg.Scheme
	if scheme == "" {
		scheme = SchemeNone
	}
	switch {
	case !key && cfg.KeyFile != "":
		return nil, fmt.Errorf("auth: scheme %q takes no key_file", scheme)
	case !peer && cfg.PeerPublicKeyFile != "":
		return nil, fmt.Errorf("auth: scheme %q takes no peer_public_key_file", scheme)
	case key && cfg.KeyFile == "":
		return nil, fmt.Errorf("auth: %s: %w: key_file is required", scheme, ErrKeyFile)
	case peer && cfg.PeerPublicKeyFile == "":
		return nil, fmt.Errorf("auth: %s: %w: peer_public_key_file is required", scheme, ErrKeyFile)
	}
	switch scheme {
	case SchemeNone:
		return None(), nil
	case SchemeHMAC:
		key, err := LoadHMACKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		return NewHMAC(key)
	case SchemeEd25519:
		priv, err := LoadEd25519PrivateKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		pub, err := LoadEd25519PublicKey(cfg.PeerPublicKeyFile)
		if err != nil {
			return nil, err
		}
		return NewEd25519(priv, pub)
	case SchemeMLDSA65:
		priv, err := LoadMLDSA65PrivateKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		pub, err := LoadMLDSA65PublicKey(cfg.PeerPublicKeyFile)
		if err != nil {
			return nil, err
		}
		return NewMLDSA65(priv, pub)
	case SchemeFalcon512:
		priv, err := LoadFalcon512PrivateKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		pub, err := LoadFalcon512PublicKey(cfg.PeerPublicKeyFile)
		if err != nil {
			return nil, err
		}
		return NewFalcon512(priv, pub)
	case SchemeWegmanCarter:
		pool, err := wegmancarter.Open(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("auth: %w: %w", ErrKeyFile, err)
		}
		return NewWegmanCarter(pool)
	}
	return nil, fmt.Errorf("auth: %w %q: no loader", ErrUnknownScheme, scheme)
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
