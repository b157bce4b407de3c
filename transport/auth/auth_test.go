package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth/falcon"
	"github.com/qosst/qosst-go/transport/auth/wegmancarter"
)

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func TestNoneIsIdentity(t *testing.T) {
	a := None()
	d := digestOf("frame")
	s, err := a.Sign(d)
	if err != nil || string(s) != string(d) {
		t.Fatalf("Sign = %x, %v; want the digest itself", s, err)
	}
	if err := a.Verify(d, s); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), s...)
	bad[0] ^= 1
	if err := a.Verify(d, bad); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("tampered digest: %v", err)
	}
	if err := a.Verify(d, s[:31]); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("short digest: %v", err)
	}
}

func TestHMACSignVerify(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	a, _ := NewHMAC(key)
	b, _ := NewHMAC(key)
	other, _ := NewHMAC([]byte("fedcba9876543210fedcba9876543210"))
	d := digestOf("frame")
	s, _ := a.Sign(d)
	if err := b.Verify(d, s); err != nil {
		t.Fatalf("same key: %v", err)
	}
	if err := other.Verify(d, s); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("other key accepted: %v", err)
	}
	if err := b.Verify(digestOf("other frame"), s); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("other digest accepted: %v", err)
	}
	if _, err := NewHMAC([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestKeygenAndLoad(t *testing.T) {
	dir := t.TempDir()
	hk := filepath.Join(dir, "hmac.key")
	if err := WriteHMACKey(hk, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteHMACKey(hk, false); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite without force: %v", err)
	}
	old, _ := os.ReadFile(hk)
	if err := WriteHMACKey(hk, true); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(hk); string(now) == string(old) {
		t.Fatal("--force did not write a fresh key")
	}
	if fi, _ := os.Stat(hk); fi.Mode().Perm() != 0o600 {
		t.Fatalf("hmac key mode %#o", fi.Mode().Perm())
	}
	ha, err := New(Config{Scheme: SchemeHMAC, KeyFile: hk})
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := New(Config{Scheme: SchemeHMAC, KeyFile: hk})
	d := digestOf("x")
	s, _ := ha.Sign(d)
	if err := hb.Verify(d, s); err != nil {
		t.Fatal(err)
	}

	aPriv, aPub := filepath.Join(dir, "alice.pem"), filepath.Join(dir, "alice.pub.pem")
	bPriv, bPub := filepath.Join(dir, "bob.pem"), filepath.Join(dir, "bob.pub.pem")
	if err := WriteEd25519KeyPair(aPriv, aPub, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteEd25519KeyPair(bPriv, bPub, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteEd25519KeyPair(aPriv, filepath.Join(dir, "new.pub"), false); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite without force: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.pub")); err == nil {
		t.Fatal("a refused key pair wrote its public half")
	}
	if fi, _ := os.Stat(aPriv); fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %#o", fi.Mode().Perm())
	}
	alice, err := New(Config{Scheme: SchemeEd25519, KeyFile: aPriv, PeerPublicKeyFile: bPub})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := New(Config{Scheme: SchemeEd25519, KeyFile: bPriv, PeerPublicKeyFile: aPub})
	if err != nil {
		t.Fatal(err)
	}
	s, _ = alice.Sign(d)
	if err := bob.Verify(d, s); err != nil {
		t.Fatalf("bob verifies alice: %v", err)
	}
	s2, _ := bob.Sign(d)
	if err := alice.Verify(d, s2); err != nil {
		t.Fatalf("alice verifies bob: %v", err)
	}
	// A station that trusts the wrong public key rejects.
	wrong, _ := New(Config{Scheme: SchemeEd25519, KeyFile: bPriv, PeerPublicKeyFile: bPub})
	if err := wrong.Verify(d, s); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("wrong peer key accepted: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pub")
	if err := WriteEd25519KeyPair(priv, pub, false); err != nil {
		t.Fatal(err)
	}
	hk := filepath.Join(dir, "h.key")
	if err := WriteHMACKey(hk, false); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(dir, "loose.key")
	b, _ := os.ReadFile(hk)
	os.WriteFile(loose, b, 0o644)
	os.Chmod(loose, 0o644)
	garbage := filepath.Join(dir, "garbage.key")
	os.WriteFile(garbage, []byte("not hex at all"), 0o600)

	cases := []struct {
		name string
		cfg  Config
		want error
		text string
	}{
		{"unknown scheme", Config{Scheme: "rot13"}, ErrUnknownScheme, "rot13"},
		{"missing hmac file", Config{Scheme: SchemeHMAC, KeyFile: filepath.Join(dir, "nope")}, ErrKeyFile, "no such file"},
		{"hmac without file", Config{Scheme: SchemeHMAC}, ErrKeyFile, "key_file"},
		{"loose permissions", Config{Scheme: SchemeHMAC, KeyFile: loose}, ErrInsecureKeyFile, "chmod 600"},
		{"hmac not hex", Config{Scheme: SchemeHMAC, KeyFile: garbage}, ErrKeyFile, "hex"},
		{"public key as private", Config{Scheme: SchemeEd25519, KeyFile: pub, PeerPublicKeyFile: pub}, ErrInsecureKeyFile, "mode"},
		{"private key as public", Config{Scheme: SchemeEd25519, KeyFile: priv, PeerPublicKeyFile: priv}, ErrKeyFile, `PEM type "PRIVATE KEY", want "PUBLIC KEY"`},
		{"hmac key as ed25519", Config{Scheme: SchemeEd25519, KeyFile: hk, PeerPublicKeyFile: pub}, ErrKeyFile, "no PEM block"},
		{"ed25519 without peer", Config{Scheme: SchemeEd25519, KeyFile: priv}, ErrKeyFile, "peer_public_key_file"},
	}
	for _, c := range cases {
		_, err := New(c.cfg)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: got %v, want %v mentioning %q", c.name, err, c.want, c.text)
		}
	}
	// Public key with PEM type mislabelled as a private key.
	os.Chmod(pub, 0o600)
	if _, err := New(Config{Scheme: SchemeEd25519, KeyFile: pub, PeerPublicKeyFile: pub}); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "PEM type") {
		t.Errorf("public key as private (0600): %v", err)
	}
	if a, err := New(Config{}); err != nil || a.Name() != SchemeNone {
		t.Errorf("empty config: %v, %v", a, err)
	}
}

