// Package wegmancarter owns the information-theoretic authenticator of
// QOSST frames: a Wegman–Carter MAC whose hash is a polynomial over
// GF(2^127 − 1), evaluated over the frame's own bytes (header length,
// header, content) rather than over a digest, with a fresh hash key and a
// fresh one-time pad for every frame, both drawn from a pool of shared
// secret bits that each completed QKD frame refills from its own final
// key.
//
// Pads and the rule that keeps them single-use and the two stations in
// agreement are in pool.go; the MAC and the tag layout in mac.go.
package wegmancarter

import "math/bits"

// Arithmetic modulo the Mersenne prime p = 2^127 − 1 on (hi, lo) pairs:
// value hi·2^64 + lo, kept in [0, p).

type elem struct{ hi, lo uint64 }

const mask63 = 1<<63 - 1

// reduce folds a value below 2^128 into [0, p).
func reduce(e elem) elem {
	// e = top·2^127 + rest with top in {0, 1}; 2^127 ≡ 1.
	top := e.hi >> 63
	e.hi &= mask63
	var c uint64
	e.lo, c = bits.Add64(e.lo, top, 0)
	e.hi += c
	if e.hi == mask63 && e.lo == ^uint64(0) { // e == p
		return elem{}
	}
	return e
}

func add(a, b elem) elem {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c) // a, b < 2^127: no overflow past 2^128
	return reduce(elem{hi, lo})
}

// mul returns a·b mod p.
func mul(a, b elem) elem {
	// 256-bit product r3:r2:r1:r0.
	h00, l00 := bits.Mul64(a.lo, b.lo)
	h01, l01 := bits.Mul64(a.lo, b.hi)
	h10, l10 := bits.Mul64(a.hi, b.lo)
	h11, l11 := bits.Mul64(a.hi, b.hi)
	r0 := l00
	r1, c1 := bits.Add64(h00, l01, 0)
	r2, c2 := bits.Add64(h01, l11, c1)
	r3 := h11 + c2
	r1, c1 = bits.Add64(r1, l10, 0)
	r2, c2 = bits.Add64(r2, h10, c1)
	r3 += c2
	// x = high·2^127 + low, low = x mod 2^127, high = x >> 127 (< 2^127).
	low := elem{r1 & mask63, r0}
	high := elem{r3<<1 | r2>>63, r2<<1 | r1>>63}
	return add(reduce(low), reduce(high))
}

// elemFrom16 reads 16 little-endian bytes, top bit cleared, as an element
// (uniform bytes give an element uniform in [0, p) but for 0, twice as
// likely: a bias of 2^-127).
func elemFrom16(b []byte) elem {
	var lo, hi uint64
	for i := 7; i >= 0; i-- {
		lo = lo<<8 | uint64(b[i])
		hi = hi<<8 | uint64(b[8+i])
	}
	return reduce(elem{hi & mask63, lo})
}

func (e elem) bytes() [16]byte {
	var out [16]byte
	for i := 0; i < 8; i++ {
		out[i] = byte(e.lo >> (8 * i))
		out[8+i] = byte(e.hi >> (8 * i))
	}
	return out
}

// blockSize is the number of message bytes per coefficient: 15 bytes and
// a marker bit at 2^120 stay below p.
const blockSize = 15

// polyHash evaluates, by Horner's rule, the polynomial whose coefficients
// are the message's blocks: h = Σ c_i·k^(L−i+1) for blocks c_1 … c_L,
// each 15 bytes (the last possibly shorter) read little-endian plus a
// marker 2^(8·len). Distinct messages of at most L blocks give distinct
// polynomials of degree at most L, so they collide for at most L of the
// p values of k.
type polyHash struct {
	k   elem
	h   elem
	buf [blockSize]byte
	n   int
}

func (p *polyHash) block(b []byte) {
	var c elem
	for i := len(b) - 1; i >= 0; i-- {
		c.hi = c.hi<<8 | c.lo>>56
		c.lo = c.lo<<8 | uint64(b[i])
	}
	// marker bit at position 8·len(b) (<= 120)
	if m := 8 * uint(len(b)); m < 64 {
		c.lo |= 1 << m
	} else {
		c.hi |= 1 << (m - 64)
	}
	p.h = mul(add(p.h, c), p.k)
}

func (p *polyHash) Write(b []byte) {
	if p.n > 0 {
		k := copy(p.buf[p.n:], b)
		p.n += k
		b = b[k:]
		if p.n < blockSize {
			return
		}
		p.block(p.buf[:])
		p.n = 0
	}
	for len(b) >= blockSize {
		p.block(b[:blockSize])
		b = b[blockSize:]
	}
	p.n = copy(p.buf[:], b)
}

// sum ends the message: the pending partial block (if any) is hashed.
func (p *polyHash) sum() elem {
	if p.n > 0 {
		p.block(p.buf[:p.n])
		p.n = 0
	}
	return p.h
}
