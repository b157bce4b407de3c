package auth

import (
	"fmt"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth/falcon"
)

// LoadFalcon512PrivateKey reads qosst's Falcon secret key file (the JSON
// list [f, g, F, G]) from a file of mode 0600 or stricter.
func LoadFalcon512PrivateKey(path string) (*falcon.PrivateKey, error) {
	b, err := readKeyFile(path, true)
	if err != nil {
		return nil, err
	}
	sk, err := falcon.ParsePrivateKeyJSON(b)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	return sk, nil
}

// LoadFalcon512PublicKey reads qosst's Falcon public key file (the JSON
// list h).
func LoadFalcon512PublicKey(path string) (*falcon.PublicKey, error) {
	b, err := readKeyFile(path, false)
	if err != nil {
		return nil, err
	}
	pk, err := falcon.ParsePublicKeyJSON(b)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	return pk, nil
}

type falcon512Auth struct {
	priv *falcon.PrivateKey
	peer *falcon.PublicKey
}

// NewFalcon512 returns qosst-core's FalconAuthenticator: it signs digests
// with this station's Falcon-512 secret key and verifies the peer's
// signatures with the peer's public key, wire-compatible with qosst-core
// 0.10.
func NewFalcon512(priv *falcon.PrivateKey, peer *falcon.PublicKey) (messages.Authenticator, error) {
	if priv == nil || peer == nil {
		return nil, fmt.Errorf("auth: %s needs a secret key and the peer's public key", SchemeFalcon512)
	}
	return &falcon512Auth{priv: priv, peer: peer}, nil
}

func (*falcon512Auth) Name() string { return SchemeFalcon512 }

func (a *falcon512Auth) Sign(digest []byte) ([]byte, error) {
	sig, err := a.priv.Sign(nil, digest)
	if err != nil {
		return nil, fmt.Errorf("auth: %s sign: %w", SchemeFalcon512, err)
	}
	return sig, nil
}

func (a *falcon512Auth) Verify(digest, signed []byte) error {
	if err := a.peer.Verify(digest, signed); err != nil {
		return fmt.Errorf("%w: %w", messages.ErrAuthentication, err)
	}
	return nil
}

// WriteFalcon512KeyPair generates a Falcon-512 key pair and writes the
// secret key (qosst's JSON [f, g, F, G], mode 0600) to privPath and the
// public key (qosst's JSON h, mode 0644) to pubPath, the files qosst-core's
// FalconAuthenticator reads. Neither file is touched unless both may be
// written.
func WriteFalcon512KeyPair(privPath, pubPath string, force bool) error {
	if privPath == pubPath {
		return fmt.Errorf("auth: private and public key paths are the same: %s", privPath)
	}
	if err := checkAbsent(force, privPath, pubPath); err != nil {
		return err
	}
	sk, err := falcon.GenerateKey(nil)
	if err != nil {
		return fmt.Errorf("auth: generate %s key: %w", SchemeFalcon512, err)
	}
	priv, err := sk.MarshalJSON()
	if err != nil {
		return fmt.Errorf("auth: encode %s secret key: %w", SchemeFalcon512, err)
	}
	pub, err := sk.Public().MarshalJSON()
	if err != nil {
		return fmt.Errorf("auth: encode %s public key: %w", SchemeFalcon512, err)
	}
	if err := writeFile(privPath, append(priv, '\n'), 0o600, force); err != nil {
		return err
	}
	return writeFile(pubPath, append(pub, '\n'), 0o644, force)
}
