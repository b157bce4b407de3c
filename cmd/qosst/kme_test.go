package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/kme"
)

func runCerts(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newCertsCmd()
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestCertsCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := runCerts(t, "--out", dir, "--sae", "sae-a", "--sae", "sae-b"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.crt", "ca.key", "kme-alice.crt", "kme-alice.key", "kme-bob.crt", "kme-bob.key", "sae-a.crt", "sae-a.key", "sae-b.crt", "sae-b.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".key") && st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v", f, st.Mode().Perm())
		}
	}
	if _, err := runCerts(t, "--out", dir, "--sae", "sae-a"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without --force: %v", err)
	}
	if _, err := runCerts(t, "--out", dir, "--sae", "sae-a", "--force"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCerts(t, "--out", dir); err == nil {
		t.Fatal("no --sae accepted")
	}
}

// qosst kme serves the station's default store (sqlite:<keys>/keys.db) over
// mutual TLS until its context ends.
func TestKMECommandServes(t *testing.T) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if _, err := kme.GenerateCerts(pki, []string{"sae-a", "sae-b"}, false); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	ctx := context.Background()
	db, err := keystore.OpenDB(ctx, keystore.DefaultURL(keys), "alice")
	if err != nil {
		t.Fatal(err)
	}
	frame := uuid.New()
	if err := db.Put(ctx, keystore.Frame{ID: frame, Key: make([]byte, 64), BlockBits: 256}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := newKMECmd()
	pr, pw := io.Pipe()
	cmd.SetOut(pw)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--side", "alice", "--keys", keys, "--listen", "127.0.0.1:0", "--cert", filepath.Join(pki, "kme-alice.crt"),
		"--key", filepath.Join(pki, "kme-alice.key"), "--client-ca", filepath.Join(pki, "ca.crt"), "--sae-id", "sae-a", "--peer-sae-id", "sae-b"})
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(cctx); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	_, addr, ok := strings.Cut(strings.TrimSpace(line), " on ")
	if !ok {
		t.Fatalf("address line %q", line)
	}
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(filepath.Join(pki, "ca.crt"))
	pool.AppendCertsFromPEM(ca)
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "sae-a.crt"), filepath.Join(pki, "sae-a.key"))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
	resp, err := c.Get(addr + "/api/v1/keys/sae-b/enc_keys?number=2")
	if err != nil {
		t.Fatal(err)
	}
	var kc kme.KeyContainer
	err = json.NewDecoder(resp.Body).Decode(&kc)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || len(kc.Keys) != 2 || kc.Keys[0].KeyID != keystore.BlockID(frame, 256, 0).String() {
		t.Fatalf("enc_keys: %d %+v %v", resp.StatusCode, kc, err)
	}
	c.CloseIdleConnections()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("kme after its context ended: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("kme did not stop")
	}
	for _, args := range [][]string{{"--side", "carol", "--listen", "127.0.0.1:0"}, {"--side", "alice"}} {
		cmd := newKMECmd()
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err == nil {
			t.Fatalf("%v accepted", args)
		}
	}
}
