package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/qosst/qosst-go/messages"
)

func writeMLDSAPair(t *testing.T, dir, name string) (priv, pub string) {
	t.Helper()
	priv, pub = filepath.Join(dir, name), filepath.Join(dir, name+".pub")
	if err := WriteMLDSA65KeyPair(priv, pub, false); err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// TestMLDSA65ACVPKeyGenThroughPEM: for every ML-DSA-65 key-generation
// vector of NIST's ACVP (as circl ships them; testdata keeps the seeds and
// the SHA-256 of the expected encodings), the seed written as our PKCS#8
// PEM and loaded back gives exactly the expected private key, and the
// public key written as SubjectPublicKeyInfo PEM and loaded back gives
// exactly the expected public key.
func TestMLDSA65ACVPKeyGenThroughPEM(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "mldsa65-acvp-keygen.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests []struct {
			TcID int    `json:"tcId"`
			Seed string `json:"seed"`
			Pk   string `json:"pk_sha256"`
			Sk   string `json:"sk_sha256"`
		} `json:"tests"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tests) != 25 {
		t.Fatalf("%d vectors, want 25", len(doc.Tests))
	}
	dir := t.TempDir()
	for _, tc := range doc.Tests {
		s, err := hex.DecodeString(tc.Seed)
		if err != nil || len(s) != mldsa65.SeedSize {
			t.Fatalf("tc %d: seed %v", tc.TcID, err)
		}
		var seed [mldsa65.SeedSize]byte
		copy(seed[:], s)
		der, err := MarshalMLDSA65PrivateKey(&seed)
		if err != nil {
			t.Fatal(err)
		}
		privPath := filepath.Join(dir, "sk.pem")
		if err := writeFile(privPath, pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), 0o600, true); err != nil {
			t.Fatal(err)
		}
		sk, err := LoadMLDSA65PrivateKey(privPath)
		if err != nil {
			t.Fatalf("tc %d: %v", tc.TcID, err)
		}
		if got := sha256.Sum256(sk.Bytes()); hex.EncodeToString(got[:]) != tc.Sk {
			t.Errorf("tc %d: private key differs from the ACVP vector", tc.TcID)
		}
		pubDER, err := MarshalMLDSA65PublicKey(sk.Public().(*mldsa65.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		pubPath := filepath.Join(dir, "pk.pem")
		if err := writeFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: pubDER}), 0o644, true); err != nil {
			t.Fatal(err)
		}
		pk, err := LoadMLDSA65PublicKey(pubPath)
		if err != nil {
			t.Fatalf("tc %d: %v", tc.TcID, err)
		}
		if got := sha256.Sum256(pk.Bytes()); hex.EncodeToString(got[:]) != tc.Pk {
			t.Errorf("tc %d: public key differs from the ACVP vector", tc.TcID)
		}
	}
}

// Test-side ASN.1 of the IETF encodings, written independently of the
// production code (which uses circl's pki package).
var oidMLDSA65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}

type testAlgID struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type testPKCS8 struct {
	Version    int
	Algorithm  testAlgID
	PrivateKey []byte
}

type testBoth struct {
	Seed, ExpandedKey []byte
}

// TestMLDSA65Encodings: the DER we write is the IETF layout byte for byte
// (the seed form is the 34 bytes 80 20 ‖ seed inside PKCS#8 with
// id-ml-dsa-65 and no parameters; the public key is a BIT STRING of 1952
// bytes); the "both" form loads to the same key and a "both" key whose
// halves disagree is refused; the expanded key alone, another algorithm,
// trailing bytes and truncation are refused.
func TestMLDSA65Encodings(t *testing.T) {
	var seed [mldsa65.SeedSize]byte
	for i := range seed {
		seed[i] = byte(i)
	}
	pub, sk := mldsa65.NewKeyFromSeed(&seed)
	der, err := MarshalMLDSA65PrivateKey(&seed)
	if err != nil {
		t.Fatal(err)
	}
	// 30 34 | 02 01 00 | 30 0b 06 09 60 86 48 01 65 03 04 03 12 | 04 22 80 20 seed
	wantPrefix, _ := hex.DecodeString("3034020100300b0609608648016503040312042280200001")
	if !bytes.HasPrefix(der, wantPrefix) || len(der) != 54 {
		t.Fatalf("private key DER %x", der)
	}
	pubDER, _ := MarshalMLDSA65PublicKey(pub)
	wantPub, _ := hex.DecodeString("308207b2300b0609608648016503040312038207a100")
	if !bytes.HasPrefix(pubDER, wantPub) || len(pubDER) != 4+0x7b2 || !bytes.Equal(pubDER[len(wantPub):], pub.Bytes()) {
		t.Fatalf("public key DER prefix %x, length %d", pubDER[:24], len(pubDER))
	}
	wrap := func(inner []byte) []byte {
		b, err := asn1.Marshal(testPKCS8{Algorithm: testAlgID{Algorithm: oidMLDSA65}, PrivateKey: inner})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	both, _ := asn1.Marshal(testBoth{Seed: seed[:], ExpandedKey: sk.Bytes()})
	if got, err := ParseMLDSA65PrivateKey(wrap(both)); err != nil || !got.Equal(sk) {
		t.Errorf("both form: %v", err)
	}
	other := seed
	other[0] ^= 1
	_, otherSK := mldsa65.NewKeyFromSeed(&other)
	mixed, _ := asn1.Marshal(testBoth{Seed: seed[:], ExpandedKey: otherSK.Bytes()})
	expanded, _ := asn1.Marshal(sk.Bytes())
	mldsa44 := bytes.Replace(bytes.Clone(der), []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12}, []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x11}, 1)
	for name, d := range map[string][]byte{
		"inconsistent both": wrap(mixed), "expanded key alone": wrap(expanded),
		"ml-dsa-44 oid": mldsa44, "trailing": append(bytes.Clone(der), 0), "truncated": der[:len(der)-1],
	} {
		if _, err := ParseMLDSA65PrivateKey(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseMLDSA65PublicKey(pubDER[:len(pubDER)-1]); err == nil {
		t.Error("truncated public key accepted")
	}
}

// TestMLDSA65KeygenSignVerify: key pairs written by WriteMLDSA65KeyPair load
// through New; each station verifies the other; a station trusting the
// wrong public key, a changed digest and any flipped signature byte are
// refused.
func TestMLDSA65KeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	aPriv, aPub := writeMLDSAPair(t, dir, "alice")
	bPriv, bPub := writeMLDSAPair(t, dir, "bob")
	if fi, _ := os.Stat(aPriv); fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %#o", fi.Mode().Perm())
	}
	if err := WriteMLDSA65KeyPair(aPriv, filepath.Join(dir, "x.pub"), false); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite without force: %v", err)
	}
	alice, err := New(Config{Scheme: SchemeMLDSA65, KeyFile: aPriv, PeerPublicKeyFile: bPub})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := New(Config{Scheme: SchemeMLDSA65, KeyFile: bPriv, PeerPublicKeyFile: aPub})
	if err != nil {
		t.Fatal(err)
	}
	if alice.Name() != SchemeMLDSA65 {
		t.Fatal(alice.Name())
	}
	d := digestOf("frame")
	s, err := alice.Sign(d)
	if err != nil || len(s) != MLDSA65SignatureSize {
		t.Fatalf("sign: %d bytes, %v", len(s), err)
	}
	if err := bob.Verify(d, s); err != nil {
		t.Fatalf("bob verifies alice: %v", err)
	}
	s2, _ := bob.Sign(d)
	if err := alice.Verify(d, s2); err != nil {
		t.Fatalf("alice verifies bob: %v", err)
	}
	wrong, _ := New(Config{Scheme: SchemeMLDSA65, KeyFile: bPriv, PeerPublicKeyFile: bPub})
	if err := wrong.Verify(d, s); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("wrong peer key accepted: %v", err)
	}
	if err := bob.Verify(digestOf("other"), s); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("other digest accepted: %v", err)
	}
	for i := range s {
		bad := bytes.Clone(s)
		bad[i] ^= 0x01
		if err := bob.Verify(d, bad); !errors.Is(err, messages.ErrAuthentication) {
			t.Fatalf("signature byte %d flipped: %v", i, err)
		}
	}
	if err := bob.Verify(d, s[:len(s)-1]); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("short signature: %v", err)
	}
	// Config errors: the Ed25519 loader's file checks apply.
	edPriv, edPub := filepath.Join(dir, "ed.pem"), filepath.Join(dir, "ed.pub")
	if err := WriteEd25519KeyPair(edPriv, edPub, false); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Config{
		"ed25519 private key":  {Scheme: SchemeMLDSA65, KeyFile: edPriv, PeerPublicKeyFile: bPub},
		"ed25519 public key":   {Scheme: SchemeMLDSA65, KeyFile: aPriv, PeerPublicKeyFile: edPub},
		"missing peer":         {Scheme: SchemeMLDSA65, KeyFile: aPriv},
		"public key as secret": {Scheme: SchemeMLDSA65, KeyFile: aPub, PeerPublicKeyFile: bPub},
	} {
		if _, err := New(c); !errors.Is(err, ErrKeyFile) && !errors.Is(err, ErrInsecureKeyFile) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzMLDSA65KeyDER: the PKCS#8 and SubjectPublicKeyInfo decoders return an
// error or a key for any input, never panic, and a decoded private key
// re-encodes in seed form to a key that decodes equal.
func FuzzMLDSA65KeyDER(f *testing.F) {
	var seed [mldsa65.SeedSize]byte
	pub, _ := mldsa65.NewKeyFromSeed(&seed)
	der, _ := MarshalMLDSA65PrivateKey(&seed)
	pubDER, _ := MarshalMLDSA65PublicKey(pub)
	f.Add(der)
	f.Add(pubDER)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if sk, err := ParseMLDSA65PrivateKey(b); err == nil {
			s := sk.Seed()
			if s != nil {
				var sd [mldsa65.SeedSize]byte
				copy(sd[:], s)
				again, err := MarshalMLDSA65PrivateKey(&sd)
				if err != nil {
					t.Fatal(err)
				}
				sk2, err := ParseMLDSA65PrivateKey(again)
				if err != nil || !sk2.Equal(sk) {
					t.Fatalf("seed form round trip: %v", err)
				}
			}
		}
		_, _ = ParseMLDSA65PublicKey(b)
	})
}
