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

// Boxplus correction table: corr(z) = ln(1 + e^{-z}) for z in [0, corrMax),
// sampled every 1/corrScale at bin centres (absolute error below 0.004).
const (
	corrScale = 64
	corrMax   = 16
)

var corrTable = func() [corrScale * corrMax]float32 {
	var t [corrScale * corrMax]float32
	for i := range t {
		z := (float64(i) + 0.5) / corrScale
		t[i] = float32(math.Log1p(math.Exp(-z)))
	}
	return t
}()

func corr(z float32) float32 {
	i := int(z * corrScale)
	if i >= corrScale*corrMax {
		return 0
	}
	return corrTable[i]
}

// boxplus is the exact sum-product check rule for two LLRs,
// 2·atanh(tanh(a/2)·tanh(b/2)) = sign(a)sign(b)·[min(|a|,|b|) + ln(1+e^{−(|a|+|b|)}) − ln(1+e^{−||a|−|b||})],
// with the two logarithms read from a table.
func boxplus(a, b float32) float32 {
	aa, ab := abs32(a), abs32(b)
	r := min(aa, ab) + corr(aa+ab) - corr(abs32(aa-ab))
	if r < 0 {
		r = 0
	}
	if (a < 0) != (b < 0) {
		return -r
	}
	return r
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// Decoder decodes syndromes of one parity-check matrix by belief propagation:
// layered (row by row) sum-product in the log-likelihood domain. A Decoder
// holds scratch buffers: use one per goroutine.
type Decoder struct {
	h       *ParityCheck
	maxIter int
	r       []float32 // check-to-variable messages, one per edge (row order)
	p       []float32 // posterior LLRs per variable
	t       []float32 // scratch: extrinsic inputs of one row
	fwd     []float32 // scratch: forward partial boxplus
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
			if deg == 1 {
				v := float32(llrClamp)
				if syndrome[row]&1 == 1 {
					v = -v
				}
				rr[0] = v
				P[cols[0]] = tt[0] + v
				continue
			}
			// forward partial sums fwd[i] = t0 ⊞ … ⊞ t_i
			ff := fwd[:deg]
			ff[0] = tt[0]
			for i := 1; i < deg-1; i++ {
				ff[i] = boxplus(ff[i-1], tt[i])
			}
			flip := syndrome[row]&1 == 1
			// backward sweep: b = t_{i+1} ⊞ … ⊞ t_{deg-1}
			b := tt[deg-1]
			v := ff[deg-2]
			if flip {
				v = -v
			}
			rr[deg-1] = v
			P[cols[deg-1]] = tt[deg-1] + v
			for i := deg - 2; i >= 1; i-- {
				v = boxplus(ff[i-1], b)
				if flip {
					v = -v
				}
				rr[i] = v
				P[cols[i]] = tt[i] + v
				b = boxplus(b, tt[i])
			}
			v = b
			if flip {
				v = -v
			}
			rr[0] = v
			P[cols[0]] = tt[0] + v
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
