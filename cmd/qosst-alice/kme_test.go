package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qosst/qosst-go/kme"
)

// --kme-listen serves Alice's key database to her SAE over mutual TLS while
// she runs.
func TestEmbeddedKME(t *testing.T) {
	pki := t.TempDir()
	if _, err := kme.GenerateCerts(pki, []string{"sae-a", "sae-b"}, false); err != nil {
		t.Fatal(err)
	}
	var logs safeBuffer
	_, stop := serve(t, &logs, "--listen", "127.0.0.1:0", "--log-format", "json", "--keys", t.TempDir(), "--kme-listen", "127.0.0.1:0",
		"--set", "kme.cert="+filepath.Join(pki, "kme-alice.crt"), "--set", "kme.key="+filepath.Join(pki, "kme-alice.key"),
		"--set", "kme.client_ca="+filepath.Join(pki, "ca.crt"), "--set", "kme.sae_id=sae-a", "--set", "kme.peer_sae_id=sae-b")
	var addr string
	for _, l := range strings.Split(logs.String(), "\n") {
		var v struct {
			Listen string `json:"kme_listen"`
		}
		if json.Unmarshal([]byte(l), &v) == nil && v.Listen != "" {
			addr = v.Listen
		}
	}
	if addr == "" {
		t.Fatalf("no kme_listen in the logs:\n%s", logs.String())
	}
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(filepath.Join(pki, "ca.crt"))
	pool.AppendCertsFromPEM(ca)
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "sae-a.crt"), filepath.Join(pki, "sae-a.key"))
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	resp, err := c.Get("https://" + addr + "/api/v1/keys/sae-b/status")
	if err != nil {
		t.Fatal(err)
	}
	var st kme.Status
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || st.MasterSAEID != "sae-a" || st.StoredKeyCount != 0 {
		t.Fatalf("status: %d %+v %v", resp.StatusCode, st, err)
	}
	resp, err = c.Get("https://" + addr + "/api/v1/keys/sae-b/enc_keys")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("enc_keys from an empty store: %d", resp.StatusCode)
	}
	tr.CloseIdleConnections()
	stop()
	if _, err := c.Get("https://" + addr + "/api/v1/keys/sae-b/status"); err == nil {
		t.Fatal("the KME still answers after Alice stopped")
	}
}
