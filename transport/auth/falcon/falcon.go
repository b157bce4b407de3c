// Package falcon owns Falcon-512 (NIST round 3) as qosst-core 0.10's
// FalconAuthenticator makes and checks it (the falcon-digital-signature
// package): keys in qosst's JSON form (a secret key is [f, g, F, G], a
// public key is h), 666-byte signatures (header byte 0x39, a 40-byte salt,
// the compressed second half s1 of the short vector, zero padding),
// hash-to-point with SHAKE256(salt ‖ message), and the reference's squared
// norm bound 34034726. Signing is fast-Fourier sampling over the secret
// NTRU basis (the Falcon tree of its Gram matrix and the spec's discrete
// Gaussian sampler over the integers); key generation solves the NTRU
// equation.
//
// The verifier is stricter than the reference's in what it accepts as an
// encoding (exactly 666 bytes, the 0x39 header, canonical coefficients of
// magnitude at most 2047 and zero padding): every signature the reference
// makes passes, and no byte of a signature can be changed without the
// signature being refused. Signing uses floating point and is not
// constant-time.
package falcon

import (
	"crypto/sha3"
	"errors"
	"fmt"
)

// Falcon-512 parameters (NIST round 3).
const (
	LogN = 9
	N    = 1 << LogN // degree of the ring Z[x]/(x^N + 1)
	Q    = 12289     // modulus

	SignatureSize = 666         // bytes of a signature
	SaltSize      = 40          // bytes of the salt
	Header        = 0x30 + LogN // first byte of a signature: 0x39
	NormBound     = 34034726    // bound on ||s0||² + ||s1||²

	// sigma and sigmin of Falcon-512: the standard deviation of signatures
	// and the smallest standard deviation the integer sampler is given.
	sigma  = 165.7366171829776
	sigmin = 1.2778336969128337

	compressedSize = SignatureSize - 1 - SaltSize // 625 bytes for s1
	maxCoefficient = 2047                         // largest |s1[i]| in an encoding
)

// Errors that callers may branch on.
var (
	// ErrSignature: a signature is malformed or does not verify.
	ErrSignature = errors.New("falcon: invalid signature")
	// ErrKey: a key is malformed or inconsistent.
	ErrKey = errors.New("falcon: invalid key")
)

// HashToPoint maps salt ‖ msg to a polynomial with coefficients in [0, Q):
// SHAKE256 output read as big-endian 16-bit values, each below 5·Q kept
// modulo Q, until N are kept.
func HashToPoint(salt, msg []byte) [N]uint16 {
	h := sha3.NewSHAKE256()
	h.Write(salt)
	h.Write(msg)
	var c [N]uint16
	var buf [2 * 64]byte
	i := 0
	for i < N {
		h.Read(buf[:])
		for j := 0; j < len(buf) && i < N; j += 2 {
			v := uint32(buf[j])<<8 | uint32(buf[j+1])
			if v < 5*Q {
				c[i] = uint16(v % Q)
				i++
			}
		}
	}
	return c
}

// compress encodes s as the spec's compressed form into exactly size bytes
// (sign bit, 7 low bits, the high bits in unary ended by a 1, zero
// padding). It reports false when s does not fit or a coefficient exceeds
// maxCoefficient.
func compress(s *[N]int16, size int) ([]byte, bool) {
	out := make([]byte, size)
	var acc uint32
	var nacc uint
	pos := 0
	put := func(bits uint32, n uint) bool {
		acc = acc<<n | bits
		nacc += n
		for nacc >= 8 {
			nacc -= 8
			if pos >= size {
				return false
			}
			out[pos] = byte(acc >> nacc)
			pos++
		}
		acc &= 1<<nacc - 1
		return true
	}
	for _, c := range s {
		v := int32(c)
		var sign uint32
		if v < 0 {
			sign, v = 1, -v
		}
		if v > maxCoefficient {
			return nil, false
		}
		if !put(sign<<7|uint32(v)&0x7f, 8) {
			return nil, false
		}
		high := uint(v >> 7)
		if !put(1, high+1) { // high zeros then a one (high <= 15)
			return nil, false
		}
	}
	if nacc > 0 {
		if pos >= size {
			return nil, false
		}
		out[pos] = byte(acc << (8 - nacc))
	}
	return out, true
}

