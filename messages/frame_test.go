package messages

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"pgregory.net/rapid"
)

// refReceiver follows the reference receiver of PROTOCOL-NOTES step by step,
// with nothing but encoding/json and byte reads: header JSON with its four
// keys (else FRAME_ERROR), content JSON (FRAME_ERROR), QOSST code
// (UNKOWN_CODE), digest (AUTHENTICATION_FAILURE), challenge
// (AUTHENTICATION_FAILURE, not checked for IDENTIFICATION_REQUEST), then it
// stores next_challenge.
type refReceiver struct {
	r        io.Reader
	expected string // the next_challenge this side issued last
}

type refResult struct {
	code    int
	header  map[string]any
	content any // nil when absent
}

func (rr *refReceiver) recv() (refResult, ErrorCode) {
	var fixed [4]byte
	if _, err := io.ReadFull(rr.r, fixed[:]); err != nil {
		return refResult{}, SocketDisconnection
	}
	hl := int(binary.BigEndian.Uint16(fixed[:2]))
	dl := int(binary.BigEndian.Uint16(fixed[2:]))
	signed := make([]byte, dl)
	header := make([]byte, hl)
	if _, err := io.ReadFull(rr.r, signed); err != nil {
		return refResult{}, SocketDisconnection
	}
	if _, err := io.ReadFull(rr.r, header); err != nil {
		return refResult{}, SocketDisconnection
	}
	var h map[string]any
	if json.Unmarshal(header, &h) != nil {
		return refResult{}, FrameError
	}
	for _, k := range []string{"code", "content_length", "challenge", "next_challenge"} {
		if _, ok := h[k]; !ok {
			return refResult{}, FrameError
		}
	}
	cl, ok := h["content_length"].(float64)
	if !ok {
		return refResult{}, FrameError
	}
	content := make([]byte, int(cl))
	if _, err := io.ReadFull(rr.r, content); err != nil {
		return refResult{}, SocketDisconnection
	}
	var c any
	if len(content) > 0 && json.Unmarshal(content, &c) != nil {
		return refResult{}, FrameError
	}
	code, ok := h["code"].(float64)
	if !ok || !Code(int(code)).Known() {
		return refResult{}, UnknownCode
	}
	digest := sha256.Sum256(append(append([]byte(nil), header...), content...))
	if !bytes.Equal(digest[:], signed) {
		return refResult{}, AuthenticationFailure
	}
	if Code(int(code)) != IdentificationRequest && h["challenge"] != rr.expected {
		return refResult{}, AuthenticationFailure
	}
	next, _ := h["next_challenge"].(string)
	rr.expected = next
	return refResult{code: int(code), header: h, content: c}, 0
}

// Frames our encoder writes, with contents of every code, are accepted by
// the reference receive order, carry what we put in, and keep the chain.
func TestEncoderAcceptedByReferenceReceiveOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var stream bytes.Buffer
		type sent struct {
			code    Code
			content []byte
		}
		var frames []sent
		var peerChallenges []string
		n := rapid.IntRange(1, 12).Draw(t, "frames")
		for i := 0; i < n; i++ {
			code := rapid.SampledFrom(AllCodes()).Draw(t, "code")
			var content []byte
			if HasContent(code) {
				c := genContent(code).Draw(t, "content")
				var err error
				if content, err = EncodeContent(c); err != nil {
					t.Fatal(err)
				}
			}
			peer := NewChallenge() // what the receiver issued in its last reply
			peerChallenges = append(peerChallenges, peer)
			h := Header{Code: code, Challenge: peer, NextChallenge: NewChallenge()}
			b, err := AppendFrame(stream.Bytes(), h, content, identityAuth{})
			if err != nil {
				t.Fatal(err)
			}
			stream.Reset()
			stream.Write(b)
			frames = append(frames, sent{code, content})
		}
		rr := &refReceiver{r: &stream}
		for i, f := range frames {
			rr.expected = peerChallenges[i]
			res, ec := rr.recv()
			if ec != 0 {
				t.Fatalf("frame %d (%v): reference receiver says %v", i, f.code, ec)
			}
			if res.code != int(f.code) || int(res.header["content_length"].(float64)) != len(f.content) {
				t.Fatalf("frame %d: header %v", i, res.header)
			}
			if nc := res.header["next_challenge"].(string); nc != rr.expected || len(nc) != ChallengeLength {
				t.Fatalf("frame %d: chain not stored: %q", i, nc)
			}
			var want any
			if len(f.content) > 0 {
				if err := json.Unmarshal(f.content, &want); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(res.content, want) {
				t.Fatalf("frame %d: content %v, sent %s", i, res.content, f.content)
			}
		}
		if _, ec := rr.recv(); ec != SocketDisconnection {
			t.Fatalf("after the last frame: %v", ec)
		}
	})
}

