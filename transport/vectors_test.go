package transport

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/messages"
)

// The reference vectors: copies in testdata/ at the module root of the
// project's shared vectors (see testdata/README.md).
const vectorsDir = "../testdata"

// recFrame is one frame of a recorded stream, split with the codec.
type recFrame struct {
	raw    []byte
	header messages.Header
	code   messages.Code
	body   []byte // content JSON as recorded
}

type recording struct {
	bob, alice       []recFrame // bob→alice and alice→bob frames, in order
	bobRaw, aliceRaw []byte
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
		out = append(out, recFrame{raw: raw[off:end], header: f.Header, code: f.Header.Code, body: f.Content})
		off = end
	}
	return out
}

func loadRecording(t testing.TB) recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, "qosst-core-0.10-session.json"))
	if err != nil {
		t.Fatalf("reference vectors: %v", err)
	}
	var doc struct {
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
	var rec recording
	if rec.bobRaw, err = hex.DecodeString(doc.BobToAlice); err != nil {
		t.Fatal(err)
	}
	if rec.aliceRaw, err = hex.DecodeString(doc.AliceToBob); err != nil {
		t.Fatal(err)
	}
	rec.bob, rec.alice = splitStream(t, rec.bobRaw), splitStream(t, rec.aliceRaw)
	if len(rec.bob) != len(doc.Exchanges) || len(rec.alice) != len(doc.Exchanges) || len(doc.Exchanges) < 10 {
		t.Fatalf("%d exchanges, %d bob frames, %d alice frames", len(doc.Exchanges), len(rec.bob), len(rec.alice))
	}
	for i, e := range doc.Exchanges {
		if rec.bob[i].code.String() != e.Request || rec.alice[i].code.String() != e.Response {
			t.Fatalf("exchange %d: frames %v/%v, exchange %s/%s", i, rec.bob[i].code, rec.alice[i].code, e.Request, e.Response)
		}
	}
	return rec
}

// challengeScript replays the next_challenges of recorded frames.
func challengeScript(frames []recFrame) func() string {
	i := 0
	return func() string {
		if i >= len(frames) {
			return "script-exhausted"
		}
		i++
		return frames[i-1].header.NextChallenge
	}
}

// playAlice feeds Bob's recorded stream into a session playing Alice, who
// answers with the recorded responses and challenges. It returns the number
// of Bob frames accepted and the first receive error.
func playAlice(rec recording, bobStream []byte, out io.Writer) (int, error) {
	s := NewSession(StreamConn(bytes.NewReader(bobStream), out), Options{NextChallenge: challengeScript(rec.alice)})
	for i := range rec.bob {
		m, err := s.Recv()
		if err != nil {
			return i, err
		}
		if m.Code != rec.bob[i].code || !bytes.Equal(m.Content, rec.bob[i].body) {
			return i, errors.New("accepted a frame that differs from the recording")
		}
		if err := s.Send(rec.alice[i].code, rec.alice[i].body); err != nil {
			return i, err
		}
	}
	return len(rec.bob), nil
}

// playBob feeds Alice's recorded stream into a session playing Bob, who
// sends the recorded requests with the recorded challenges first.
func playBob(rec recording, aliceStream []byte, out io.Writer) (int, error) {
	s := NewSession(StreamConn(bytes.NewReader(aliceStream), out), Options{NextChallenge: challengeScript(rec.bob)})
	for i := range rec.alice {
		if err := s.Send(rec.bob[i].code, rec.bob[i].body); err != nil {
			return i, err
		}
		m, err := s.Recv()
		if err != nil {
			return i, err
		}
		if m.Code != rec.alice[i].code || !bytes.Equal(m.Content, rec.alice[i].body) {
			return i, errors.New("accepted a frame that differs from the recording")
		}
	}
	return len(rec.alice), nil
}

// TestRecordedConversation plays each side of the reference conversation:
// every frame is accepted with the chain checked (each side's expected
// challenges are the ones its own recorded frames issued), and what our
// session sends is byte for byte what the reference peer sent.
func TestRecordedConversation(t *testing.T) {
	rec := loadRecording(t)
	var aliceOut, bobOut bytes.Buffer
	if n, err := playAlice(rec, rec.bobRaw, &aliceOut); err != nil || n != len(rec.bob) {
		t.Fatalf("as Alice: %d frames accepted, then %v", n, err)
	}
	if !bytes.Equal(aliceOut.Bytes(), rec.aliceRaw) {
		t.Errorf("as Alice, the bytes sent differ from the reference Alice's stream")
	}
	if n, err := playBob(rec, rec.aliceRaw, &bobOut); err != nil || n != len(rec.alice) {
		t.Fatalf("as Bob: %d frames accepted, then %v", n, err)
	}
	if !bytes.Equal(bobOut.Bytes(), rec.bobRaw) {
		t.Errorf("as Bob, the bytes sent differ from the reference Bob's stream")
	}
}

// TestRecordedConversationChainIsChecked: the same streams fail when this
// side issues different challenges than the recorded ones.
func TestRecordedConversationChainIsChecked(t *testing.T) {
	rec := loadRecording(t)
	s := NewSession(StreamConn(bytes.NewReader(rec.bobRaw), io.Discard), Options{})
	if _, err := s.Recv(); err != nil { // IDENTIFICATION_REQUEST: not checked
		t.Fatal(err)
	}
	if err := s.Send(rec.alice[0].code, rec.alice[0].body); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("frame echoing a challenge this side never issued: %v", err)
	}
}

// TestRecordedConversationByteFlips flips every byte of every recorded
// frame, three ways, in both directions: the flipped frame always ends in a
// local error, never in an accepted frame, and the frames before it are
// all accepted.
func TestRecordedConversationByteFlips(t *testing.T) {
	rec := loadRecording(t)
	type side struct {
		name   string
		frames []recFrame
		raw    []byte
		play   func(recording, []byte, io.Writer) (int, error)
	}
	counts := map[messages.ErrorCode]int{}
	for _, sd := range []side{
		{"bob->alice", rec.bob, rec.bobRaw, playAlice},
		{"alice->bob", rec.alice, rec.aliceRaw, playBob},
	} {
		off := 0
		for fi, f := range sd.frames {
			for j := range f.raw {
				for _, mask := range []byte{0x01, 0x20, 0xff} {
					stream := bytes.Clone(sd.raw)
					stream[off+j] ^= mask
					n, err := sd.play(rec, stream, io.Discard)
					code, ok := messages.LocalCode(err)
					if n != fi || !ok {
						t.Fatalf("%s frame %d (%v) byte %d ^%#x: accepted %d frames, then %v", sd.name, fi, f.code, j, mask, n, err)
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