// decompress decodes exactly N coefficients from b, refusing a "-0", a
// coefficient above maxCoefficient, a truncated encoding and any non-zero
// bit after the last coefficient.
func decompress(b []byte) (*[N]int16, error) {
	var s [N]int16
	bit := 0
	total := 8 * len(b)
	read := func() (uint32, bool) {
		if bit >= total {
			return 0, false
		}
		v := uint32(b[bit>>3]>>(7-bit&7)) & 1
		bit++
		return v, true
	}
	for i := range s {
		var head uint32
		for k := 0; k < 8; k++ {
			v, ok := read()
			if !ok {
				return nil, fmt.Errorf("%w: s1 truncated at coefficient %d", ErrSignature, i)
			}
			head = head<<1 | v
		}
		high := uint32(0)
		for {
			v, ok := read()
			if !ok {
				return nil, fmt.Errorf("%w: s1 truncated at coefficient %d", ErrSignature, i)
			}
			if v == 1 {
				break
			}
			high++
			if high > maxCoefficient>>7 {
				return nil, fmt.Errorf("%w: s1 coefficient %d out of range", ErrSignature, i)
			}
		}
		m := int32(high<<7 | head&0x7f)
		if head>>7 == 1 {
			if m == 0 {
				return nil, fmt.Errorf("%w: s1 coefficient %d is -0", ErrSignature, i)
			}
			m = -m
		}
		s[i] = int16(m)
	}
	for bit&7 != 0 {
		if v, _ := read(); v != 0 {
			return nil, fmt.Errorf("%w: non-zero padding", ErrSignature)
		}
	}
	for _, x := range b[bit>>3:] {
		if x != 0 {
			return nil, fmt.Errorf("%w: non-zero padding", ErrSignature)
		}
	}
	return &s, nil
}

// PublicKey is a Falcon-512 public key h.
type PublicKey struct {
	h    [N]uint16
	hNTT [N]uint32
}

// NewPublicKey checks h (N coefficients in [0, Q)) and returns the key.
func NewPublicKey(h []int64) (*PublicKey, error) {
	if len(h) != N {
		return nil, fmt.Errorf("%w: public key has %d coefficients, want %d", ErrKey, len(h), N)
	}
	pk := &PublicKey{}
	for i, v := range h {
		if v < 0 || v >= Q {
			return nil, fmt.Errorf("%w: public key coefficient %d is %d, not in [0, %d)", ErrKey, i, v, Q)
		}
		pk.h[i] = uint16(v)
		pk.hNTT[i] = uint32(v)
	}
	ntt(&pk.hNTT)
	return pk, nil
}

// Coefficients returns h.
func (pk *PublicKey) Coefficients() []int64 {
	out := make([]int64, N)
	for i, v := range pk.h {
		out[i] = int64(v)
	}
	return out
}

// Equal reports whether two public keys are the same.
func (pk *PublicKey) Equal(o *PublicKey) bool { return pk.h == o.h }

// Verify checks a signature of msg: the encoding (exactly SignatureSize
// bytes, the Header byte, a canonical s1 and zero padding), then
// s0 = HashToPoint(salt, msg) − s1·h mod Q centred in (−Q/2, Q/2], and
// ||s0||² + ||s1||² ≤ NormBound. Failures wrap ErrSignature.
func (pk *PublicKey) Verify(msg, sig []byte) error {
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrSignature, len(sig), SignatureSize)
	}
	if sig[0] != Header {
		return fmt.Errorf("%w: header byte %#02x, want %#02x", ErrSignature, sig[0], Header)
	}
	s1, err := decompress(sig[1+SaltSize:])
	if err != nil {
		return err
	}
	c := HashToPoint(sig[1:1+SaltSize], msg)
	var t [N]uint32
	for i, v := range s1 {
		t[i] = uint32((int32(v) + Q) % Q)
	}
	ntt(&t)
	for i := range t {
		t[i] = mulq(t[i], pk.hNTT[i])
	}
	intt(&t)
	var norm int64
	for i := range t {
		s0 := (int32(c[i]) - int32(t[i]) + Q) % Q
		if s0 > Q/2 {
			s0 -= Q
		}
		norm += int64(s0) * int64(s0)
		norm += int64(s1[i]) * int64(s1[i])
	}
	if norm > NormBound {
		return fmt.Errorf("%w: squared norm %d above %d", ErrSignature, norm, NormBound)
	}
	return nil
}
