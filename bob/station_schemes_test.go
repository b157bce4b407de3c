package bob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/auth"
)

// schemeKeys are the key files of both stations for one signature scheme;
// mallory is a public key of neither peer.
type schemeKeys struct {
	alicePriv, alicePub, bobPriv, bobPub, mallory string
}

func writeSchemeKeys(t *testing.T, scheme string) schemeKeys {
	t.Helper()
	dir := t.TempDir()
	k := schemeKeys{
		alicePriv: filepath.Join(dir, "alice"), alicePub: filepath.Join(dir, "alice.pub"),
		bobPriv: filepath.Join(dir, "bob"), bobPub: filepath.Join(dir, "bob.pub"),
	}
	switch scheme {
	case auth.SchemeFalcon512:
		// The reference's own Falcon key files (qosst's JSON forms).
		b, err := os.ReadFile(filepath.Join("..", "testdata", "qosst-core-0.10-falcon.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Keys map[string]json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for path, name := range map[string]string{k.alicePriv: "alice_secret_key", k.alicePub: "alice_public_key", k.bobPriv: "bob_secret_key", k.bobPub: "bob_public_key"} {
			if err := os.WriteFile(path, doc.Keys[name], 0o600); err != nil {
				t.Fatal(err)
			}
		}
		k.mallory = k.alicePub // Alice's own key is not Bob's
		return k
	case auth.SchemeWegmanCarter:
		// Two pool pairs: Alice's and Bob's, and a pool of another pair.
		a, b, err := auth.WriteWegmanCarterPools(filepath.Join(dir, "link"))
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := auth.WriteWegmanCarterPools(filepath.Join(dir, "other"))
		if err != nil {
			t.Fatal(err)
		}
		return schemeKeys{alicePriv: a, bobPriv: b, mallory: other}
	case auth.SchemeEd25519, auth.SchemeMLDSA65:
		write := auth.WriteEd25519KeyPair
		if scheme == auth.SchemeMLDSA65 {
			write = auth.WriteMLDSA65KeyPair
		}
		for _, p := range [][2]string{{k.alicePriv, k.alicePub}, {k.bobPriv, k.bobPub}, {filepath.Join(dir, "mallory"), filepath.Join(dir, "mallory.pub")}} {
			if err := write(p[0], p[1], false); err != nil {
				t.Fatal(err)
			}
		}
		k.mallory = filepath.Join(dir, "mallory.pub")
		return k
	}
	t.Fatalf("scheme %q", scheme)
	return k
}

func schemeConfig(base *config.Config, scheme, priv, peer string) *config.Config {
	c := base.Clone()
	c.Authentication.Scheme = scheme
	c.Authentication.KeyFile = priv
	c.Authentication.PeerPublicKeyFile = peer
	return c
}

// tapConn records what passes on Bob's connection.
type tapConn struct {
	net.Conn
	mu          sync.Mutex
	read, wrote *bytes.Buffer
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.wrote.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// codes decodes a recorded byte stream into its frame codes (a trailing
// partial frame ends the list).
func codes(b []byte) []messages.Code {
	var out []messages.Code
	dec := messages.NewDecoder(bytes.NewReader(b), messages.Limits{})
	for {
		f, err := dec.ReadFrame()
		if err != nil {
			return out
		}
		out = append(out, f.Header.Code)
	}
}

// TestStationSignatureSchemes: for each signature scheme and the
// Wegman–Carter MAC, stations built
// from their configuration (key files through auth.New) run a frame over
// TCP with identical keys on both sides; when Alice trusts another public
// key than Bob's (for Wegman–Carter: a pool of another pair), she answers Bob's IDENTIFICATION_REQUEST with
// AUTHENTICATION_INVALID, Bob identifies again, and after
// authentication.max_failures attempts he concludes man-in-the-middle,
// with no key kept.
func TestStationSignatureSchemes(t *testing.T) {
	t.Parallel() // its own Alices, links and key stores
	base := stationConfig()
	base.Frame.Quantum.NumSymbols = 20_000 // the authentication, not the estimation: still a key per frame
	for _, scheme := range []string{auth.SchemeEd25519, auth.SchemeMLDSA65, auth.SchemeFalcon512, auth.SchemeWegmanCarter} {
		t.Run(scheme, func(t *testing.T) {
			k := writeSchemeKeys(t, scheme)
			for _, same := range []bool{true, false} {
				bc := schemeConfig(base, scheme, k.bobPriv, k.alicePub)
				ac := schemeConfig(base, scheme, k.alicePriv, k.bobPub)
				if !same {
					ac = schemeConfig(base, scheme, k.alicePriv, k.mallory)
				}
				if scheme == auth.SchemeWegmanCarter { // pools: no public keys
					bc = schemeConfig(base, scheme, k.bobPriv, "")
					ac = schemeConfig(base, scheme, k.alicePriv, "")
					if !same {
						ac = schemeConfig(base, scheme, k.mallory, "")
					}
				}
				aauth, err := station.Authenticator(ac)
				if err != nil {
					t.Fatal(err)
				}
				l, d := listen(t, "tcp")
				aliceKeys := startAliceAuth(t, ac, l, aauth)
				tap := &tapConn{read: new(bytes.Buffer), wrote: new(bytes.Buffer)}
				dial := transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
					c, err := d.DialContext(ctx)
					if err != nil {
						return nil, err
					}
					tap.Conn = c
					return tap, nil
				})
				bc.Keys.OutputDir = t.TempDir()
				st, err := NewStation(bc, testLogger(t), dial)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() }) // after the key checks, which read its key database
				sums, err := st.Driver.Run(runCtx(t), 1)
				if same {
					if err != nil || len(sums) != 1 {
						t.Fatalf("Run: %d frames, %v", len(sums), err)
					}
					checkKeys(t, sums[0], aliceKeys, st.Keys)
					continue
				}
				if !errors.Is(err, fsm.ErrManInTheMiddle) {
					t.Fatalf("Run with Alice trusting another key: %v, want ErrManInTheMiddle", err)
				}
				noKeys(t, "Bob", st.Keys)
				tap.mu.Lock()
				sent, got := codes(tap.wrote.Bytes()), codes(tap.read.Bytes())
				tap.mu.Unlock()
				failures := base.Authentication.MaxFailures
				// Alice, at her own failure budget, closes; Bob's client may
				// reconnect and be refused once more before he stops.
				if len(got) < failures || len(sent) < failures {
					t.Fatalf("Bob sent %v, received %v; want %d identifications refused", sent, got, failures)
				}
				for i, c := range got {
					if c != messages.AuthenticationInvalid || (i < failures && sent[i] != messages.IdentificationRequest) {
						t.Fatalf("Bob sent %v, received %v; want each IDENTIFICATION_REQUEST answered by AUTHENTICATION_INVALID", sent, got)
					}
				}
			}
		})
	}
}