// The test-side receiver is not a rubber stamp: it refuses a tampered frame,
// a wrong challenge and an unknown code.
func TestReferenceReceiverRefuses(t *testing.T) {
	frame := func(code Code, ch string) []byte {
		b, err := AppendFrame(nil, Header{Code: code, Challenge: ch, NextChallenge: NewChallenge()}, []byte(`{"a": 1}`), identityAuth{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := frame(Abort, "x")
	b[len(b)-2] = '2'
	if _, ec := (&refReceiver{r: bytes.NewReader(b), expected: "x"}).recv(); ec != AuthenticationFailure {
		t.Errorf("tampered: %v", ec)
	}
	if _, ec := (&refReceiver{r: bytes.NewReader(frame(Abort, "x")), expected: "y"}).recv(); ec != AuthenticationFailure {
		t.Errorf("wrong challenge: %v", ec)
	}
	if _, ec := (&refReceiver{r: bytes.NewReader(frame(IdentificationRequest, "x")), expected: "y"}).recv(); ec != 0 {
		t.Errorf("IDENTIFICATION_REQUEST restarts the chain: %v", ec)
	}
	if _, ec := (&refReceiver{r: bytes.NewReader(frame(Code(999), "x")), expected: "x"}).recv(); ec != UnknownCode {
		t.Errorf("unknown code: %v", ec)
	}
}

// Flipping any single byte of any reference frame never yields a frame
// whose signed digest still verifies with the same header and content.
func TestSingleByteFlipsNeverAccepted(t *testing.T) {
	for _, v := range loadVectors(t) {
		orig, err := NewDecoder(bytes.NewReader(v.raw), Limits{}).ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		for i := range v.raw {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				b := append([]byte(nil), v.raw...)
				b[i] ^= mask
				f, err := NewDecoder(bytes.NewReader(b), Limits{}).ReadFrame()
				if err != nil {
					if !errors.Is(err, ErrFrame) && !errors.Is(err, ErrDisconnected) {
						t.Fatalf("%s byte %d: error wraps no sentinel: %v", v.Name, i, err)
					}
					continue
				}
				d := f.Digest()
				if (identityAuth{}).Verify(d[:], f.Signed) == nil &&
					bytes.Equal(f.HeaderJSON, orig.HeaderJSON) && bytes.Equal(f.Content, orig.Content) {
					t.Fatalf("%s byte %d ^ %#x: accepted", v.Name, i, mask)
				}
				if (identityAuth{}).Verify(d[:], f.Signed) == nil {
					t.Fatalf("%s byte %d ^ %#x: a different frame verifies", v.Name, i, mask)
				}
			}
		}
	}
}

func encodeTestFrame(t testing.TB, code Code, content string) []byte {
	t.Helper()
	b, err := AppendFrame(nil, Header{Code: code, Challenge: "abc", NextChallenge: NewChallenge()}, []byte(content), identityAuth{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawFrame builds a frame from its parts without any checks.
func rawFrame(header string, signed []byte, content string) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(len(header)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(signed)))
	b = append(b, signed...)
	b = append(b, header...)
	return append(b, content...)
}

func TestDecoderErrors(t *testing.T) {
	good := encodeTestFrame(t, Abort, `{"abort_message": "x"}`)
	sig := make([]byte, 32)
	cases := []struct {
		name  string
		input []byte
		lim   Limits
		want  error
		cause error
	}{
		{"empty stream", nil, Limits{}, ErrDisconnected, io.EOF},
		{"cut in the fixed part", good[:3], Limits{}, ErrDisconnected, io.ErrUnexpectedEOF},
		{"cut in the header", good[:40], Limits{}, ErrDisconnected, io.ErrUnexpectedEOF},
		{"cut in the content", good[:len(good)-1], Limits{}, ErrDisconnected, io.ErrUnexpectedEOF},
		{"empty header", rawFrame("", sig, ""), Limits{}, ErrFrame, nil},
		{"header not JSON", rawFrame("{code", sig, ""), Limits{}, ErrFrame, nil},
		{"header an array", rawFrame("[1]", sig, ""), Limits{}, ErrFrame, nil},
		{"header missing next_challenge", rawFrame(`{"code": 15, "content_length": 0, "challenge": ""}`, sig, ""), Limits{}, ErrFrame, nil},
		{"code a string", rawFrame(`{"code": "15", "content_length": 0, "challenge": "", "next_challenge": ""}`, sig, ""), Limits{}, ErrFrame, nil},
		{"code fractional", rawFrame(`{"code": 15.5, "content_length": 0, "challenge": "", "next_challenge": ""}`, sig, ""), Limits{}, ErrFrame, nil},
		{"negative content_length", rawFrame(`{"code": 15, "content_length": -1, "challenge": "", "next_challenge": ""}`, sig, ""), Limits{}, ErrFrame, nil},
		{"huge content_length", rawFrame(`{"code": 15, "content_length": 1e30, "challenge": "", "next_challenge": ""}`, sig, ""), Limits{}, ErrFrame, nil},
		{"challenge a number", rawFrame(`{"code": 15, "content_length": 0, "challenge": 1, "next_challenge": ""}`, sig, ""), Limits{}, ErrFrame, nil},
		{"content over the limit", good, Limits{MaxContent: 5}, ErrFrame, nil},
		{"signed digest over the limit", rawFrame(`{"code": 15, "content_length": 0, "challenge": "", "next_challenge": ""}`, make([]byte, 65), ""), Limits{MaxSigned: 64}, ErrFrame, nil},
	}
	for _, c := range cases {
		_, err := NewDecoder(bytes.NewReader(c.input), c.lim).ReadFrame()
		if !errors.Is(err, c.want) || (c.cause != nil && !errors.Is(err, c.cause)) {
			t.Errorf("%s: %v, want %v (%v)", c.name, err, c.want, c.cause)
		}
		if c.want == ErrFrame && errors.Is(err, ErrDisconnected) {
			t.Errorf("%s: both sentinels", c.name)
		}
	}
	// A failing reader's error stays reachable.
	boom := errors.New("boom")
	_, err := NewDecoder(iotest.ErrReader(boom), Limits{}).ReadFrame()
	if !errors.Is(err, ErrDisconnected) || !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
}

func TestDecoderAcceptsHeaderVariants(t *testing.T) {
	sig := make([]byte, 32)
	for _, hdr := range []string{
		`{"next_challenge": "b", "challenge": "a", "content_length": 0, "code": 15}`,
		`{"code":15,"content_length":0,"challenge":"a","next_challenge":"b","extra":[1,{}]}`,
		"{\n \"code\": 15.0,\n \"content_length\": 0e0,\n \"challenge\": \"\\u0061\",\n \"next_challenge\": \"b\"\n}",
		`{"code": 15, "content_length": 0, "challenge": "a", "next_challenge": "b"}`,
	} {
		f, err := NewDecoder(bytes.NewReader(rawFrame(hdr, sig, "")), Limits{}).ReadFrame()
		if err != nil {
			t.Errorf("%s: %v", hdr, err)
			continue
		}
		if want := (Header{Code: Abort, Challenge: "a", NextChallenge: "b"}); f.Header != want {
			t.Errorf("%s: %+v", hdr, f.Header)
		}
		if f.Content != nil {
			t.Errorf("%s: content %q for content_length 0", hdr, f.Content)
		}
	}
}

// The fast header reader and the encoding/json one agree on headers in the
// shape we write, whatever the code, length and challenges.
func TestHeaderFastPathAgrees(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := Header{
			Code:          Code(rapid.Int32().Draw(t, "code")),
			ContentLength: rapid.IntRange(0, math.MaxInt).Draw(t, "cl"),
			Challenge:     genText().Draw(t, "ch"),
			NextChallenge: genText().Draw(t, "next"),
		}
		b := h.AppendJSON(nil)
		got, err := parseHeader(b)
		if err != nil || got != h {
			t.Fatalf("%s: %+v %v", b, got, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["challenge"] != h.Challenge || m["next_challenge"] != h.NextChallenge {
			t.Fatalf("%s is not the JSON of %+v: %v", b, h, err)
		}
		if fast, ok := parsePyHeader(b); ok && fast != h {
			t.Fatalf("fast path %+v", fast)
		}
	})
}

// A peer that claims a huge content and sends little makes the decoder
// allocate about what arrived, not what was claimed.
func TestDecoderDoesNotAllocateClaims(t *testing.T) {
	hdr := `{"code": 161, "content_length": 134217000, "challenge": "", "next_challenge": ""}`
	input := rawFrame(hdr, make([]byte, 32), strings.Repeat("x", 1000))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := NewDecoder(bytes.NewReader(input), Limits{}).ReadFrame()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("cut frame: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Fatalf("allocated %d bytes for a claim of 128 MB with 1 kB sent", alloc)
	}
}

// Byte-at-a-time and half-filled reads give the same frames.
func TestDecoderShortReads(t *testing.T) {
	var stream []byte
	for _, v := range loadVectors(t) {
		stream = append(stream, v.raw...)
	}
	big := make([]byte, 0, 300<<10)
	big = append(big, `{"indices": [`...)
	for i := 0; i < 40000; i++ {
		big = fmt.Appendf(big, "%d, ", i)
	}
	big = append(big, `0]}`...)
	stream = append(stream, encodeTestFrame(t, PESymbolsRequest, string(big))...)
	want := readAll(t, bytes.NewReader(stream))
	for name, r := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":     iotest.HalfReader(bytes.NewReader(stream)),
		"data+err": iotest.DataErrReader(bytes.NewReader(stream)),
	} {
		got := readAll(t, r)
		if len(got) != len(want) {
			t.Fatalf("%s: %d frames, want %d", name, len(got), len(want))
		}
		for i := range got {
			if got[i].Header != want[i].Header || !bytes.Equal(got[i].Content, want[i].Content) || got[i].Digest() != want[i].Digest() {
				t.Fatalf("%s: frame %d differs", name, i)
			}
		}
	}
	if n := len(loadVectors(t)) + 1; len(want) != n || len(want[n-1].Content) != len(big) {
		t.Fatalf("%d frames", len(want))
	}
}

func readAll(t *testing.T, r io.Reader) []*Frame {
	t.Helper()
	d := NewDecoder(r, Limits{})
	var out []*Frame
	for {
		f, err := d.ReadFrame()
		if err != nil {
			if !errors.Is(err, ErrDisconnected) || !errors.Is(err, io.EOF) {
				t.Fatalf("after %d frames: %v", len(out), err)
			}
			return out
		}
		out = append(out, f)
	}
}

func TestEncoderLimits(t *testing.T) {
	long := strings.Repeat("x", maxHeaderLength)
	dst := []byte("keep")
	out, err := AppendFrame(dst, Header{Code: Abort, Challenge: long}, nil, identityAuth{})
	if !errors.Is(err, ErrFrame) || string(out) != "keep" {
		t.Errorf("oversized header: %v, %q", err, out)
	}
	if _, err := AppendFrame(nil, Header{Code: Abort}, nil, nil); !errors.Is(err, ErrFrame) {
		t.Errorf("no authenticator: %v", err)
	}
	boom := errors.New("hsm offline")
	if _, err := AppendFrame(nil, Header{Code: Abort}, nil, failingAuth{boom}); !errors.Is(err, boom) {
		t.Errorf("sign error: %v", err)
	}
	// The prefix plus the content is the whole frame.
	content := []byte(`{"abort_message": "x"}`)
	h := Header{Code: Abort, Challenge: "a", NextChallenge: "b"}
	whole, _ := AppendFrame(nil, h, content, identityAuth{})
	prefix, _ := AppendFramePrefix(nil, h, content, identityAuth{})
	if !bytes.Equal(whole, append(prefix, content...)) {
		t.Error("prefix + content differs from the frame")
	}
}

type failingAuth struct{ err error }

func (failingAuth) Name() string                  { return "failing" }
func (a failingAuth) Sign([]byte) ([]byte, error) { return nil, a.err }
func (a failingAuth) Verify(_, _ []byte) error    { return ErrAuthentication }

func TestNewChallenge(t *testing.T) {
	const draws = 4000
	counts := map[rune]int{}
	seen := map[string]bool{}
	for i := 0; i < draws; i++ {
		c := NewChallenge()
		if len(c) != ChallengeLength || seen[c] {
			t.Fatalf("challenge %q (repeat: %v)", c, seen[c])
		}
		seen[c] = true
		for _, r := range c {
			if !strings.ContainsRune(challengeAlphabet, r) {
				t.Fatalf("character %q", r)
			}
			counts[r]++
		}
	}
	// Chi-square over the 62 characters (61 degrees of freedom); 140 is far
	// in the tail (p < 1e-7) for a uniform draw, while a modulo bias of the
	// naive byte%62 (chars 0-7 at 5/256 instead of 4/256) exceeds it.
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters", len(counts))
	}
	exp := float64(draws*ChallengeLength) / 62
	chi := 0.0
	for _, n := range counts {
		chi += (float64(n) - exp) * (float64(n) - exp) / exp
	}
	if chi > 140 {
		t.Fatalf("chi-square %.1f: not uniform", chi)
	}
}

// While a large content arrives the buffer stays within growFactor times
// the bytes received, and the whole receive allocates about 1.25 times the
// content rather than twice.
func TestDecoderGrowthBounds(t *testing.T) {
	const claim = 64 << 20
	hdr := fmt.Sprintf(`{"code": 161, "content_length": %d, "challenge": "", "next_challenge": ""}`, claim)
	for _, sent := range []int{4 << 20, claim} {
		input := rawFrame(hdr, make([]byte, 32), strings.Repeat("1", sent))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := NewDecoder(bytes.NewReader(input), Limits{}).ReadFrame()
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		if sent < claim {
			if !errors.Is(err, ErrDisconnected) {
				t.Fatalf("cut frame: %v", err)
			}
			// The live buffer is at most growFactor × sent; with the smaller
			// ones before it, everything allocated stays under 1.5 times that.
			if alloc > uint64(growFactor*sent*3/2+2*readChunk) {
				t.Fatalf("%d bytes sent of %d claimed: allocated %d", sent, claim, alloc)
			}
			continue
		}
		if err != nil || len(f.Content) != claim {
			t.Fatalf("whole frame: %v", err)
		}
		if alloc > claim*14/10 {
			t.Fatalf("receiving %d bytes allocated %d", claim, alloc)
		}
	}
}
