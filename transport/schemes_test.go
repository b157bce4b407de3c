package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
	"github.com/qosst/qosst-go/transport/auth/falcon"
	"github.com/qosst/qosst-go/transport/auth/wegmancarter"
)

// scheme is one authenticator of each station: alice signs with Alice's
// key and verifies Bob's, bob the other way round.
type scheme struct {
	name       string
	alice, bob messages.Authenticator
}

// testSchemes returns every scheme with fixed keys: None, HMAC-SHA256,
// Ed25519, ML-DSA-65, and Falcon-512 with the reference's key files.
func testSchemes(t testing.TB) []scheme {
	t.Helper()
	h, _ := auth.NewHMAC(bytes.Repeat([]byte{7}, 32))
	eA, eB := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	edA, _ := auth.NewEd25519(eA, eB.Public().(ed25519.PublicKey))
	edB, _ := auth.NewEd25519(eB, eA.Public().(ed25519.PublicKey))
	var sa, sb [mldsa65.SeedSize]byte
	sa[0], sb[0] = 1, 2
	mpA, mkA := mldsa65.NewKeyFromSeed(&sa)
	mpB, mkB := mldsa65.NewKeyFromSeed(&sb)
	mlA, _ := auth.NewMLDSA65(mkA, mpB)
	mlB, _ := auth.NewMLDSA65(mkB, mpA)
	b, err := os.ReadFile(filepath.Join(vectorsDir, "qosst-core-0.10-falcon.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	fkA, err1 := falcon.ParsePrivateKeyJSON(doc.Keys["alice_secret_key"])
	fkB, err2 := falcon.ParsePrivateKeyJSON(doc.Keys["bob_secret_key"])
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	faA, _ := auth.NewFalcon512(fkA, fkB.Public())
	faB, _ := auth.NewFalcon512(fkB, fkA.Public())
	return []scheme{
		{auth.SchemeNone, auth.None(), auth.None()},
		{auth.SchemeHMAC, h, h},
		{auth.SchemeEd25519, edA, edB},
		{auth.SchemeMLDSA65, mlA, mlB},
		{auth.SchemeFalcon512, faA, faB},
	}
}

// recordScheme runs the reference conversation (its contents and
// challenges) between two of our sessions authenticating with sc, and
// returns both byte streams.
func recordScheme(t testing.TB, rec recording, sc scheme) (bobRaw, aliceRaw []byte) {
	t.Helper()
	var toAlice, toBob, bobRec, aliceRec bytes.Buffer
	bob := NewSession(StreamConn(&toBob, io.MultiWriter(&toAlice, &bobRec)), Options{Authenticator: sc.bob, NextChallenge: challengeScript(rec.bob)})
	alice := NewSession(StreamConn(&toAlice, io.MultiWriter(&toBob, &aliceRec)), Options{Authenticator: sc.alice, NextChallenge: challengeScript(rec.alice)})
	for i := range rec.bob {
		if err := bob.Send(rec.bob[i].code, rec.bob[i].body); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Recv(); err != nil {
			t.Fatalf("%s: Alice, frame %d: %v", sc.name, i, err)
		}
		if err := alice.Send(rec.alice[i].code, rec.alice[i].body); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Recv(); err != nil {
			t.Fatalf("%s: Bob, frame %d: %v", sc.name, i, err)
		}
	}
	return bobRec.Bytes(), aliceRec.Bytes()
}

// verifyOnly verifies with its authenticator and signs as None: for
// replays whose output is discarded, so that a replay costs the
// verifications under test only.
type verifyOnly struct{ messages.Authenticator }

func (verifyOnly) Sign(d []byte) ([]byte, error) { return auth.None().Sign(d) }

// playWith is playAlice (asAlice) or playBob with an authenticator.
func playWith(rec recording, asAlice bool, a messages.Authenticator, peerStream []byte, out io.Writer) (int, error) {
	mine, theirs := rec.bob, rec.alice
	if asAlice {
		mine, theirs = rec.alice, rec.bob
	}
	s := NewSession(StreamConn(bytes.NewReader(peerStream), out), Options{Authenticator: a, NextChallenge: challengeScript(mine)})
	for i := range theirs {
		if !asAlice {
			if err := s.Send(mine[i].code, mine[i].body); err != nil {
				return i, err
			}
		}
		m, err := s.Recv()
		if err != nil {
			return i, err
		}
		if m.Code != theirs[i].code || !bytes.Equal(m.Content, theirs[i].body) {
			return i, errors.New("accepted a frame that differs from the recording")
		}
		if asAlice {
			if err := s.Send(mine[i].code, mine[i].body); err != nil {
				return i, err
			}
		}
	}
	return len(theirs), nil
}

// TestSchemesByteFlips records the reference conversation under each
// scheme and flips bytes of every frame in both directions: the four
// length bytes (masks 0x01 and 0xff), 10 bytes spread over the signature
// and 10 over the header and content (mask 0x01; 3 and 3 under the race
// detector) (TestRecordedConversationByteFlips flips
// every header and content byte, the schemes' own tests every signature
// byte). The flipped frame always ends in a local error, the frames
// before it are all accepted, and the unflipped streams are accepted
// whole; under another scheme's authenticator the first frame is refused.
func TestSchemesByteFlips(t *testing.T) {
	rec := loadRecording(t)
	schemes := testSchemes(t)
	for k, sc := range schemes {
		if sc.name == auth.SchemeNone {
			continue // TestRecordedConversationByteFlips
		}
		t.Run(sc.name, func(t *testing.T) {
			bobRaw, aliceRaw := recordScheme(t, rec, sc)
			bob, alice := splitStream(t, bobRaw), splitStream(t, aliceRaw)
			other := schemes[(k+1)%len(schemes)]
			counts := map[messages.ErrorCode]int{}
			for _, sd := range []struct {
				asAlice  bool
				a, wrong messages.Authenticator
				frames   []recFrame
				raw      []byte
			}{
				{true, verifyOnly{sc.alice}, verifyOnly{other.alice}, bob, bobRaw},
				{false, verifyOnly{sc.bob}, verifyOnly{other.bob}, alice, aliceRaw},
			} {
				if n, err := playWith(rec, sd.asAlice, sd.a, sd.raw, io.Discard); err != nil || n != len(sd.frames) {
					t.Fatalf("unflipped stream: %d frames, then %v", n, err)
				}
				if n, err := playWith(rec, sd.asAlice, sd.wrong, sd.raw, io.Discard); n != 0 || !errors.Is(err, messages.ErrAuthentication) {
					t.Fatalf("under %s: %d frames accepted, then %v", other.name, n, err)
				}
				off := 0
				for fi, f := range sd.frames {
					sl := int(f.raw[2])<<8 | int(f.raw[3]) // signed digest length
					spread := 10
					if raceEnabled { // signature checks are ten times slower
						spread = 3
					}
					sigStride, bodyStride := max(1, sl/spread), max(1, (len(f.raw)-4-sl)/spread)
					for j := range f.raw {
						if j >= 4 && j < 4+sl && (j-4)%sigStride != 0 || j >= 4+sl && (j-4-sl)%bodyStride != 0 {
							continue
						}
						masks := []byte{0x01, 0xff}
						if j >= 4 {
							masks = masks[:1]
						}
						for _, mask := range masks {
							stream := bytes.Clone(sd.raw[:off+len(f.raw)])
							stream[off+j] ^= mask
							n, err := playWith(rec, sd.asAlice, sd.a, stream, io.Discard)
							code, ok := messages.LocalCode(err)
							if n != fi || !ok {
								t.Fatalf("frame %d (%v) byte %d ^%#x: accepted %d frames, then %v", fi, f.code, j, mask, n, err)
							}
							counts[code]++
						}
					}
					off += len(f.raw)
				}
			}
			t.Logf("local errors over all flips: %v", counts)
			if counts[messages.AuthenticationFailure] == 0 || counts[messages.FrameError] == 0 {
				t.Errorf("expected both authentication failures and frame errors among flips: %v", counts)
			}
		})
	}
}

// schemeEcho serves, over loopback TCP, a session authenticating with
// sc.alice that answers every request with content of the same size, and
// returns a client authenticating with sc.bob.
func schemeEcho(b *testing.B, sc scheme, size int) *Client {
	l, err := Endpoint{Network: NetworkTCP, Address: "127.0.0.1:0"}.Listen()
	if err != nil {
		b.Fatal(err)
	}
	resp := paddedContent(size)
	go func() {
		s, err := Accept(l, Options{Authenticator: sc.alice})
		l.Close()
		if err != nil {
			return
		}
		defer s.Close()
		for {
			if _, err := s.Recv(); err != nil {
				return
			}
			if err := s.Send(messages.PENphotonResponse, resp); err != nil {
				return
			}
		}
	}()
	ep, _ := ParseEndpoint(l.Addr().String())
	c := NewClient(ep, ClientOptions{Session: Options{Authenticator: sc.bob}})
	if err := c.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkRoundTripSchemes: one request/answer of 1 KiB contents over
// loopback TCP under each scheme per iteration, in an order rotated
// between iterations (two signatures and two verifications per round
// trip), reported per scheme and as a ratio to None measured in the same
// iterations.
func BenchmarkRoundTripSchemes(b *testing.B) {
	schemes := testSchemes(b)
	// Wegman–Carter: stateful pools, so only here (a pair per run).
	dir := b.TempDir()
	if err := wegmancarter.WritePair(filepath.Join(dir, "a"), filepath.Join(dir, "b"), 1<<24, 0); err != nil {
		b.Fatal(err)
	}
	wa, err1 := auth.New(auth.Config{Scheme: auth.SchemeWegmanCarter, KeyFile: filepath.Join(dir, "a")})
	wb, err2 := auth.New(auth.Config{Scheme: auth.SchemeWegmanCarter, KeyFile: filepath.Join(dir, "b")})
	if err := errors.Join(err1, err2); err != nil {
		b.Fatal(err)
	}
	schemes = append(schemes, scheme{auth.SchemeWegmanCarter, wa, wb})
	clients := make([]*Client, len(schemes))
	for i, sc := range schemes {
		clients[i] = schemeEcho(b, sc, 1024)
		defer clients[i].Close()
	}
	req := paddedContent(1024)
	ctx := context.Background()
	spent := make([]time.Duration, len(schemes))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range clients {
			k := (i + j) % len(clients) // each scheme in each position in turn
			c := clients[k]
			t0 := time.Now()
			if _, err := c.Request(ctx, messages.PENphotonRequest, req); err != nil {
				b.Fatalf("%s: %v", schemes[k].name, err)
			}
			spent[k] += time.Since(t0)
		}
	}
	for k, sc := range schemes {
		b.ReportMetric(float64(spent[k].Microseconds())/float64(b.N), sc.name+"-µs/rt")
		if k > 0 {
			b.ReportMetric(float64(spent[k])/float64(spent[0]), sc.name+"/none")
		}
	}
}
