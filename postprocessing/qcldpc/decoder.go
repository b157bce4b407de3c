package qcldpc

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// DefaultDecoderIterations is the iteration bound NewDecoder uses when it is
// given 0.
const DefaultDecoderIterations = 100

// MaxDecoderEdges bounds the lifted codes a Decoder accepts: its message
// memory is 4 bytes per edge.
const MaxDecoderEdges = 1 << 26

// ErrDecodeInput is wrapped by every error about the arguments of a decode
// call (lengths, syndrome values).
var ErrDecodeInput = errors.New("invalid decoder input")

// decLLRClamp bounds channel LLRs. It is far above anything a noisy channel
// gives and above the largest total a bit can receive from its checks
// (degree × decPhiCap), so a clamped shortened bit is never overturned.
const decLLRClamp = 1 << 12

// decChunk is the number of checks of a layer processed together: the
// extrinsic inputs and their φ values for one chunk stay in the first-level
// cache while the layer streams the message and posterior arrays.
const decChunk = 256

const decSignBit = 1 << 31

// The check-node rule is the sum-product rule in the log domain with
// φ(x) = −ln tanh(x/2), which is its own inverse on (0, ∞): the magnitude
// sent to edge i is φ(Σ_{k≠i} φ(|t_k|)) and its sign is the product of the
// other inputs' signs, flipped when the syndrome bit is 1.
//
// φ is tabulated over the top 14 bits of a non-negative float32 (8 exponent
// bits, 6 mantissa bits: relative step 1/64, value at the bin centre). The
// index (bits<<1)>>18 drops the sign, so the table reads |x| for free and
// cannot be out of range. Below 2^-16 every bin holds φ(2^-16) ≈ 11.8, which
// bounds check messages; above 2^7 φ is 0.
const (
	decPhiMant   = 6
	decPhiMinExp = -16
)

// decPhi is a package-level array rather than a pointer so that the inner
// loops index it directly.
var decPhi [1 << (8 + decPhiMant)]float32

// decPhiCap is φ(2^-16), the largest check message magnitude.
var decPhiCap = func() float32 {
	capX := math.Ldexp(1+0.5/(1<<decPhiMant), decPhiMinExp)
	phiCap := -math.Log(math.Tanh(capX / 2))
	for k := range decPhi {
		e := k>>decPhiMant - 127
		m := k & (1<<decPhiMant - 1)
		if e < decPhiMinExp {
			decPhi[k] = float32(phiCap)
			continue
		}
		x := math.Ldexp(1+(float64(m)+0.5)/(1<<decPhiMant), e)
		decPhi[k] = float32(-math.Log(math.Tanh(x / 2)))
	}
	return float32(phiCap)
}()

// decPhiOf returns the tabulated φ(|x|).
func decPhiOf(x float32) float32 {
	return decPhi[(math.Float32bits(x)<<1)>>(32-8-decPhiMant)]
}

// decEdge is one circulant as the decoder walks it: its messages start at
// msg in the message array, its variables at col (= Col·Z), and check j of
// the layer reads variable col + (j+shift) mod Z.
type decEdge struct {
	msg, col, shift int
}

// Decoder is a layered sum-product belief-propagation decoder for one lifted
// code, for syndrome decoding (reverse reconciliation): given the syndrome
// s = H·b of the sender's bits b and per-bit LLRs of b, it estimates b.
//
// Each base row is a layer. Because no two circulants share a (row, column)
// pair, the Z checks of a layer touch disjoint variables, so they are
// updated together; the check-to-variable messages of a circulant are one
// contiguous array of Z values indexed by check, and check j of circulant
// (r, c, s) reads variable c·Z + (j+s) mod Z, so a layer reads and writes
// each circulant's messages and posteriors as two contiguous runs.
//
// A Decoder owns its buffers and allocates nothing per block; it is not
// safe for concurrent use: use one per goroutine (DecoderPool does that).
type Decoder struct {
	code    *Code
	z       int
	maxIter int

	layers []int     // layers[r] … layers[r+1]: edges of base row r
	edges  []decEdge // all circulants, by row
	r      []float32 // check-to-variable messages, Z per circulant
	p      []float32 // posterior LLRs, one per bit
	synd   []uint8   // scratch for the final syndrome check, M bytes

	// per-chunk scratch
	t, f   []float32 // extrinsic inputs and their φ, decChunk per edge of the layer
	sum    []float32
	sgn    []uint32
	parity []uint32
}

