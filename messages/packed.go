package messages

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Packed is a binary array carried as one JSON string in standard base64
// (RFC 4648, padded; strict: no line breaks, zero padding bits). It is the
// compact form of the large arrays of error correction and privacy
// amplification between stations that announce it (EC_READY's
// "encoding": "packed"): bits packed eight to a byte, most significant
// first (PackBits), or float32 values in little-endian order
// (PackFloat32s). A JSON number array of bits takes 2 bytes a bit and one of
// floats about 20 bytes a value; Packed takes 1/6 and 5.3 bytes.
type Packed []byte

var b64 = base64.StdEncoding.Strict()

// Errors of packed arrays, wrapped with the field's name by the decoder.
var (
	errNotBase64 = errors.New("not a base64 string")
	errPadding   = errors.New("padding bits past the last bit are not zero")
)

// UnmarshalJSON reads a JSON string of base64. null leaves the value
// unchanged, as encoding/json does.
func (p *Packed) UnmarshalJSON(raw []byte) error {
	if isNull(raw) {
		return nil
	}
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return errNotBase64
	}
	body := raw[1 : len(raw)-1]
	if bytes.ContainsAny(body, "\r\n\\") { // the decoder skips line breaks; JSON escapes are not base64
		return errNotBase64
	}
	out := make([]byte, b64.DecodedLen(len(body)))
	n, err := b64.Decode(out, body)
	if err != nil {
		return errNotBase64
	}
	*p = out[:n]
	return nil
}

// MarshalJSON writes the base64 string.
func (p Packed) MarshalJSON() ([]byte, error) { return p.appendJSON(nil), nil }

func (p Packed) sizeHint() int { return b64.EncodedLen(len(p)) + 2 }

func (p Packed) appendJSON(dst []byte) []byte {
	if p == nil {
		return append(dst, "null"...)
	}
	dst = growFor(dst, p.sizeHint())
	dst = append(dst, '"')
	dst = b64.AppendEncode(dst, p)
	return append(dst, '"')
}

// PackBits packs bits (each 0 or 1; any other value counts as 1) eight to
// a byte, most significant first, the last byte padded with zeros.
func PackBits(bits []uint8) Packed {
	out := make(Packed, (len(bits)+7)/8)
	for i, b := range bits {
		if b != 0 {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// Bits unpacks n bits. The array must hold exactly (n+7)/8 bytes and its
// padding bits must be zero.
func (p Packed) Bits(n int) ([]uint8, error) {
	if err := p.checkBitsLen(n); err != nil {
		return nil, err
	}
	out := make([]uint8, n)
	for i := range out {
		out[i] = p[i/8] >> (7 - i%8) & 1
	}
	return out, nil
}

// PackFloat32s writes each value as a little-endian IEEE 754 float32
// (rounded to nearest).
func PackFloat32s(v []float64) Packed {
	out := make(Packed, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(x)))
	}
	return out
}

// Float32s reads the little-endian float32 values of the array, which must
// be a whole number of them, all finite.
func (p Packed) Float32s() ([]float64, error) {
	if len(p)%4 != 0 {
		return nil, errors.New(strconv.Itoa(len(p)) + " bytes: not a whole number of float32 values")
	}
	out := make([]float64, len(p)/4)
	for i := range out {
		f := float64(math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:])))
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &ArrayError{Index: i, Err: errNotFinite}
		}
		out[i] = f
	}
	return out, nil
}

// checkBitsLen is Bits's check without the bits: exactly (n+7)/8 bytes,
// padding bits zero. It allocates nothing but its error.
func (p Packed) checkBitsLen(n int) error {
	if n < 0 || len(p) != (n+7)/8 {
		return errors.New(strconv.Itoa(len(p)) + " bytes for " + strconv.Itoa(n) + " bits, want " + strconv.Itoa((max(n, 0)+7)/8))
	}
	if n%8 != 0 && p[len(p)-1]&(0xFF>>(n%8)) != 0 {
		return errPadding
	}
	return nil
}

// checkFloat32s is Float32s's check without the values: a whole number of
// float32 values, all finite, and (nonNegative) none below zero. It
// allocates nothing.
func (p Packed) checkFloat32s(nonNegative bool) error {
	if len(p)%4 != 0 {
		return errors.New(strconv.Itoa(len(p)) + " bytes: not a whole number of float32 values")
	}
	for i := 0; i < len(p)/4; i++ {
		f := math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
		switch {
		case math.IsNaN(float64(f)) || math.IsInf(float64(f), 0):
			return &ArrayError{Index: i, Err: errNotFinite}
		case nonNegative && f < 0:
			return &ArrayError{Index: i, Err: errors.New("negative")}
		}
	}
	return nil
}

// Float32Len is the number of float32 values of the array (whole or not).
func (p Packed) Float32Len() int { return len(p) / 4 }

// ECBatchSize is the most blocks one packed EC_BLOCK batch can carry within
// maxContent bytes of content (0: DefaultMaxContent), at least 1 and at most
// MaxECBatch, for blocks of syndromeBits syndrome bits and disclosedBits
// disclosed bits (slice reconciliation) tied to channelBits
// quadratures (4 bytes of rotation per quadrature and of norm per 8 when
// side is true): the base64 of each block's arrays and room for its keys.
func ECBatchSize(syndromeBits, disclosedBits, channelBits int, side bool, maxContent int) int {
	if maxContent <= 0 {
		maxContent = DefaultMaxContent
	}
	raw := (syndromeBits+7)/8 + (disclosedBits+7)/8
	if side {
		raw += 4*channelBits + 4*(channelBits/8)
	}
	per := (raw+2)/3*4 + 256
	return max(1, min(MaxECBatch, (maxContent-64)/per))
}
