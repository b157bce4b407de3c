package alice

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/messages"
)

// referenceSession is testdata/qosst-core-0.10-session.json (the reference vectors): a
// conversation between the reference client (qosst-bob's QOSSTClient) and
// server (qosst-alice's QOSSTServer), with Bob's raw byte stream.
type referenceSession struct {
	Exchanges []struct {
		Request  string `json:"request"`
		Response string `json:"response"`
	} `json:"exchanges"`
	BobToAlice string `json:"bob_to_alice_hex"`
}

// The reference client's requests, with their content bytes exactly as
// Python wrote them, are sent to our Alice in order: she answers each with
// the code the reference server answered, except where this implementation
// is deliberately stricter (documented below).
func TestReferenceClientConversation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "qosst-core-0.10-session.json"))
	if err != nil {
		t.Fatalf("reference vectors: %v", err)
	}
	var ref referenceSession
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	stream, err := hex.DecodeString(ref.BobToAlice)
	if err != nil {
		t.Fatal(err)
	}
	dec := messages.NewDecoder(bytes.NewReader(stream), messages.Limits{})
	var frames []*messages.Frame
	for {
		f, err := dec.ReadFrame()
		if errors.Is(err, messages.ErrDisconnected) {
			break
		}
		if err != nil {
			t.Fatalf("reference stream: %v", err)
		}
		frames = append(frames, f)
	}
	if len(frames) != len(ref.Exchanges) {
		t.Fatalf("%d frames in Bob's stream, %d exchanges", len(frames), len(ref.Exchanges))
	}
	// The reference frame has 5 symbols; the reference server's emitter
	// measured <n> = 1.54, which Bob echoes in PE_FINISHED; Alice sizes the
	// key with her own measurement.
	h := newHarness(t, "pipe", func(s *setup) {
		s.cfg.Frame.Quantum.NumSymbols = 5
		s.photonScale = 1.54 / (s.cfg.Frame.Quantum.ModulationVariance / 2)
	})
	b := h.bob()
	// Our table admits CHANGE_PARAMETER_REQUEST in identified and
	// initialized only; the reference server changed roll_off in the
	// middle of parameter estimation.
	stricter := map[string]string{"CHANGE_PARAMETER_REQUEST": "UNEXPECTED_COMMAND"}
	for i, f := range frames {
		ex := ref.Exchanges[i]
		if f.Header.Code.String() != ex.Request {
			t.Fatalf("frame %d is %s, exchange says %s", i, f.Header.Code, ex.Request)
		}
		want := ex.Response
		if w, ok := stricter[ex.Request]; ok {
			want = w
		}
		got, c := b.raw(f.Header.Code, f.Content)
		if got.String() != want {
			t.Fatalf("%s %s: Alice answered %s (%s), the reference %s", ex.Request, f.Content, got, describe(c), ex.Response)
		}
	}
}