// NewDecoder returns a decoder for c that runs at most maxIter iterations
// (DefaultDecoderIterations when maxIter is 0). The code must be valid and
// have at most one circulant on each (row, column) of its base matrix;
// otherwise the error wraps ErrInvalidCode.
func NewDecoder(c *Code, maxIter int) (*Decoder, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil code", ErrInvalidCode)
	}
	if maxIter < 0 {
		return nil, fmt.Errorf("%w: maximum iterations %d, want ≥ 0", ErrDecodeInput, maxIter)
	}
	if maxIter == 0 {
		maxIter = DefaultDecoderIterations
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	// Bound the sizes before multiplying them.
	if c.Z > MaxDecoderEdges || c.BaseCols > MaxDecoderEdges || len(c.Circulants) > MaxDecoderEdges ||
		c.N() > MaxDecoderEdges || c.M() > MaxDecoderEdges || c.Edges() > MaxDecoderEdges {
		return nil, fmt.Errorf("%w: %d circulants of size %d over %d base columns exceed the decoder's %d edges",
			ErrInvalidCode, len(c.Circulants), c.Z, c.BaseCols, MaxDecoderEdges)
	}
	// The decoder keeps its own copy: a caller changing the code afterwards
	// cannot desynchronise the layout from the syndrome check.
	own := *c
	own.Circulants = slices.Clone(c.Circulants)
	own.Punctured = slices.Clone(c.Punctured)
	c = &own
	z := c.Z
	d := &Decoder{code: c, z: z, maxIter: maxIter, layers: make([]int, c.BaseRows+1)}
	d.edges = make([]decEdge, len(c.Circulants))
	maxDeg, deg := 0, 0
	for i, e := range c.Circulants {
		if i > 0 {
			prev := c.Circulants[i-1]
			if prev.Row == e.Row && prev.Col == e.Col {
				return nil, fmt.Errorf("%w: two circulants at base (row %d, column %d): the layered decoder needs at most one",
					ErrInvalidCode, e.Row, e.Col)
			}
			if prev.Row != e.Row {
				deg = 0
			}
		}
		deg++
		maxDeg = max(maxDeg, deg)
		d.layers[e.Row+1] = i + 1
		d.edges[i] = decEdge{msg: i * z, col: int(e.Col) * z, shift: int(e.Shift)}
	}
	for r := 1; r <= c.BaseRows; r++ { // rows without circulants
		d.layers[r] = max(d.layers[r], d.layers[r-1])
	}
	chunk := min(decChunk, z)
	d.r = make([]float32, c.Edges())
	d.p = make([]float32, c.N())
	d.synd = make([]uint8, c.M())
	d.t = make([]float32, maxDeg*chunk)
	d.f = make([]float32, maxDeg*chunk)
	d.sum = make([]float32, chunk)
	d.sgn = make([]uint32, chunk)
	d.parity = make([]uint32, chunk)
	return d, nil
}

// Code returns the decoder's copy of the code it was built for (not to be
// modified).
func (d *Decoder) Code() *Code { return d.code }

// MaxIterations is the iteration bound of Decode.
func (d *Decoder) MaxIterations() int { return d.maxIter }

