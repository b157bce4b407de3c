package messages

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
)

// Frame layout on the wire (qosst-core 0.10, see PROTOCOL-NOTES):
//
//	u16be len(header_json) | u16be len(signed_digest) | signed_digest | header_json | content_json
//
// with signed_digest = Authenticator.Sign(SHA-256(header_json || content_json)).

// Size bounds of the codec.
const (
	// DefaultMaxContent bounds content_length when Limits.MaxContent is 0.
	DefaultMaxContent = 128 << 20
	// defaultMaxSigned bounds the signed digest when Limits.MaxSigned is 0.
	// SHA-256 identity (32 bytes), HMAC-SHA256 (32), Ed25519 (64),
	// Falcon-512 (666) and ML-DSA-65 (3309) fit.
	defaultMaxSigned = 4096
	// maxHeaderLength is the largest header the u16 length field can carry.
	maxHeaderLength = math.MaxUint16
	// maxSignedLength is the largest signed digest the u16 length field can carry.
	maxSignedLength = math.MaxUint16
)

// Header is the variable-length JSON header of a frame.
type Header struct {
	Code          Code
	ContentLength int
	// Challenge echoes the peer's last NextChallenge ("" before anything was received).
	Challenge string
	// NextChallenge is the fresh challenge the peer must echo in its next frame.
	NextChallenge string
}

