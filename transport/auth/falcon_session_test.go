package auth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/auth"
	"github.com/qosst/qosst-go/transport/auth/falcon"
)

// The Falcon session recorded from qosst-core's QOSSTClient (Bob, signing
// with bob_secret_key) and QOSSTServer (Alice, alice_secret_key).
const falconVectors = "../../testdata/qosst-core-0.10-falcon.json"

type recFrame struct {
	raw  []byte
	hdr  messages.Header
	body []byte
}

type falconRecording struct {
	bob, alice       []recFrame
	bobRaw, aliceRaw []byte
	aliceSK, bobSK   *falcon.PrivateKey
	alicePub, bobPub *falcon.PublicKey
	keyJSON          map[string][]byte // the four key files as qosst writes them
}

func splitStream(t testing.TB, raw []byte) []recFrame {
	t.Helper()
	var out []recFrame
	r := bytes.NewReader(raw)
	dec := messages.NewDecoder(r, messages.Limits{})
	off := 0
	for r.Len() > 0 {
		f, err := dec.ReadFrame()
		if err != nil {
			t.Fatalf("recorded stream, frame %d: %v", len(out), err)
		}
		end := len(raw) - r.Len()
		out = append(out, recFrame{raw: raw[off:end], hdr: f.Header, body: f.Content})
		off = end
	}
	return out
}

