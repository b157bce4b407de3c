package auth

import (
	"crypto/rand"
	"encoding/pem"
	"fmt"

	"github.com/cloudflare/circl/pki"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/qosst/qosst-go/messages"
)

// MLDSA65SignatureSize is the size of an ML-DSA-65 signature, in bytes.
const MLDSA65SignatureSize = mldsa65.SignatureSize

// ML-DSA-65 keys travel in the IETF encodings ("Algorithm Identifiers for
// ML-DSA"): PKCS#8 and SubjectPublicKeyInfo under id-ml-dsa-65
// (2.16.840.1.101.3.4.3.18), the private key in its seed form
// ([0] OCTET STRING of 32 bytes) or both seed and expanded key. circl's
// pki package does the encoding; this file checks that what it decodes is
// an ML-DSA-65 key.

// MarshalMLDSA65PrivateKey encodes the private key derived from seed as
// PKCS#8 DER holding the seed form of the IETF ML-DSA-65-PrivateKey.
func MarshalMLDSA65PrivateKey(seed *[mldsa65.SeedSize]byte) ([]byte, error) {
	_, sk := mldsa65.NewKeyFromSeed(seed)
	der, err := pki.MarshalPKIXPrivateKey(sk)
	if err != nil {
		return nil, fmt.Errorf("auth: encode %s private key: %w", SchemeMLDSA65, err)
	}
	return der, nil
}

// MarshalMLDSA65PublicKey encodes pub as SubjectPublicKeyInfo DER.
func MarshalMLDSA65PublicKey(pub *mldsa65.PublicKey) ([]byte, error) {
	return pki.MarshalPKIXPublicKey(pub)
}

// ParseMLDSA65PrivateKey decodes PKCS#8 DER holding an ML-DSA-65 private
// key in the seed form or the form with both seed and expanded key (whose
// halves must agree); the expanded key alone is refused, as circl does.
func ParseMLDSA65PrivateKey(der []byte) (*mldsa65.PrivateKey, error) {
	k, err := pki.UnmarshalPKIXPrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("PKCS#8: %w", err)
	}
	sk, ok := k.(*mldsa65.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %s private key, not ML-DSA-65", k.Scheme().Name())
	}
	return sk, nil
}

// ParseMLDSA65PublicKey decodes SubjectPublicKeyInfo DER holding an
// ML-DSA-65 public key.
func ParseMLDSA65PublicKey(der []byte) (*mldsa65.PublicKey, error) {
	k, err := pki.UnmarshalPKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("SubjectPublicKeyInfo: %w", err)
	}
	pk, ok := k.(*mldsa65.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %s public key, not ML-DSA-65", k.Scheme().Name())
	}
	return pk, nil
}

// LoadMLDSA65PrivateKey reads a PKCS#8 PEM ("PRIVATE KEY") ML-DSA-65
// private key from a file of mode 0600 or stricter.
func LoadMLDSA65PrivateKey(path string) (*mldsa65.PrivateKey, error) {
	b, err := readKeyFile(path, true)
	if err != nil {
		return nil, err
	}
	der, err := decodePEM(path, b, pemPrivateKey)
	if err != nil {
		return nil, err
	}
	sk, err := ParseMLDSA65PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	return sk, nil
}

// LoadMLDSA65PublicKey reads a SubjectPublicKeyInfo PEM ("PUBLIC KEY")
// ML-DSA-65 public key.
func LoadMLDSA65PublicKey(path string) (*mldsa65.PublicKey, error) {
	b, err := readKeyFile(path, false)
	if err != nil {
		return nil, err
	}
	der, err := decodePEM(path, b, pemPublicKey)
	if err != nil {
		return nil, err
	}
	pk, err := ParseMLDSA65PublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("auth: %w %s: %w", ErrKeyFile, path, err)
	}
	return pk, nil
}

// WriteMLDSA65KeyPair generates an ML-DSA-65 key pair from a fresh random
// seed and writes the private key (PKCS#8 PEM, seed form, mode 0600) to
// privPath and the public key (SubjectPublicKeyInfo PEM, mode 0644) to
// pubPath. Neither file is touched unless both may be written.
func WriteMLDSA65KeyPair(privPath, pubPath string, force bool) error {
	if privPath == pubPath {
		return fmt.Errorf("auth: private and public key paths are the same: %s", privPath)
	}
	if err := checkAbsent(force, privPath, pubPath); err != nil {
		return err
	}
	var seed [mldsa65.SeedSize]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return fmt.Errorf("auth: random seed: %w", err)
	}
	pub, _ := mldsa65.NewKeyFromSeed(&seed)
	privDER, err := MarshalMLDSA65PrivateKey(&seed)
	if err != nil {
		return err
	}
	pubDER, err := MarshalMLDSA65PublicKey(pub)
	if err != nil {
		return fmt.Errorf("auth: encode %s public key: %w", SchemeMLDSA65, err)
	}
	if err := writeFile(privPath, pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: privDER}), 0o600, force); err != nil {
		return err
	}
	return writeFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: pubDER}), 0o644, force)
}

type mldsa65Auth struct {
	priv *mldsa65.PrivateKey
	peer *mldsa65.PublicKey
}

// NewMLDSA65 returns an authenticator that signs digests with this
// station's ML-DSA-65 private key (hedged signing, empty context) and
// verifies the peer's signatures with the peer's public key.
func NewMLDSA65(priv *mldsa65.PrivateKey, peer *mldsa65.PublicKey) (messages.Authenticator, error) {
	if priv == nil || peer == nil {
		return nil, fmt.Errorf("auth: %s needs a private key and the peer's public key", SchemeMLDSA65)
	}
	return &mldsa65Auth{priv: priv, peer: peer}, nil
}

func (*mldsa65Auth) Name() string { return SchemeMLDSA65 }

func (a *mldsa65Auth) Sign(digest []byte) ([]byte, error) {
	sig := make([]byte, mldsa65.SignatureSize)
	if err := mldsa65.SignTo(a.priv, digest, nil, true, sig); err != nil {
		return nil, fmt.Errorf("auth: %s sign: %w", SchemeMLDSA65, err)
	}
	return sig, nil
}

func (a *mldsa65Auth) Verify(digest, signed []byte) error {
	if len(signed) != mldsa65.SignatureSize || !mldsa65.Verify(a.peer, digest, nil, signed) {
		return fmt.Errorf("%w: bad %s signature", messages.ErrAuthentication, SchemeMLDSA65)
	}
	return nil
}