// AppendJSON appends the header as Python's json.dumps writes it:
// {"code": 100, "content_length": 31, "challenge": "...", "next_challenge": "..."}.
func (h Header) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"code": `...)
	dst = strconv.AppendInt(dst, int64(h.Code), 10)
	dst = append(dst, `, "content_length": `...)
	dst = strconv.AppendInt(dst, int64(h.ContentLength), 10)
	dst = append(dst, `, "challenge": `...)
	dst = appendString(dst, h.Challenge)
	dst = append(dst, `, "next_challenge": `...)
	dst = appendString(dst, h.NextChallenge)
	return append(dst, '}')
}

// encoder writes frames. It keeps a hash state between frames so that
// encoding does not allocate beyond what the Authenticator allocates and what
// growing dst needs. An encoder is not safe for concurrent use; the zero value
// is ready.
type encoder struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// AppendFrame appends one whole frame carrying content (nil or empty for no
// content) to dst and returns the extended slice. h.ContentLength is ignored
// and set from len(content). The digest handed to a.Sign is only valid
// during the call. Errors come from a.Sign, or wrap ErrFrame when the header
// or the signed digest does not fit its u16 length field; dst is then
// returned unchanged.
func (e *encoder) AppendFrame(dst []byte, h Header, content []byte, a Authenticator) ([]byte, error) {
	dst, err := e.AppendFramePrefix(dst, h, content, a)
	if err != nil {
		return dst, err
	}
	return append(dst, content...), nil
}

// AppendFramePrefix appends everything of the frame but the content (the
// two lengths, the signed digest and the header, with the digest computed
// over the header and content). A writer can then send prefix and content
// with one vectored write (net.Buffers) and never copy a large content.
func (e *encoder) AppendFramePrefix(dst []byte, h Header, content []byte, a Authenticator) ([]byte, error) {
	if a == nil {
		return dst, fmt.Errorf("%w: no authenticator", ErrFrame)
	}
	h.ContentLength = len(content)
	orig := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	hs := len(dst)
	dst = h.AppendJSON(dst)
	hl := len(dst) - hs
	if hl > maxHeaderLength {
		return dst[:orig], fmt.Errorf("%w: header of %d bytes exceeds %d", ErrFrame, hl, maxHeaderLength)
	}
	var signed []byte
	var err error
	if fa, ok := a.(FrameAuthenticator); ok {
		signed, err = fa.SignFrame(dst[hs:], content)
	} else {
		if e.h == nil {
			e.h = sha256.New()
		}
		e.h.Reset()
		e.h.Write(dst[hs:])
		e.h.Write(content)
		signed, err = a.Sign(e.h.Sum(e.sum[:0]))
	}
	if err != nil {
		return dst[:orig], fmt.Errorf("sign frame: %w", err)
	}
	if len(signed) > maxSignedLength {
		return dst[:orig], fmt.Errorf("%w: signed digest of %d bytes exceeds %d", ErrFrame, len(signed), maxSignedLength)
	}
	binary.BigEndian.PutUint16(dst[orig:], uint16(hl))
	binary.BigEndian.PutUint16(dst[orig+2:], uint16(len(signed)))
	return slices.Insert(dst, hs, signed...), nil
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

// AppendFrame appends one whole frame to dst with a pooled encoder; see
// encoder.AppendFrame.
func AppendFrame(dst []byte, h Header, content []byte, a Authenticator) ([]byte, error) {
	e := encoderPool.Get().(*encoder)
	dst, err := e.AppendFrame(dst, h, content, a)
	encoderPool.Put(e)
	return dst, err
}

// AppendFramePrefix is encoder.AppendFramePrefix with a pooled encoder.
func AppendFramePrefix(dst []byte, h Header, content []byte, a Authenticator) ([]byte, error) {
	e := encoderPool.Get().(*encoder)
	dst, err := e.AppendFramePrefix(dst, h, content, a)
	encoderPool.Put(e)
	return dst, err
}

// Limits bounds what a Decoder accepts from a peer. Zero fields take the
// defaults.
type Limits struct {
	// MaxContent bounds content_length (default DefaultMaxContent).
	MaxContent int
	// MaxSigned bounds the signed digest length (default defaultMaxSigned).
	MaxSigned int
	// ContentFor, when set, bounds content_length per code, below
	// MaxContent: a frame of code c may carry min(MaxContent,
	// ContentFor(c)) bytes of content. The header is read first, so the
	// bound applies before any content byte is buffered.
	ContentFor func(Code) int
}

func (l Limits) withDefaults() Limits {
	if l.MaxContent <= 0 {
		l.MaxContent = DefaultMaxContent
	}
	if l.MaxSigned <= 0 {
		l.MaxSigned = defaultMaxSigned
	}
	if l.MaxSigned > maxSignedLength {
		l.MaxSigned = maxSignedLength
	}
	return l
}

// Frame is one frame as received. HeaderJSON and Content are the bytes as
// they came off the wire, so Digest is computed over exactly what the peer
// signed. The slices share one buffer that belongs to the Frame.
type Frame struct {
	Header     Header
	Signed     []byte // the signed digest
	HeaderJSON []byte
	Content    []byte // nil when content_length is 0 (content absent)
	raw        []byte // HeaderJSON || Content, contiguous
}

// Digest returns SHA-256(header_json || content_json) over the bytes as received.
func (f *Frame) Digest() [sha256.Size]byte {
	if f.raw != nil {
		return sha256.Sum256(f.raw)
	}
	return digestOf(f.HeaderJSON, f.Content)
}

// digestOf returns SHA-256(header || content).
func digestOf(header, content []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(header)
	h.Write(content)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// readChunk is the smallest step by which a Decoder grows a buffer: a
// peer's claimed length is never allocated up front, only about growFactor
// times what has arrived.
const readChunk = 64 << 10

// maxKeptScratch bounds the scratch buffer a Decoder keeps between frames.
const maxKeptScratch = 4 << 10

// Decoder reads frames from a byte stream. It checks the frame's shape only
// (lengths, bounds, header JSON with its four keys); the digest, the
// challenge and whether the code is a QOSST code are left to the caller, who
// knows the order it wants them checked in. Not safe for concurrent use.
//
// Errors wrap ErrDisconnected when the stream ends or fails, including a
// frame cut halfway (the stream cannot resynchronise after a partial frame,
// so it is treated like a closed socket, as the reference does when recv
// returns nothing); the underlying read error stays reachable with errors.Is
// (io.EOF, io.ErrUnexpectedEOF, os.ErrDeadlineExceeded...). Errors wrap
// ErrFrame when the bytes that arrived are malformed or exceed the Limits.
//
// Memory: a frame's buffer is at most the signed digest and header (each
// bounded by 64 KiB and Limits.MaxSigned) plus max(64 KiB, 4 × the content
// bytes received so far), never the content_length a peer claims; a whole
// large content costs about 1.25 times its size at peak. A frame whose
// content is at most 64 KiB costs one allocation of exactly its size (the
// signed digest and header are read into a scratch buffer first).
type Decoder struct {
	r       io.Reader
	limits  Limits
	fixed   [4]byte
	scratch []byte // signed digest and header of the frame being read
}

// NewDecoder returns a Decoder reading from r with the given limits (zero
// fields take the defaults).
func NewDecoder(r io.Reader, l Limits) *Decoder {
	return &Decoder{r: r, limits: l.withDefaults()}
}

// ReadFrame reads the next frame.
func (d *Decoder) ReadFrame() (*Frame, error) {
	if _, err := io.ReadFull(d.r, d.fixed[:]); err != nil {
		return nil, disconnected(err)
	}
	hl := int(binary.BigEndian.Uint16(d.fixed[0:2]))
	sl := int(binary.BigEndian.Uint16(d.fixed[2:4]))
	if hl == 0 {
		return nil, fmt.Errorf("%w: empty header", ErrFrame)
	}
	if sl > d.limits.MaxSigned {
		return nil, fmt.Errorf("%w: signed digest of %d bytes exceeds the limit of %d", ErrFrame, sl, d.limits.MaxSigned)
	}
	// signed || header into the scratch buffer, to learn content_length;
	// then signed || header || content in one buffer, whose content part
	// is sized up front up to readChunk and beyond that grown only as its
	// bytes arrive.
	scratch, err := readGrow(d.r, d.scratch[:0], sl+hl)
	if cap(scratch) <= maxKeptScratch {
		d.scratch = scratch
	}
	if err != nil {
		return nil, disconnected(err)
	}
	h, err := parseHeader(scratch[sl : sl+hl])
	if err != nil {
		return nil, err
	}
	if max := d.limits.contentMax(h.Code); h.ContentLength > max {
		return nil, fmt.Errorf("%w: content_length %d of %s exceeds the limit of %d", ErrFrame, h.ContentLength, h.Code, max)
	}
	buf := make([]byte, sl+hl, sl+hl+min(h.ContentLength, readChunk))
	copy(buf, scratch)
	if h.ContentLength > 0 {
		if buf, err = readGrow(d.r, buf, h.ContentLength); err != nil {
			return nil, disconnected(err)
		}
	}
	f := &Frame{
		Header:     h,
		Signed:     buf[:sl:sl],
		HeaderJSON: buf[sl : sl+hl : sl+hl],
		raw:        buf[sl:],
	}
	if h.ContentLength > 0 {
		f.Content = buf[sl+hl:]
	}
	return f, nil
}

func disconnected(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return fmt.Errorf("%w: read: %w", ErrDisconnected, err)
}

// growFactor bounds how far a buffer may run ahead of the bytes received:
// a frame's buffer never exceeds max(readChunk, growFactor × received) plus
// what is already there. Intermediate buffers grow by growFactor and stay
// below 1/growFactor of the final size, so receiving a large content peaks
// at 1.25× its size (about 1.33× allocated in all) instead of the 2× of
// plain doubling.
const growFactor = 4

// readGrow appends exactly n bytes read from r to buf, growing buf only as
// bytes arrive (see growFactor).
func readGrow(r io.Reader, buf []byte, n int) ([]byte, error) {
	want := len(buf) + n
	for len(buf) < want {
		if len(buf) == cap(buf) {
			var target int
			switch {
			case want-len(buf) <= readChunk, len(buf)*growFactor >= want:
				target = want // a small remainder, or enough has arrived: final size
			default:
				// Intermediate sizes grow by growFactor up to the last one,
				// q = want/growFactor; once that fills, the final size is due.
				q := (want + growFactor - 1) / growFactor
				target = min(max(growFactor*cap(buf), readChunk), q)
				if q-target <= readChunk {
					target = q
				}
			}
			nb := make([]byte, len(buf), target)
			copy(nb, buf)
			buf = nb
		}
		m, err := r.Read(buf[len(buf):min(cap(buf), want)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if len(buf) == want {
				break
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// parseHeader parses a header JSON object. It needs the four keys code,
// content_length (a non-negative integer), challenge and next_challenge
// (strings); other keys are ignored. Errors wrap ErrFrame.
func parseHeader(b []byte) (Header, error) {
	if h, ok := parsePyHeader(b); ok {
		return h, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return Header{}, fmt.Errorf("%w: header is not a JSON object: %v", ErrFrame, err)
	}
	var h Header
	code, err := headerInt(m, "code")
	if err != nil {
		return Header{}, err
	}
	if code < math.MinInt32 || code > math.MaxInt32 {
		return Header{}, fmt.Errorf("%w: header key code: %d out of range", ErrFrame, code)
	}
	h.Code = Code(code)
	cl, err := headerInt(m, "content_length")
	if err != nil {
		return Header{}, err
	}
	if cl < 0 {
		return Header{}, fmt.Errorf("%w: header key content_length: negative", ErrFrame)
	}
	if cl > math.MaxInt {
		return Header{}, fmt.Errorf("%w: header key content_length: %d out of range", ErrFrame, cl)
	}
	h.ContentLength = int(cl)
	if h.Challenge, err = headerString(m, "challenge"); err != nil {
		return Header{}, err
	}
	if h.NextChallenge, err = headerString(m, "next_challenge"); err != nil {
		return Header{}, err
	}
	return h, nil
}

func headerInt(m map[string]json.RawMessage, key string) (int64, error) {
	raw, ok := m[key]
	if !ok {
		return 0, fmt.Errorf("%w: header key %s missing", ErrFrame, key)
	}
	v, err := parseIntToken(raw)
	if err != nil {
		return 0, fmt.Errorf("%w: header key %s: %v", ErrFrame, key, err)
	}
	return v, nil
}

func headerString(m map[string]json.RawMessage, key string) (string, error) {
	raw, ok := m[key]
	if !ok {
		return "", fmt.Errorf("%w: header key %s missing", ErrFrame, key)
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", fmt.Errorf("%w: header key %s: not a string", ErrFrame, key)
	}
	return s, nil
}

// parsePyHeader is the fast path for headers in exactly the shape Python and
// AppendJSON write, with challenges free of escapes.
func parsePyHeader(b []byte) (Header, bool) {
	var h Header
	rest, ok := bytes.CutPrefix(b, []byte(`{"code": `))
	if !ok {
		return h, false
	}
	code, rest, ok := cutUint(rest)
	if !ok || code > math.MaxInt32 {
		return h, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`, "content_length": `)); !ok {
		return h, false
	}
	cl, rest, ok := cutUint(rest)
	if !ok || cl > math.MaxInt {
		return h, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`, "challenge": "`)); !ok {
		return h, false
	}
	ch, rest, ok := cutPlainString(rest)
	if !ok {
		return h, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`, "next_challenge": "`)); !ok {
		return h, false
	}
	next, rest, ok := cutPlainString(rest)
	if !ok || string(rest) != "}" {
		return h, false
	}
	h.Code = Code(code)
	h.ContentLength = int(cl)
	h.Challenge = string(ch)
	h.NextChallenge = string(next)
	return h, true
}

// cutUint reads a JSON non-negative integer without leading zeros, up to 18 digits.
func cutUint(b []byte) (uint64, []byte, bool) {
	i := 0
	var v uint64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && i < 18 {
		v = v*10 + uint64(b[i]-'0')
		i++
	}
	if i == 0 || (i > 1 && b[0] == '0') || (i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
		return 0, b, false
	}
	return v, b[i:], true
}

// cutPlainString reads printable ASCII up to a closing quote; escapes and
// other bytes send the caller to the general path.
func cutPlainString(b []byte) ([]byte, []byte, bool) {
	for i, c := range b {
		switch {
		case c == '"':
			return b[:i], b[i+1:], true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, b, false
		}
	}
	return nil, b, false
}