func loadFalconRecording(t testing.TB) *falconRecording {
	t.Helper()
	b, err := os.ReadFile(falconVectors)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys      map[string]json.RawMessage `json:"keys"`
		Exchanges []struct {
			Request  string `json:"request"`
			Response string `json:"response"`
		} `json:"exchanges"`
		BobToAlice string `json:"bob_to_alice_hex"`
		AliceToBob string `json:"alice_to_bob_hex"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	rec := &falconRecording{keyJSON: map[string][]byte{}}
	for k, v := range doc.Keys {
		rec.keyJSON[k] = v
	}
	if rec.aliceSK, err = falcon.ParsePrivateKeyJSON(rec.keyJSON["alice_secret_key"]); err != nil {
		t.Fatal(err)
	}
	if rec.bobSK, err = falcon.ParsePrivateKeyJSON(rec.keyJSON["bob_secret_key"]); err != nil {
		t.Fatal(err)
	}
	if rec.alicePub, err = falcon.ParsePublicKeyJSON(rec.keyJSON["alice_public_key"]); err != nil {
		t.Fatal(err)
	}
	if rec.bobPub, err = falcon.ParsePublicKeyJSON(rec.keyJSON["bob_public_key"]); err != nil {
		t.Fatal(err)
	}
	if rec.bobRaw, err = hex.DecodeString(doc.BobToAlice); err != nil {
		t.Fatal(err)
	}
	if rec.aliceRaw, err = hex.DecodeString(doc.AliceToBob); err != nil {
		t.Fatal(err)
	}
	rec.bob, rec.alice = splitStream(t, rec.bobRaw), splitStream(t, rec.aliceRaw)
	if len(rec.bob) != len(doc.Exchanges) || len(rec.alice) != len(doc.Exchanges) || len(doc.Exchanges) < 5 {
		t.Fatalf("%d exchanges, %d bob frames, %d alice frames", len(doc.Exchanges), len(rec.bob), len(rec.alice))
	}
	for i, e := range doc.Exchanges {
		if rec.bob[i].hdr.Code.String() != e.Request || rec.alice[i].hdr.Code.String() != e.Response {
			t.Fatalf("exchange %d: frames %v/%v, exchange %s/%s", i, rec.bob[i].hdr.Code, rec.alice[i].hdr.Code, e.Request, e.Response)
		}
	}
	for i := range rec.bob {
		if len(rec.bob[i].raw) < 4+falcon.SignatureSize || len(rec.alice[i].raw) < 4+falcon.SignatureSize {
			t.Fatalf("exchange %d: frames too short to carry a Falcon signature", i)
		}
	}
	return rec
}

func challengeScript(frames []recFrame) func() string {
	i := 0
	return func() string {
		if i >= len(frames) {
			return "script-exhausted"
		}
		i++
		return frames[i-1].hdr.NextChallenge
	}
}

// verifyOnly checks with a Falcon authenticator and signs as None: for
// replays whose output is discarded, so that each replay costs the
// verifications under test and no signing.
type verifyOnly struct{ messages.Authenticator }

func (verifyOnly) Sign(d []byte) ([]byte, error) { return auth.None().Sign(d) }

// play feeds the peer's recorded stream into a session that plays one side
// with authenticator a: as Alice (asAlice) it receives Bob's frame i and
// answers with Alice's recorded frame i, as Bob it sends Bob's recorded
// frame i then receives Alice's. Its next_challenges are the recorded
// ones of its side. It returns how many peer frames were accepted, equal
// to the recording, and the first error.
func play(rec *falconRecording, asAlice bool, a messages.Authenticator, peerStream []byte, out io.Writer) (int, error) {
	mine, theirs := rec.bob, rec.alice
	if asAlice {
		mine, theirs = rec.alice, rec.bob
	}
	s := transport.NewSession(transport.StreamConn(bytes.NewReader(peerStream), out),
		transport.Options{Authenticator: a, NextChallenge: challengeScript(mine)})
	for i := range theirs {
		if !asAlice {
			if err := s.Send(mine[i].hdr.Code, mine[i].body); err != nil {
				return i, err
			}
		}
		m, err := s.Recv()
		if err != nil {
			return i, err
		}
		if m.Code != theirs[i].hdr.Code || !bytes.Equal(m.Content, theirs[i].body) {
			return i, errors.New("accepted a frame that differs from the recording")
		}
		if asAlice {
			if err := s.Send(mine[i].hdr.Code, mine[i].body); err != nil {
				return i, err
			}
		}
	}
	return len(theirs), nil
}

// writeKeyFiles writes the recording's key files as a lab has them and
// returns their paths.
func writeKeyFiles(t *testing.T, rec *falconRecording) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, b := range rec.keyJSON {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// TestFalconRecordedSession: our stations, configured through auth.New
// with the reference's own key files, accept every frame of both recorded
// streams with the chain checked (each side issues the recorded
// challenges), and what they send carries the recorded headers and
// contents under Falcon signatures that the peer's public key verifies.
func TestFalconRecordedSession(t *testing.T) {
	rec := loadFalconRecording(t)
	p := writeKeyFiles(t, rec)
	alice, err := auth.New(auth.Config{Scheme: auth.SchemeFalcon512, KeyFile: p["alice_secret_key"], PeerPublicKeyFile: p["bob_public_key"]})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := auth.New(auth.Config{Scheme: auth.SchemeFalcon512, KeyFile: p["bob_secret_key"], PeerPublicKeyFile: p["alice_public_key"]})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		asAlice bool
		a       messages.Authenticator
		stream  []byte
		sent    []recFrame
		pub     *falcon.PublicKey
	}{
		{"as Alice", true, alice, rec.bobRaw, rec.alice, rec.alicePub},
		{"as Bob", false, bob, rec.aliceRaw, rec.bob, rec.bobPub},
	} {
		var out bytes.Buffer
		n, err := play(rec, c.asAlice, c.a, c.stream, &out)
		if err != nil || n != len(c.sent) {
			t.Fatalf("%s: %d frames accepted, then %v", c.name, n, err)
		}
		// What we sent: the recorded frames, signed by us.
		dec := messages.NewDecoder(&out, messages.Limits{})
		for i, want := range c.sent {
			f, err := dec.ReadFrame()
			if err != nil {
				t.Fatalf("%s: our frame %d: %v", c.name, i, err)
			}
			if !bytes.Equal(f.HeaderJSON, want.raw[4+falcon.SignatureSize:4+falcon.SignatureSize+len(f.HeaderJSON)]) || !bytes.Equal(f.Content, want.body) {
				t.Fatalf("%s: our frame %d differs from the recording outside its signature", c.name, i)
			}
			d := sha256.Sum256(append(bytes.Clone(f.HeaderJSON), f.Content...))
			if err := c.pub.Verify(d[:], f.Signed); err != nil || len(f.Signed) != falcon.SignatureSize {
				t.Fatalf("%s: our signature on frame %d: %v", c.name, i, err)
			}
		}
	}
}

// TestFalconRecordedSessionChainIsChecked: Bob's recorded stream fails
// at its second frame when our Alice issued another challenge, and at its
// first frame under the wrong public key.
func TestFalconRecordedSessionChainIsChecked(t *testing.T) {
	rec := loadFalconRecording(t)
	a, _ := auth.NewFalcon512(rec.aliceSK, rec.bobPub)
	s := transport.NewSession(transport.StreamConn(bytes.NewReader(rec.bobRaw), io.Discard), transport.Options{Authenticator: a})
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(rec.alice[0].hdr.Code, rec.alice[0].body); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("frame echoing a challenge this side never issued: %v", err)
	}
	wrong, _ := auth.NewFalcon512(rec.aliceSK, rec.alicePub) // trusts Alice's own key for Bob
	if n, err := play(rec, true, wrong, rec.bobRaw, io.Discard); n != 0 || !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("wrong peer key: %d frames accepted, then %v", n, err)
	}
}

// TestFalconRecordedSessionByteFlips flips bytes of every recorded Falcon
// frame in both directions (every byte of the lengths, header and content,
// every 16th byte of the signature, whose every byte the falcon
// package's tests flip; masks 0x01 and 0xff; under the race detector
// every 16th header and content byte and every 128th signature byte): the flipped frame always
// ends in a local error, never in an accepted frame, and the frames before
// it are all accepted.
func TestFalconRecordedSessionByteFlips(t *testing.T) {
	rec := loadFalconRecording(t)
	alice, _ := auth.NewFalcon512(rec.aliceSK, rec.bobPub)
	bob, _ := auth.NewFalcon512(rec.bobSK, rec.alicePub)
	counts := map[messages.ErrorCode]int{}
	for _, sd := range []struct {
		name    string
		asAlice bool
		a       messages.Authenticator
		frames  []recFrame
		raw     []byte
	}{
		{"bob->alice", true, verifyOnly{alice}, rec.bob, rec.bobRaw},
		{"alice->bob", false, verifyOnly{bob}, rec.alice, rec.aliceRaw},
	} {
		off := 0
		for fi, f := range sd.frames {
			sigStride, bodyStride := 16, 1
			if raceEnabled {
				sigStride, bodyStride = 128, 16
			}
			for j := range f.raw {
				if j >= 4 && j < 4+falcon.SignatureSize && (j-4)%sigStride != 0 ||
					j >= 4+falcon.SignatureSize && (j-4-falcon.SignatureSize)%bodyStride != 0 {
					continue
				}
				for _, mask := range []byte{0x01, 0xff} {
					stream := bytes.Clone(sd.raw)
					stream[off+j] ^= mask
					n, err := play(rec, sd.asAlice, sd.a, stream[:off+len(f.raw)], io.Discard)
					code, ok := messages.LocalCode(err)
					if n != fi || !ok {
						t.Fatalf("%s frame %d (%v) byte %d ^%#x: accepted %d frames, then %v", sd.name, fi, f.hdr.Code, j, mask, n, err)
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
}
