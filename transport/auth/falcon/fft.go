package falcon

import (
	"math"
	"math/cmplx"
)

// Polynomials of R[x]/(x^n + 1) in the FFT domain: the n values f(w_k) at
// the roots w_k of x^n + 1, ordered so that w_{2k+1} = −w_{2k} and
// w_{2k}² is the k-th root of x^{n/2} + 1. Then
// f(x) = f0(x²) + x·f1(x²) gives f(w_{2k}) = f0(w_{2k}²) + w_{2k}·f1(w_{2k}²)
// and f(w_{2k+1}) = f0(w_{2k}²) − w_{2k}·f1(w_{2k}²): splitting and merging
// are O(n) in this domain.

// roots[l] holds the 2^l roots of x^(2^l) + 1 in that order (l >= 1).
var roots [LogN + 1][]complex128

func init() {
	angles := []float64{math.Pi / 2, 3 * math.Pi / 2}
	for l := 1; l <= LogN; l++ {
		if l > 1 {
			next := make([]float64, 2*len(angles))
			for k, a := range angles {
				next[2*k] = a / 2
				next[2*k+1] = a/2 + math.Pi
			}
			angles = next
		}
		r := make([]complex128, len(angles))
		for k, a := range angles {
			r[k] = cmplx.Rect(1, a)
		}
		roots[l] = r
	}
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

// mergeFFT returns f from f0 and f1 (each of n/2 values).
func mergeFFT(f0, f1 []complex128) []complex128 {
	n := 2 * len(f0)
	w := roots[log2(n)]
	f := make([]complex128, n)
	for k := range f0 {
		t := w[2*k] * f1[k]
		f[2*k] = f0[k] + t
		f[2*k+1] = f0[k] - t
	}
	return f
}

// splitFFT returns f0, f1 with f(x) = f0(x²) + x·f1(x²).
func splitFFT(f []complex128) (f0, f1 []complex128) {
	n := len(f)
	w := roots[log2(n)]
	f0 = make([]complex128, n/2)
	f1 = make([]complex128, n/2)
	for k := range f0 {
		f0[k] = (f[2*k] + f[2*k+1]) / 2
		f1[k] = (f[2*k] - f[2*k+1]) / 2 * cmplx.Conj(w[2*k])
	}
	return f0, f1
}

// fft maps real coefficients (len a power of two, at least 2) to the FFT
// domain.
func fft(a []float64) []complex128 {
	if len(a) == 2 {
		return []complex128{complex(a[0], a[1]), complex(a[0], -a[1])}
	}
	h := len(a) / 2
	a0, a1 := make([]float64, h), make([]float64, h)
	for i := 0; i < h; i++ {
		a0[i], a1[i] = a[2*i], a[2*i+1]
	}
	return mergeFFT(fft(a0), fft(a1))
}

// ifft is the inverse of fft (the real parts of the coefficients).
func ifft(f []complex128) []float64 {
	if len(f) == 2 {
		s, d := (f[0]+f[1])/2, (f[0]-f[1])/2
		return []float64{real(s), imag(d)}
	}
	f0, f1 := splitFFT(f)
	a0, a1 := ifft(f0), ifft(f1)
	a := make([]float64, len(f))
	for i := range a0 {
		a[2*i], a[2*i+1] = a0[i], a1[i]
	}
	return a
}

func fftInt16(a []int16, neg bool) []complex128 {
	r := make([]float64, len(a))
	for i, v := range a {
		r[i] = float64(v)
		if neg {
			r[i] = -r[i]
		}
	}
	return fft(r)
}

func addFFT(a, b []complex128) []complex128 {
	out := make([]complex128, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func mulFFT(a, b []complex128) []complex128 {
	out := make([]complex128, len(a))
	for i := range a {
		out[i] = a[i] * b[i]
	}
	return out
}

// mulAdjFFT returns a·adj(b): adj is complex conjugation in this domain.
func mulAdjFFT(a, b []complex128) []complex128 {
	out := make([]complex128, len(a))
	for i := range a {
		out[i] = a[i] * cmplx.Conj(b[i])
	}
	return out
}

// node is a node of the Falcon tree: the LDL* decomposition of a 2×2
// self-adjoint Gram matrix G = L·D·L*, with L = [[1, 0], [l10, 1]]; the
// children decompose the split halves of D's diagonal. A leaf holds the
// standard deviation sigma/sqrt(d) of the one-dimensional sampler.
type node struct {
	l10         []complex128
	left, right *node
	sigma       float64
}

// ffLDL builds the tree of G = [[g00, g01], [adj(g01), g11]] (FFT domain,
// n values each, n >= 2).
func ffLDL(g00, g01, g11 []complex128) *node {
	n := len(g00)
	l10 := make([]complex128, n)
	d11 := make([]complex128, n)
	for i := range g00 {
		l10[i] = cmplx.Conj(g01[i]) / g00[i]
		d11[i] = g11[i] - l10[i]*cmplx.Conj(l10[i])*g00[i]
	}
	nd := &node{l10: l10}
	if n == 2 {
		// D's diagonal entries are self-adjoint polynomials of degree < 2:
		// real constants, equal at both roots.
		nd.left = &node{sigma: real(g00[0])}
		nd.right = &node{sigma: real(d11[0])}
		return nd
	}
	a0, a1 := splitFFT(g00)
	nd.left = ffLDL(a0, a1, a0)
	b0, b1 := splitFFT(d11)
	nd.right = ffLDL(b0, b1, b0)
	return nd
}

// normalize replaces each leaf value d by sigma/sqrt(d).
func (nd *node) normalize(s float64) {
	if nd.left == nil {
		nd.sigma = s / math.Sqrt(nd.sigma)
		return
	}
	nd.left.normalize(s)
	nd.right.normalize(s)
}

// leaves calls fn with the standard deviation of every leaf.
func (nd *node) leaves(fn func(float64)) {
	if nd.left == nil {
		fn(nd.sigma)
		return
	}
	nd.left.leaves(fn)
	nd.right.leaves(fn)
}

// precompute the FFT of the basis B = [[g, −f], [G, −F]] and the Falcon
// tree of its Gram matrix B·B*.
func (sk *PrivateKey) precompute() {
	sk.b00 = fftInt16(sk.g[:], false)
	sk.b01 = fftInt16(sk.f[:], true)
	sk.b10 = fftInt16(sk.bigG[:], false)
	sk.b11 = fftInt16(sk.bigF[:], true)
	g00 := addFFT(mulAdjFFT(sk.b00, sk.b00), mulAdjFFT(sk.b01, sk.b01))
	g01 := addFFT(mulAdjFFT(sk.b00, sk.b10), mulAdjFFT(sk.b01, sk.b11))
	g11 := addFFT(mulAdjFFT(sk.b10, sk.b10), mulAdjFFT(sk.b11, sk.b11))
	sk.tree = ffLDL(g00, g01, g11)
	sk.tree.normalize(sigma)
}

// splitInto writes the halves f0, f1 of f (len(f) = 2·len(f0)).
func splitInto(f, f0, f1 []complex128) {
	w := roots[log2(len(f))]
	for k := range f0 {
		f0[k] = (f[2*k] + f[2*k+1]) / 2
		f1[k] = (f[2*k] - f[2*k+1]) / 2 * cmplx.Conj(w[2*k])
	}
}

// mergeInto writes f from its halves f0, f1.
func mergeInto(f0, f1, f []complex128) {
	w := roots[log2(len(f))]
	for k := range f0 {
		t := w[2*k] * f1[k]
		f[2*k] = f0[k] + t
		f[2*k+1] = f0[k] - t
	}
}

// samplingSpace holds ffSampling's scratch, one set per tree level: the
// halves of a target, the halves of a sample, and the shifted target.
type samplingSpace struct {
	a, b, za, zb, t0b [LogN][]complex128
}

func newSamplingSpace() *samplingSpace {
	ws := &samplingSpace{}
	for d := 0; d < LogN; d++ {
		n := N >> d
		ws.a[d], ws.b[d] = make([]complex128, n/2), make([]complex128, n/2)
		ws.za[d], ws.zb[d] = make([]complex128, n/2), make([]complex128, n/2)
		ws.t0b[d] = make([]complex128, n)
	}
	return ws
}

// ffSampling samples z close to t = (t0, t1) in the lattice whose tree is
// nd (Falcon's fast Fourier nearest plane, randomized) and writes it to
// z0, z1. The calls at one tree depth run one after the other, so each
// depth's scratch in ws serves them all.
func ffSampling(t0, t1 []complex128, nd *node, s *sampler, z0, z1 []complex128, ws *samplingSpace, depth int) {
	if len(t0) == 1 {
		z0[0] = complex(float64(s.sampleZ(real(t0[0]), nd.sigma)), 0)
		z1[0] = complex(float64(s.sampleZ(real(t1[0]), nd.sigma)), 0)
		return
	}
	a, b, za, zb, t0b := ws.a[depth], ws.b[depth], ws.za[depth], ws.zb[depth], ws.t0b[depth]
	splitInto(t1, a, b)
	ffSampling(a, b, nd.right, s, za, zb, ws, depth+1)
	mergeInto(za, zb, z1)
	for i := range t0 {
		t0b[i] = t0[i] + (t1[i]-z1[i])*nd.l10[i]
	}
	splitInto(t0b, a, b)
	ffSampling(a, b, nd.left, s, za, zb, ws, depth+1)
	mergeInto(za, zb, z0)
}