// Decode estimates the sender's bits from their LLRs and syndrome.
//
// llr has N entries, ln P(b=0)/P(b=1) for each bit: ±Inf (or any large
// magnitude) for shortened bits both sides know, 0 for punctured bits; NaN
// reads as 0 and magnitudes are clamped to 4096. syndrome has M entries, each
// 0 or 1. The hard decisions are written to out (N entries, 0 or 1).
//
// It runs layered sum-product iterations until the hard decisions satisfy
// the syndrome or maxIter iterations have run, and returns the iterations
// run and ok = true exactly when out satisfies the syndrome (checked over
// every parity check before returning). ok = false means the block failed.
// The error, wrapping ErrDecodeInput, is only about the arguments.
func (d *Decoder) Decode(llr []float32, syndrome []uint8, out []uint8) (iterations int, ok bool, err error) {
	n, m := d.code.N(), d.code.M()
	if len(llr) != n || len(syndrome) != m || len(out) != n {
		return 0, false, fmt.Errorf("%w: want %d LLRs, %d syndrome bits, %d outputs; got %d, %d, %d",
			ErrDecodeInput, n, m, n, len(llr), len(syndrome), len(out))
	}
	for i, s := range syndrome {
		if s > 1 {
			return 0, false, fmt.Errorf("%w: syndrome bit %d is %d, want 0 or 1", ErrDecodeInput, i, s)
		}
	}
	p := d.p[:n]
	for i, l := range llr[:n] {
		switch {
		case l > decLLRClamp:
			l = decLLRClamp
		case l < -decLLRClamp:
			l = -decLLRClamp
		case l != l: // NaN carries no information
			l = 0
		}
		p[i] = l
	}
	clear(d.r)
	for it := 1; it <= d.maxIter; it++ {
		if d.iterate(syndrome) == 0 {
			// Every check was satisfied by the posteriors it read during
			// this iteration; confirm on the final decisions.
			if d.decide(syndrome, out) {
				return it, true, nil
			}
		}
	}
	return d.maxIter, d.decide(syndrome, out), nil
}

// decide writes the hard decisions (the posterior's sign bit) to out and
// reports whether they satisfy the syndrome.
func (d *Decoder) decide(syndrome, out []uint8) bool {
	out = out[:len(d.p)]
	for i, v := range d.p {
		out[i] = uint8(math.Float32bits(v) >> 31)
	}
	if err := d.code.Syndrome(out, d.synd); err != nil {
		return false // lengths were checked by Decode
	}
	syndrome = syndrome[:len(d.synd)]
	for i, s := range d.synd {
		if s != syndrome[i] {
			return false
		}
	}
	return true
}

// iterate runs one layered iteration and returns the number of checks that
// the posteriors did not satisfy when their layer read them.
func (d *Decoder) iterate(syndrome []uint8) (unsatisfied int) {
	z := d.z
	chunk := min(decChunk, z)
	p, msgs := d.p, d.r
	for row := 0; row+1 < len(d.layers); row++ {
		layer := d.edges[d.layers[row]:d.layers[row+1]]
		synRow := syndrome[row*z : (row+1)*z]
		for j0 := 0; j0 < z; j0 += chunk {
			n := min(chunk, z-j0)
			sum, sgn, parity := d.sum[:n], d.sgn[:n], d.parity[:n]
			decInit(synRow[j0:j0+n], sgn, parity, sum)
			for k, e := range layer {
				r := msgs[e.msg+j0 : e.msg+j0+n]
				t, f := d.t[k*chunk:k*chunk+n], d.f[k*chunk:k*chunk+n]
				start := j0 + e.shift
				if start >= z {
					start -= z
				}
				a := min(n, z-start)
				decGather(p[e.col+start:e.col+start+a], r[:a], t[:a], f[:a], sum[:a], sgn[:a], parity[:a])
				if a < n {
					decGather(p[e.col:e.col+n-a], r[a:], t[a:], f[a:], sum[a:], sgn[a:], parity[a:])
				}
			}
			unsatisfied += decCount(parity)
			for k, e := range layer {
				r := msgs[e.msg+j0 : e.msg+j0+n]
				t, f := d.t[k*chunk:k*chunk+n], d.f[k*chunk:k*chunk+n]
				start := j0 + e.shift
				if start >= z {
					start -= z
				}
				a := min(n, z-start)
				decScatter(p[e.col+start:e.col+start+a], r[:a], t[:a], f[:a], sum[:a], sgn[:a])
				if a < n {
					decScatter(p[e.col:e.col+n-a], r[a:], t[a:], f[a:], sum[a:], sgn[a:])
				}
			}
		}
	}
	return unsatisfied
}

