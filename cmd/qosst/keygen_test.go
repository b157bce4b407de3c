package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

func runKeygen(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runCommand(newKeygenCmd(), args...)
}

func TestKeygenWritesUsableKeys(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "alice.pem")
	if _, err := runKeygen(t, "--scheme", "ed25519", "--out", priv); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(auth.Config{Scheme: auth.SchemeEd25519, KeyFile: priv, PeerPublicKeyFile: priv + ".pub"}); err != nil {
		t.Fatalf("generated pair does not load: %v", err)
	}
	before, _ := os.ReadFile(priv)
	if _, err := runKeygen(t, "--scheme", "ed25519", "--out", priv); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without --force: %v", err)
	}
	if after, _ := os.ReadFile(priv); !bytes.Equal(before, after) {
		t.Fatal("refused overwrite changed the file")
	}
	if _, err := runKeygen(t, "--scheme", "ed25519", "--out", priv, "--force"); err != nil {
		t.Fatal(err)
	}
	hk := filepath.Join(dir, "psk.key")
	if _, err := runKeygen(t, "--scheme", "hmac-sha256", "-o", hk); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(hk); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("hmac key: %v %v", fi, err)
	}
	if _, err := auth.New(auth.Config{Scheme: auth.SchemeHMAC, KeyFile: hk}); err != nil {
		t.Fatal(err)
	}
	if _, err := runKeygen(t, "--scheme", "nope", "-o", filepath.Join(dir, "x")); err == nil {
		t.Fatal("unknown scheme accepted")
	}
	if _, err := runKeygen(t, "--scheme", "hmac-sha256"); err == nil {
		t.Fatal("missing --out accepted")
	}
}

// TestKeygenMLDSA65: --scheme ml-dsa-65 writes a 0600 PKCS#8 private key
// and a public key beside it; two such pairs authenticate each other
// through auth.New.
func TestKeygenMLDSA65(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	for _, p := range []string{a, b} {
		out, err := runKeygen(t, "--scheme", "ml-dsa-65", "--out", p)
		if err != nil || !strings.Contains(out, p+".pub") {
			t.Fatalf("%q, %v", out, err)
		}
	}
	if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v %v", fi, err)
	}
	if pem, _ := os.ReadFile(a + ".pub"); !strings.HasPrefix(string(pem), "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("public key file %q", pem)
	}
	alice, err := auth.New(auth.Config{Scheme: auth.SchemeMLDSA65, KeyFile: a, PeerPublicKeyFile: b + ".pub"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := auth.New(auth.Config{Scheme: auth.SchemeMLDSA65, KeyFile: b, PeerPublicKeyFile: a + ".pub"})
	if err != nil {
		t.Fatal(err)
	}
	d := make([]byte, 32)
	s, _ := alice.Sign(d)
	if err := bob.Verify(d, s); err != nil {
		t.Fatal(err)
	}
}

// TestKeygenFalcon512: --scheme falcon-512 writes qosst's JSON key files
// (a 0600 secret key [f, g, F, G], a public key h); a station holding them
// and a station holding the reference's own key files (qosst-core's
// recorded Bob) authenticate each other through auth.New.
func TestKeygenFalcon512(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "alice.json")
	out, err := runKeygen(t, "--scheme", "falcon-512", "--out", a)
	if err != nil || !strings.Contains(out, a+".pub") {
		t.Fatalf("%q, %v", out, err)
	}
	if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret key: %v %v", fi, err)
	}
	var sk [][]int64
	var pk []int64
	sb, _ := os.ReadFile(a)
	pb, _ := os.ReadFile(a + ".pub")
	if json.Unmarshal(sb, &sk) != nil || len(sk) != 4 || len(sk[0]) != 512 || json.Unmarshal(pb, &pk) != nil || len(pk) != 512 {
		t.Fatalf("key files are not qosst's JSON forms")
	}
	vb, err := os.ReadFile(filepath.Join("..", "..", "testdata", "qosst-core-0.10-falcon.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(vb, &doc); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(dir, "bob.json")
	os.WriteFile(b, doc.Keys["bob_secret_key"], 0o600)
	os.WriteFile(b+".pub", doc.Keys["bob_public_key"], 0o644)
	alice, err := auth.New(auth.Config{Scheme: auth.SchemeFalcon512, KeyFile: a, PeerPublicKeyFile: b + ".pub"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := auth.New(auth.Config{Scheme: auth.SchemeFalcon512, KeyFile: b, PeerPublicKeyFile: a + ".pub"})
	if err != nil {
		t.Fatal(err)
	}
	d := make([]byte, 32)
	s, _ := alice.Sign(d)
	if err := bob.Verify(d, s); err != nil {
		t.Fatal(err)
	}
	s2, _ := bob.Sign(d)
	if err := alice.Verify(d, s2); err != nil {
		t.Fatal(err)
	}
	if err := alice.Verify(d, s); err == nil {
		t.Fatal("Alice accepted her own signature as Bob's")
	}
}

// TestKeygenWegmanCarter: --scheme wegman-carter writes a 0700 pool pair
// that two stations authenticate each other with through auth.New, and
// refuses to overwrite it.
func TestKeygenWegmanCarter(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "link")
	if _, err := runKeygen(t, "--scheme", "wegman-carter", "--out", prefix); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(prefix + ".alice"); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("pool: %v %v", fi, err)
	}
	alice, err := auth.New(auth.Config{Scheme: auth.SchemeWegmanCarter, KeyFile: prefix + ".alice"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := auth.New(auth.Config{Scheme: auth.SchemeWegmanCarter, KeyFile: prefix + ".bob"})
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := alice.(messages.FrameAuthenticator), bob.(messages.FrameAuthenticator)
	tag, err := fa.SignFrame([]byte("h"), []byte("c"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.VerifyFrame([]byte("h"), []byte("c"), tag); err != nil {
		t.Fatal(err)
	}
	if _, err := runKeygen(t, "--scheme", "wegman-carter", "--out", prefix); err == nil {
		t.Fatal("existing pools overwritten")
	}
}

func TestKeygenHelpNamesFlags(t *testing.T) {
	out, err := runKeygen(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--scheme", "--out", "--pub-out", "--force", "0600", "PKCS#8", "PKIX", "ml-dsa-65", "SubjectPublicKeyInfo", "falcon-512", "[f, g, F, G]", "wegman-carter"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
