package messages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The reference vectors: copies in testdata/ at the module root of the
// project's shared vectors (see testdata/README.md).
const vectorsDir = "../testdata"

type vectorFrame struct {
	Name          string          `json:"name"`
	Code          int             `json:"code"`
	Challenge     string          `json:"challenge"`
	NextChallenge string          `json:"next_challenge"`
	Header        json.RawMessage `json:"header"`
	Content       json.RawMessage `json:"content"`
	FrameHex      string          `json:"frame_hex"`
	raw           []byte
}

func loadVectors(tb testing.TB) []vectorFrame {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, "qosst-core-0.10-frames.json"))
	if err != nil {
		tb.Fatalf("reference vectors: %v", err)
	}
	var doc struct {
		Frames []vectorFrame `json:"frames"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	if len(doc.Frames) < 60 {
		tb.Fatalf("only %d vector frames", len(doc.Frames))
	}
	for i := range doc.Frames {
		raw, err := hex.DecodeString(doc.Frames[i].FrameHex)
		if err != nil {
			tb.Fatal(err)
		}
		doc.Frames[i].raw = raw
	}
	return doc.Frames
}

// identityAuth is the reference NoneAuthenticator: the signed digest is the digest.
type identityAuth struct{}

func (identityAuth) Name() string                  { return "none" }
func (identityAuth) Sign(d []byte) ([]byte, error) { return append([]byte(nil), d...), nil }
func (identityAuth) Verify(d, s []byte) error {
	if !bytes.Equal(d, s) {
		return ErrAuthentication
	}
	return nil
}

func TestVectorFramesDecode(t *testing.T) {
	for _, v := range loadVectors(t) {
		d := NewDecoder(bytes.NewReader(v.raw), Limits{})
		f, err := d.ReadFrame()
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if f.Header.Code != Code(v.Code) || f.Header.Code.String() != v.Name {
			t.Errorf("%s: code %v", v.Name, f.Header.Code)
		}
		if f.Header.Challenge != v.Challenge || f.Header.NextChallenge != v.NextChallenge {
			t.Errorf("%s: challenges %q %q", v.Name, f.Header.Challenge, f.Header.NextChallenge)
		}
		if f.Header.ContentLength != len(f.Content) {
			t.Errorf("%s: content_length %d, content %d bytes", v.Name, f.Header.ContentLength, len(f.Content))
		}
		dg := f.Digest()
		if want := sha256.Sum256(append(append([]byte(nil), f.HeaderJSON...), f.Content...)); dg != want {
			t.Errorf("%s: digest", v.Name)
		}
		if err := (identityAuth{}).Verify(dg[:], f.Signed); err != nil {
			t.Errorf("%s: signed digest does not verify", v.Name)
		}
		// Our encoder writes the very same bytes from the same header and content.
		h := f.Header
		out, err := AppendFrame(nil, h, f.Content, identityAuth{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, v.raw) {
			t.Errorf("%s: re-encoded frame differs\n got %x\nwant %x", v.Name, out, v.raw)
		}
		if _, err := d.ReadFrame(); err == nil {
			t.Errorf("%s: read past the end", v.Name)
		}
	}
}

// Every vector's content decodes to its code's typed content, and writing
// that content back gives JSON equal to the reference's (the same keys and
// values once parsed; the bytes differ in separators and number forms:
// encoding/json writes 3 and 2e-7 where Python writes 3.0 and 2e-07).
// TestEncoderAcceptedByReferenceReceiveOrder shows the reference's receive
// order accepts what we write.
func TestVectorContents(t *testing.T) {
	for _, v := range loadVectors(t) {
		f, err := NewDecoder(bytes.NewReader(v.raw), Limits{}).ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		c, err := DecodeContent(f.Header.Code, f.Content)
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		if (c == nil) != (len(f.Content) == 0) && HasContent(f.Header.Code) {
			t.Errorf("%s: content %v from %q", v.Name, c, f.Content)
		}
		if c == nil {
			continue
		}
		if c.Code() != f.Header.Code {
			t.Errorf("%s: content type of %v", v.Name, c.Code())
		}
		out, err := EncodeContent(c)
		if err != nil {
			t.Errorf("%s: encode: %v", v.Name, err)
			continue
		}
		var ref, ours any
		if err := json.Unmarshal(f.Content, &ref); err != nil {
			t.Fatalf("%s: reference content: %v", v.Name, err)
		}
		if err := json.Unmarshal(out, &ours); err != nil {
			t.Fatalf("%s: our content %s: %v", v.Name, out, err)
		}
		// PE symbols are read as float32 (PESymbolsResponseContent): the
		// same numbers within float32 rounding; everything else exactly.
		tol := 0.0
		if c.Code() == PESymbolsResponse {
			tol = 0x1p-24
		}
		if !sameJSON(ref, ours, tol) {
			t.Errorf("%s: re-encoded content means something else\n got %s\nwant %s", v.Name, out, f.Content)
		}
		// Decoding what we wrote gives the same content again.
		c2, err := DecodeContent(c.Code(), out)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Errorf("%s: decode of our bytes: %#v, %v", v.Name, c2, err)
		}
	}
}

// sameJSON compares two values decoded by encoding/json; numbers may differ
// by rel of their magnitude.
func sameJSON(a, b any, rel float64) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Abs(x-y) <= rel*math.Abs(x)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i], rel) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !sameJSON(v, y[k], rel) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

type sessionVectors struct {
	Exchanges []struct {
		Request         string          `json:"request"`
		RequestContent  json.RawMessage `json:"request_content"`
		Response        string          `json:"response"`
		ResponseContent json.RawMessage `json:"response_content"`
	} `json:"exchanges"`
	BobToAlice string `json:"bob_to_alice_hex"`
	AliceToBob string `json:"alice_to_bob_hex"`
}

func loadSession(tb testing.TB) (s sessionVectors, bob, alice []byte) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, "qosst-core-0.10-session.json"))
	if err != nil {
		tb.Fatalf("reference session: %v", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		tb.Fatal(err)
	}
	if bob, err = hex.DecodeString(s.BobToAlice); err != nil {
		tb.Fatal(err)
	}
	if alice, err = hex.DecodeString(s.AliceToBob); err != nil {
		tb.Fatal(err)
	}
	return s, bob, alice
}

// The reference conversation decodes frame by frame: codes and contents as
// listed, digests verify, and each side echoes the other's last
// next_challenge (IDENTIFICATION_REQUEST starts the chain).
func TestVectorSession(t *testing.T) {
	s, bob, alice := loadSession(t)
	bd := NewDecoder(bytes.NewReader(bob), Limits{})
	ad := NewDecoder(bytes.NewReader(alice), Limits{})
	lastFromAlice := ""
	for i, ex := range s.Exchanges {
		req, err := bd.ReadFrame()
		if err != nil {
			t.Fatalf("exchange %d request: %v", i, err)
		}
		resp, err := ad.ReadFrame()
		if err != nil {
			t.Fatalf("exchange %d response: %v", i, err)
		}
		for _, p := range []struct {
			f       *Frame
			name    string
			content json.RawMessage
		}{{req, ex.Request, ex.RequestContent}, {resp, ex.Response, ex.ResponseContent}} {
			if p.f.Header.Code.String() != p.name {
				t.Fatalf("exchange %d: %v, listed %s", i, p.f.Header.Code, p.name)
			}
			d := p.f.Digest()
			if (identityAuth{}).Verify(d[:], p.f.Signed) != nil {
				t.Fatalf("exchange %d %s: digest", i, p.name)
			}
			c, err := DecodeContent(p.f.Header.Code, p.f.Content)
			if err != nil {
				t.Fatalf("exchange %d %s: %v", i, p.name, err)
			}
			var got, want any
			if len(p.f.Content) > 0 {
				_ = json.Unmarshal(p.f.Content, &got)
			}
			if len(p.content) > 0 && string(p.content) != "null" {
				_ = json.Unmarshal(p.content, &want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("exchange %d %s: content %s, listed %s", i, p.name, p.f.Content, p.content)
			}
			if c != nil {
				if _, err := EncodeContent(c); err != nil {
					t.Fatalf("exchange %d %s: %v", i, p.name, err)
				}
			}
		}
		if req.Header.Code != IdentificationRequest && req.Header.Challenge != lastFromAlice {
			t.Fatalf("exchange %d: Bob echoes %q, Alice issued %q", i, req.Header.Challenge, lastFromAlice)
		}
		if resp.Header.Challenge != req.Header.NextChallenge {
			t.Fatalf("exchange %d: Alice echoes %q, Bob issued %q", i, resp.Header.Challenge, req.Header.NextChallenge)
		}
		lastFromAlice = resp.Header.NextChallenge
	}
	for _, d := range []*Decoder{bd, ad} {
		if _, err := d.ReadFrame(); !errors.Is(err, io.EOF) {
			t.Fatalf("frames beyond the exchanges: %v", err)
		}
	}
}

// TestVectorCopiesMatchShared: the copies in testdata/ are byte-identical to
// the project's shared reference vectors, when those sit beside the
// repository (as in CI); a plain clone has only the copies.
func TestVectorCopiesMatchShared(t *testing.T) {
	shared := filepath.Join("..", "..", "shared", "vectors")
	for _, name := range []string{"qosst-core-0.10-frames.json", "qosst-core-0.10-session.json"} {
		ours, err := os.ReadFile(filepath.Join(vectorsDir, name))
		if err != nil {
			t.Fatalf("copy of %s: %v", name, err)
		}
		theirs, err := os.ReadFile(filepath.Join(shared, name))
		if errors.Is(err, fs.ErrNotExist) {
			t.Logf("%s: no shared vectors beside the repository; the copy is used as is", name)
			continue
		}
		if err != nil {
			t.Fatalf("shared %s: %v", name, err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("testdata/%s differs from the shared reference vectors: copy them again", name)
		}
	}
}
