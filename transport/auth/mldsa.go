package auth

import (
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/qosst/qosst-go/messages"
)

// oidMLDSA65 is id-ml-dsa-65 (NIST CSOR, 2.16.840.1.101.3.4.3.18), the
// algorithm identifier of ML-DSA-65 keys in PKCS#8 and SubjectPublicKeyInfo
// (IETF "Algorithm Identifiers for ML-DSA"; its parameters are absent).
var oidMLDSA65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}

// MLDSA65SignatureSize is the size of an ML-DSA-65 signature, in bytes.
const MLDSA65SignatureSize = mldsa65.SignatureSize

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type pkcs8 struct {
	Version    int
	Algorithm  algorithmIdentifier
	PrivateKey []byte
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

// mldsaBoth is the "both" choice of ML-DSA-65-PrivateKey.
type mldsaBoth struct {
	Seed        []byte
	ExpandedKey []byte
}

// MarshalMLDSA65PrivateKey encodes the private key derived from seed as
// PKCS#8 DER holding the seed form ([0] OCTET STRING of 32 bytes) of the
// IETF ML-DSA-65-PrivateKey.
func MarshalMLDSA65PrivateKey(seed *[mldsa65.SeedSize]byte) ([]byte, error) {
	inner, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: seed[:]})
	if err != nil {
		return nil, fmt.Errorf("auth: encode %s seed: %w", SchemeMLDSA65, err)
	}
	return asn1.Marshal(pkcs8{Algorithm: algorithmIdentifier{Algorithm: oidMLDSA65}, PrivateKey: inner})
}

// MarshalMLDSA65PublicKey encodes pub as SubjectPublicKeyInfo DER.
func MarshalMLDSA65PublicKey(pub *mldsa65.PublicKey) ([]byte, error) {
	b := pub.Bytes()
	return asn1.Marshal(subjectPublicKeyInfo{
		Algorithm: algorithmIdentifier{Algorithm: oidMLDSA65},
		PublicKey: asn1.BitString{Bytes: b, BitLength: 8 * len(b)},
	})
}

func checkAlgorithm(a algorithmIdentifier) error {
	if !a.Algorithm.Equal(oidMLDSA65) {
		return fmt.Errorf("algorithm %v, want id-ml-dsa-65 (%v)", a.Algorithm, oidMLDSA65)
	}
	if len(a.Parameters.FullBytes) != 0 {
		return fmt.Errorf("id-ml-dsa-65 parameters must be absent")
	}
	return nil
}

// ParseMLDSA65PrivateKey decodes PKCS#8 DER holding an ML-DSA-65 private
// key in any of the three IETF forms (seed, expandedKey, both). A "both"
// key whose expanded key is not the one its seed derives is refused.
func ParseMLDSA65PrivateKey(der []byte) (*mldsa65.PrivateKey, error) {
	var k pkcs8
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil {
		return nil, fmt.Errorf("PKCS#8: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("PKCS#8: %d trailing bytes", len(rest))
	}
	if k.Version != 0 && k.Version != 1 {
		return nil, fmt.Errorf("PKCS#8 version %d", k.Version)
	}
	if err := checkAlgorithm(k.Algorithm); err != nil {
		return nil, err
	}
	var raw asn1.RawValue
	rest, err = asn1.Unmarshal(k.PrivateKey, &raw)
	if err != nil {
		return nil, fmt.Errorf("ML-DSA-65-PrivateKey: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("ML-DSA-65-PrivateKey: %d trailing bytes", len(rest))
	}
	fromSeed := func(s []byte) (*mldsa65.PrivateKey, error) {
		if len(s) != mldsa65.SeedSize {
			return nil, fmt.Errorf("seed of %d bytes, want %d", len(s), mldsa65.SeedSize)
		}
		var seed [mldsa65.SeedSize]byte
		copy(seed[:], s)
		_, sk := mldsa65.NewKeyFromSeed(&seed)
		return sk, nil
	}
	fromExpanded := func(e []byte) (*mldsa65.PrivateKey, error) {
		var sk mldsa65.PrivateKey
		if err := sk.UnmarshalBinary(e); err != nil {
			return nil, fmt.Errorf("expanded key of %d bytes: %w", len(e), err)
		}
		return &sk, nil
	}
	switch {
	case raw.Class == asn1.ClassContextSpecific && raw.Tag == 0 && !raw.IsCompound:
		return fromSeed(raw.Bytes)
	case raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagOctetString && !raw.IsCompound:
		return fromExpanded(raw.Bytes)
	case raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagSequence:
		var both mldsaBoth
		if rest, err := asn1.Unmarshal(raw.FullBytes, &both); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("ML-DSA-65-PrivateKey (both): malformed")
		}
		sk, err := fromSeed(both.Seed)
		if err != nil {
			return nil, err
		}
		exp, err := fromExpanded(both.ExpandedKey)
		if err != nil {
			return nil, err
		}
		if !sk.Equal(exp) {
			return nil, fmt.Errorf("ML-DSA-65-PrivateKey (both): the expanded key is not derived from the seed")
		}
		return sk, nil
	}
	return nil, fmt.Errorf("ML-DSA-65-PrivateKey: unexpected ASN.1 element (class %d, tag %d)", raw.Class, raw.Tag)
}

// ParseMLDSA65PublicKey decodes SubjectPublicKeyInfo DER holding an
// ML-DSA-65 public key.
func ParseMLDSA65PublicKey(der []byte) (*mldsa65.PublicKey, error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil {
		return nil, fmt.Errorf("SubjectPublicKeyInfo: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("SubjectPublicKeyInfo: %d trailing bytes", len(rest))
	}
	if err := checkAlgorithm(spki.Algorithm); err != nil {
		return nil, err
	}
	if spki.PublicKey.BitLength != 8*len(spki.PublicKey.Bytes) || len(spki.PublicKey.Bytes) != mldsa65.PublicKeySize {
		return nil, fmt.Errorf("public key of %d bits, want %d", spki.PublicKey.BitLength, 8*mldsa65.PublicKeySize)
	}
	var pk mldsa65.PublicKey
	if err := pk.UnmarshalBinary(spki.PublicKey.Bytes); err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return &pk, nil
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
