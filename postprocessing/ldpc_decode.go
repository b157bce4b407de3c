package postprocessing

import (
	"fmt"
	"math"
)

// DefaultMaxIterations is the iteration bound of the belief-propagation
// decoder when none is given.
const DefaultMaxIterations = 100

// llrClamp bounds channel LLRs; larger magnitudes carry no more decision
// value and would only slow the check-node correction tables.
const llrClamp = 40

// The check-node rule is the exact sum-product rule written with
// φ(x) = −ln tanh(x/2), which is its own inverse on (0, ∞): the magnitude
// sent to edge i is φ(Σ_{j≠i} φ(|t_j|)) and its sign the product of the other
// signs (times −1 when the syndrome bit is 1). φ is read from a table indexed
// by the float32 exponent and 5 leading mantissa bits (relative step 1/32,
// value at the bin centre), over [2^-12, 2^6); below, φ(2^-12) ≈ 9.0 (so check
// messages are bounded by about 9), above, 0.
const (
	phiMantBits = 5
	phiMinExp   = 127 - 12 // biased exponent of 2^-12
	phiExps     = 18       // 2^-12 … 2^6
	phiSize     = phiExps << phiMantBits
)

var phiTable = func() [phiSize]float32 {
	var t [phiSize]float32
	for k := range t {
		e := k>>phiMantBits + phiMinExp - 127
		m := k & (1<<phiMantBits - 1)
		x := math.Ldexp(1+(float64(m)+0.5)/(1<<phiMantBits), e)
		t[k] = float32(-math.Log(math.Tanh(x / 2)))
	}
	return t
}()

// phiF is φ(x) for x ≥ 0 (x = 0 reads as the smallest tabulated value).
func phiF(x float32) float32 {
	k := int(math.Float32bits(x)>>(23-phiMantBits)) - phiMinExp<<phiMantBits
	if k < 0 {
		return phiTable[0]
	}
	if k >= phiSize {
		return 0
	}
	return phiTable[k]
}

const signBit = 1 << 31

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ signBit) }

// checkUpdate applies the sum-product rule to one check: t holds the
// variable-to-check messages, out receives the check-to-variable messages,
// flip is the syndrome bit. phis is scratch of len(t).
func checkUpdate(t, out, phis []float32, flip bool) {
	var sgn uint32
	if flip {
		sgn = signBit
	}
	var sum float32
	for i, v := range t {
		sgn ^= math.Float32bits(v) & signBit
		f := phiF(abs32(v))
		phis[i] = f
		sum += f
	}
	for i, v := range t {
		mag := phiF(max(sum-phis[i], 0))
		out[i] = math.Float32frombits(math.Float32bits(mag) | (sgn^math.Float32bits(v))&signBit)
	}
}

// Decoder decodes syndromes of one parity-check matrix by belief propagation:
// layered (row by row) sum-product in the log-likelihood domain. A Decoder
// holds scratch buffers: use one per goroutine. Sum-product rather than
// min-sum: at the low rates and SNRs of CV-QKD the min-sum approximation
// costs a noticeable part of the reconciliation efficiency, and the φ table
// makes the exact rule nearly as cheap.
type Decoder struct {
	h       *ParityCheck
	maxIter int
	r       []float32 // check-to-variable messages, one per edge (row order)
	p       []float32 // posterior LLRs per variable
	t       []float32 // scratch: extrinsic inputs of one row
	fwd     []float32 // scratch: φ of one row's inputs
	maxDeg  int
}

// NewDecoder returns a decoder for h running at most maxIterations full
// iterations (DefaultMaxIterations when maxIterations ≤ 0).
func NewDecoder(h *ParityCheck, maxIterations int) *Decoder {
	if maxIterations <= 0 {
		maxIterations = DefaultMaxIterations
	}
	maxDeg := 0
	for r := 0; r < h.m; r++ {
		maxDeg = max(maxDeg, int(h.rowPtr[r+1]-h.rowPtr[r]))
	}
	return &Decoder{
		h: h, maxIter: maxIterations,
		r: make([]float32, len(h.rowCol)), p: make([]float32, h.n),
		t: make([]float32, maxDeg), fwd: make([]float32, maxDeg), maxDeg: maxDeg,
	}
}

// Decode estimates the bits whose channel LLRs are llr (ln P(bit=0)/P(bit=1),
// length N) and whose syndrome is syndrome (length M, values 0/1). It writes
// the hard decisions into out (length N) and returns the number of iterations
// run and whether the decisions satisfy the syndrome (it stops as soon as they
// do). ok = false after the iteration bound means the block failed.
func (d *Decoder) Decode(llr []float64, syndrome []uint8, out []uint8) (iterations int, ok bool, err error) {
	h := d.h
	if len(llr) != h.n || len(out) != h.n || len(syndrome) != h.m {
		return 0, false, fmt.Errorf("%w: decoder wants %d LLRs, %d syndrome bits; got %d, %d",
			ErrInvalidCode, h.n, h.m, len(llr), len(syndrome))
	}
	for i, l := range llr {
		switch {
		case l > llrClamp:
			l = llrClamp
		case l < -llrClamp:
			l = -llrClamp
		case l != l: // NaN carries no information
			l = 0
		}
		d.p[i] = float32(l)
	}
	clear(d.r)
	if d.hardAndCheck(syndrome, out) {
		return 0, true, nil
	}
	rowPtr, rowCol, R, P := h.rowPtr, h.rowCol, d.r, d.p
	t, fwd := d.t, d.fwd
	for it := 1; it <= d.maxIter; it++ {
		for row := 0; row < h.m; row++ {
			lo, hi := rowPtr[row], rowPtr[row+1]
			deg := int(hi - lo)
			cols := rowCol[lo:hi]
			rr := R[lo:hi]
			tt := t[:deg]
			for i, c := range cols {
				tt[i] = P[c] - rr[i]
			}
			// New check messages straight into R, then the posteriors.
			checkUpdate(tt, rr, fwd[:deg], syndrome[row]&1 == 1)
			for i, c := range cols {
				P[c] = tt[i] + rr[i]
			}
		}
		if d.hardAndCheck(syndrome, out) {
			return it, true, nil
		}
	}
	return d.maxIter, false, nil
}

// hardAndCheck writes the hard decisions of the posteriors into out and
// reports whether they satisfy the syndrome.
func (d *Decoder) hardAndCheck(syndrome []uint8, out []uint8) bool {
	for i, v := range d.p {
		if v < 0 {
			out[i] = 1
		} else {
			out[i] = 0
		}
	}
	h := d.h
	for row := 0; row < h.m; row++ {
		x := syndrome[row] & 1
		for _, c := range h.rowCol[h.rowPtr[row]:h.rowPtr[row+1]] {
			x ^= out[c]
		}
		if x != 0 {
			return false
		}
	}
	return true
}
