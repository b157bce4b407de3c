package falcon

import (
	"crypto/sha3"
	"strings"
)

// The test-side verifier: Falcon-512 verification written again from the
// specification, sharing nothing with the production code (bit strings
// for the decoding, a schoolbook product modulo Q, SHAKE256 read in one
// block).

// refDecompress decodes the compressed s1 as a string of '0'/'1'
// characters: for each coefficient a sign bit, 7 low bits, then the high
// part in unary (zeros ended by a one). It returns nil for anything but
// exactly N canonical coefficients of magnitude at most 2047 followed by
// zero bits.
func refDecompress(b []byte) *[N]int16 {
	var sb strings.Builder
	for _, x := range b {
		for i := 7; i >= 0; i-- {
			if x>>i&1 == 1 {
				sb.WriteByte('1')
			} else {
				sb.WriteByte('0')
			}
		}
	}
	u := sb.String()
	var s [N]int16
	p := 0
	for i := 0; i < N; i++ {
		if p+8 > len(u) {
			return nil
		}
		neg := u[p] == '1'
		low := 0
		for _, c := range u[p+1 : p+8] {
			low = 2*low + int(c-'0')
		}
		p += 8
		high := 0
		for p < len(u) && u[p] == '0' {
			high++
			p++
		}
		if p >= len(u) {
			return nil
		}
		p++ // the terminating one
		v := high*128 + low
		if v > 2047 || (neg && v == 0) {
			return nil
		}
		if neg {
			v = -v
		}
		s[i] = int16(v)
	}
	if strings.Contains(u[p:], "1") {
		return nil
	}
	return &s
}

// refHashToPoint: SHAKE256(salt ‖ msg) read as 16-bit big-endian values;
// values below 61445 = 5·12289 are kept modulo 12289.
func refHashToPoint(salt, msg []byte) []int64 {
	h := sha3.NewSHAKE256()
	h.Write(salt)
	h.Write(msg)
	out := make([]byte, 1<<14)
	h.Read(out)
	c := make([]int64, 0, N)
	for i := 0; len(c) < N; i += 2 {
		v := int64(out[i])*256 + int64(out[i+1])
		if v < 61445 {
			c = append(c, v%12289)
		}
	}
	return c
}

// refVerify reports whether sig is a valid Falcon-512 signature of msg
// under the public key h.
func refVerify(h []int64, msg, sig []byte) bool {
	norm, ok := refNorm(h, msg, sig)
	return ok && norm <= 34034726
}

// refNorm returns ||s0||² + ||s1||² of a well-encoded signature.
func refNorm(h []int64, msg, sig []byte) (int64, bool) {
	if len(sig) != 666 || sig[0] != 0x39 || len(h) != N {
		return 0, false
	}
	s1 := refDecompress(sig[41:])
	if s1 == nil {
		return 0, false
	}
	c := refHashToPoint(sig[1:41], msg)
	// s1·h in Z[x]/(x^N + 1), then s0 = c − s1·h modulo 12289.
	prod := make([]int64, N)
	for i := 0; i < N; i++ {
		for j := 0; j < N; j++ {
			t := int64(s1[i]) * h[j]
			if i+j < N {
				prod[i+j] += t
			} else {
				prod[i+j-N] -= t
			}
		}
	}
	var norm int64
	for i := 0; i < N; i++ {
		s0 := ((c[i]-prod[i])%12289 + 12289) % 12289
		if s0 > 6144 {
			s0 -= 12289
		}
		norm += s0*s0 + int64(s1[i])*int64(s1[i])
	}
	return norm, true
}