// decInit starts the per-check accumulators of a chunk: the sign product
// and the parity at the syndrome bit (as a sign bit), the sum of φ at 0.
func decInit(syn []uint8, sgn, parity []uint32, sum []float32) {
	n := len(syn)
	sgn, parity, sum = sgn[:n], parity[:n], sum[:n]
	if k := decInitVector(syn, sgn, parity, sum); k > 0 {
		syn, sgn, parity, sum = syn[k:], sgn[k:], parity[k:], sum[k:]
	}
	decInitGo(syn, sgn, parity, sum)
}

// decInitGo is decInit's loop in Go.
func decInitGo(syn []uint8, sgn, parity []uint32, sum []float32) {
	n := len(syn)
	sgn, parity, sum = sgn[:n], parity[:n], sum[:n]
	for i, s := range syn {
		b := uint32(s) << 31
		sgn[i], parity[i], sum[i] = b, b, 0
	}
}

// decCount returns the number of checks whose parity (sign bit) is odd:
// those the posteriors did not satisfy.
func decCount(parity []uint32) int {
	count, k := decCountVector(parity)
	return count + decCountGo(parity[k:])
}

// decCountGo is decCount's loop in Go.
func decCountGo(parity []uint32) int {
	count := 0
	for _, b := range parity {
		count += int(b >> 31)
	}
	return count
}

// decGather is the first half of a layer update for one run of one
// circulant: the extrinsic input t = posterior − old message, its φ, and the
// per-check accumulators (Σφ, sign product, parity of the posteriors' signs).
func decGather(p, r, t, f, sum []float32, sgn, parity []uint32) {
	n := len(p)
	r, t, f, sum, sgn, parity = r[:n], t[:n], f[:n], sum[:n], sgn[:n], parity[:n]
	if k := decGatherVector(p, r, t, f, sum, sgn, parity); k > 0 {
		p, r, t, f, sum, sgn, parity = p[k:], r[k:], t[k:], f[k:], sum[k:], sgn[k:], parity[k:]
	}
	decGatherGo(p, r, t, f, sum, sgn, parity)
}

// decGatherGo is decGather's loop in Go (the vector kernel's reference).
func decGatherGo(p, r, t, f, sum []float32, sgn, parity []uint32) {
	n := len(p)
	r, t, f, sum, sgn, parity = r[:n], t[:n], f[:n], sum[:n], sgn[:n], parity[:n]
	for i, pv := range p {
		tv := pv - r[i]
		t[i] = tv
		tb := math.Float32bits(tv)
		fv := decPhi[(tb<<1)>>(32-8-decPhiMant)]
		f[i] = fv
		sum[i] += fv
		sgn[i] ^= tb
		parity[i] ^= math.Float32bits(pv)
	}
}

// decScatter is the second half: the new check-to-variable message
// φ(Σφ − φ(|t|)) with the sign of the other inputs, and the new posterior.
// A slightly negative difference (rounding) reads as its magnitude.
func decScatter(p, r, t, f, sum []float32, sgn []uint32) {
	n := len(p)
	r, t, f, sum, sgn = r[:n], t[:n], f[:n], sum[:n], sgn[:n]
	if k := decScatterVector(p, r, t, f, sum, sgn); k > 0 {
		p, r, t, f, sum, sgn = p[k:], r[k:], t[k:], f[k:], sum[k:], sgn[k:]
	}
	decScatterGo(p, r, t, f, sum, sgn)
}

// decScatterGo is decScatter's loop in Go (the vector kernel's reference).
func decScatterGo(p, r, t, f, sum []float32, sgn []uint32) {
	n := len(p)
	r, t, f, sum, sgn = r[:n], t[:n], f[:n], sum[:n], sgn[:n]
	for i := range p {
		tv := t[i]
		mag := decPhi[(math.Float32bits(sum[i]-f[i])<<1)>>(32-8-decPhiMant)]
		rv := math.Float32frombits(math.Float32bits(mag) | (sgn[i]^math.Float32bits(tv))&decSignBit)
		r[i] = rv
		p[i] = tv + rv
	}
}