// BenchmarkSignVerify: the cost each scheme adds per frame (one Sign on the
// sender, one Verify on the receiver), on a 32-byte digest.
func BenchmarkSignVerify(b *testing.B) {
	hm, _ := NewHMAC(bytes.Repeat([]byte{7}, 32))
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	ed, _ := NewEd25519(priv, pub)
	mpub, mpriv, _ := mldsa65.GenerateKey(rand.Reader)
	ml, _ := NewMLDSA65(mpriv, mpub)
	fsk, err := falcon.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	fa, _ := NewFalcon512(fsk, fsk.Public())
	d := digestOf("frame")
	for _, a := range []messages.Authenticator{None(), hm, ed, ml, fa} {
		b.Run(a.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s, _ := a.Sign(d)
				if err := a.Verify(d, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Wegman–Carter: Alice tags a 1 KiB frame (header and content), Bob
	// checks it; each check writes Bob's receive floor durably (fsync).
	dir := b.TempDir()
	ad, bd := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := wegmancarter.WritePair(ad, bd, 1<<22, 0); err != nil {
		b.Fatal(err)
	}
	wa, _ := New(Config{Scheme: SchemeWegmanCarter, KeyFile: ad})
	wb, _ := New(Config{Scheme: SchemeWegmanCarter, KeyFile: bd})
	fa2, fb2 := wa.(messages.FrameAuthenticator), wb.(messages.FrameAuthenticator)
	header := []byte(`{"code": 140, "content_length": 1024, "challenge": "abcdefghijklmno", "next_challenge": "ABCDEFGHIJKLMNO"}`)
	content := bytes.Repeat([]byte("x"), 1024)
	b.Run(SchemeWegmanCarter, func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s, err := fa2.SignFrame(header, content)
			if err != nil {
				b.Fatal(err)
			}
			if err := fb2.VerifyFrame(header, content, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
