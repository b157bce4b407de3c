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

// FuzzSessionRecv feeds arbitrary bytes to a session playing Alice, who
// answers every frame it can (with the reference Alice's challenges, so the
// recorded Bob stream is accepted deep into the conversation), under the
// authenticator that scheme selects (testSchemes, modulo their number:
// None, HMAC-SHA256, Ed25519, ML-DSA-65, Falcon-512; each seeded with the
// conversation recorded under it). Every receive ends in a frame or a
// local error; nothing panics or hangs.
func FuzzSessionRecv(f *testing.F) {
	rec := loadRecording(f)
	schemes := testSchemes(f)
	for k, sc := range schemes {
		if k == 0 {
			continue
		}
		bobRaw, _ := recordScheme(f, rec, sc)
		f.Add(bobRaw, uint8(k))
	}
	f.Add(rec.bobRaw, uint8(0))
	f.Add(rec.aliceRaw, uint8(0))
	f.Add(rec.bob[0].raw, uint8(0))
	if b, err := os.ReadFile(filepath.Join(vectorsDir, "qosst-core-0.10-frames.json")); err == nil {
		var doc struct {
			Frames []struct {
				FrameHex string `json:"frame_hex"`
			} `json:"frames"`
		}
		if json.Unmarshal(b, &doc) == nil {
			for _, fr := range doc.Frames {
				if raw, err := hex.DecodeString(fr.FrameHex); err == nil {
					f.Add(raw, uint8(0))
				}
			}
		}
	}
	f.Add([]byte{0, 0, 0, 0}, uint8(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, scheme uint8) {
		// Alice verifies with the scheme and answers as None (her answers
		// are discarded).
		a := verifyOnly{schemes[int(scheme)%len(schemes)].alice}
		s := NewSession(StreamConn(bytes.NewReader(data), io.Discard),
			Options{Authenticator: a, NextChallenge: challengeScript(rec.alice), Limits: messages.Limits{MaxContent: 1 << 20}})
		defer s.Close()
		for i := 0; i < len(data)+2; i++ {
			m, err := s.Recv()
			if err != nil {
				if _, ok := messages.LocalCode(err); !ok {
					t.Fatalf("receive %d: not a local error: %v", i, err)
				}
				if s.Closed() {
					return
				}
				if errors.Is(err, messages.ErrAuthentication) && m.Content != nil {
					t.Fatalf("content handed up from an unauthenticated frame")
				}
			} else {
				if !m.Code.Known() {
					t.Fatalf("accepted unknown code %d", m.Code)
				}
				if c, err := m.Decode(); err == nil && c != nil && c.Code() != m.Code {
					t.Fatalf("content of %v decoded as %v", m.Code, c.Code())
				}
			}
			if err := s.Send(messages.UnkownCommand, []byte(`{"code": 0}`)); err != nil {
				t.Fatalf("answer: %v", err)
			}
		}
		t.Fatalf("more receives than input bytes")
	})
}
