package kme

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore"
)

var fuzzLimits = Limits{KeySize: 256, MaxKeyPerRequest: 16}

// FuzzKeyRequest: any body of POST enc_keys is a valid request within the
// limits or ErrBadRequest, never a panic.
func FuzzKeyRequest(f *testing.F) {
	for _, s := range []string{`{"number": 2, "size": 256}`, `{}`, `{"number": -1}`, `{"size": 1e400}`, `{"number": "1"}`,
		`{"additional_slave_SAE_IDs": ["a"], "extension_optional": [{"x": 1}]}`, `[`, `{"number": 1} x`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, size, err := fuzzLimits.ParseKeyRequest(body)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error not ErrBadRequest: %v", err)
			}
			if len(err.Error()) > 512 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
			return
		}
		if n < 1 || n > fuzzLimits.MaxKeyPerRequest || size != fuzzLimits.KeySize {
			t.Fatalf("accepted number %d size %d", n, size)
		}
	})
}

// FuzzKeyIDs: any body of POST dec_keys is a list of distinct UUIDs within
// the limits or ErrBadRequest.
func FuzzKeyIDs(f *testing.F) {
	for _, s := range []string{`{"key_IDs": [{"key_ID": "` + uuid.NewString() + `"}]}`, `{"key_IDs": []}`, `{"key_IDs": [{"key_ID": 5}]}`,
		`{"key_IDs": [{"key_ID": "x"}, {"key_ID": "x"}]}`, `{"key_IDs": null}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ids, err := fuzzLimits.ParseKeyIDs(body)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error not ErrBadRequest: %v", err)
			}
			if len(err.Error()) > 512 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
			return
		}
		if len(ids) == 0 || len(ids) > fuzzLimits.MaxKeyPerRequest {
			t.Fatalf("%d key_IDs accepted", len(ids))
		}
		seen := map[uuid.UUID]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("key_ID %s twice", id)
			}
			seen[id] = true
		}
	})
}

// FuzzHTTPRequest: any HTTP request the server can read, from the served
// SAE or another, reaches a KME over a real store and gets a bounded
// answer: 200 with a Key container or Status, or an ETSI Error with 400,
// 401 or 503 (404 or 405 for paths and methods outside the API).
func FuzzHTTPRequest(f *testing.F) {
	dir := f.TempDir()
	db, err := keystore.OpenDB(context.Background(), keystore.DefaultURL(dir), "alice")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	key := bytes.Repeat([]byte{0xa5}, 32*4096)
	frame := uuid.New()
	if err := db.Put(context.Background(), keystore.Frame{ID: frame, Key: key, BlockBits: 256}); err != nil {
		f.Fatal(err)
	}
	servers := map[string]*Server{}
	for _, side := range []string{SideAlice, SideBob} {
		cfg := Config{Side: side, SAEID: saeA, PeerSAEID: saeB, DB: db, MaxKeyPerRequest: 16}
		s, err := New(cfg)
		if err != nil {
			f.Fatal(err)
		}
		servers[side] = s
	}
	id := keystore.BlockID(frame, 256, 7).String()
	for _, r := range []string{
		"GET /api/v1/keys/" + saeB + "/enc_keys?number=2&size=256 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /api/v1/keys/" + saeB + "/enc_keys HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\n{\"number\": 1}",
		"GET /api/v1/keys/" + saeA + "/dec_keys?key_ID=" + id + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /api/v1/keys/" + saeA + "/dec_keys HTTP/1.1\r\nHost: x\r\nContent-Length: 59\r\n\r\n{\"key_IDs\": [{\"key_ID\": \"" + id + "\"}]}",
		"GET /api/v1/keys/" + saeB + "/status HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /api/v1/keys/%zz/status HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		f.Add([]byte(r), true, false)
		f.Add([]byte(r), false, true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, served, bob bool) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // the HTTP server answers these itself
		}
		cn := saeA
		if !served {
			cn = saeC
		}
		cert := &x509.Certificate{Subject: pkix.Name{CommonName: cn}}
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}, VerifiedChains: [][]*x509.Certificate{{cert}}}
		side := SideAlice
		if bob {
			side = SideBob
		}
		w := httptest.NewRecorder()
		servers[side].ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			var v map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
				t.Fatalf("200 without JSON: %q", w.Body.Bytes())
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable, http.StatusNotFound, http.StatusMethodNotAllowed:
			var e Error
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Message == "" {
				t.Fatalf("%d without an Error: %q", w.Code, w.Body.Bytes())
			}
			if w.Body.Len() > 1024 {
				t.Fatalf("error answer of %d bytes", w.Body.Len())
			}
			if !served && w.Code != http.StatusUnauthorized {
				t.Fatalf("SAE %s not served got %d", cn, w.Code)
			}
		default:
			t.Fatalf("status %d for %q", w.Code, raw)
		}
	})
}
