package postprocessing

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// ErrInvalidPA is wrapped by every error about privacy-amplification
// parameters or inputs (PA_ERROR).
var ErrInvalidPA = errors.New("invalid privacy amplification")

// errFFTPrecision reports an FFT product too far from an integer to round
// safely; with float64 and the lengths allowed here it cannot happen (see
// toeplitzFFT), and it is checked rather than assumed.
var errFFTPrecision = errors.New("toeplitz: FFT result not within 1/4 of an integer")

// naiveCutoff is the size n·m below which the direct product is used.
const naiveCutoff = 1 << 16

// toeplitzChunk is the fewest input bits one FFT product takes: an input
// longer than max(m, toeplitzChunk) is hashed by column chunks of that
// width w, each an m×w Toeplitz product of its own window of diagonals
// (toeplitzFFT). The hash is the same; the FFT's length, and so its memory
// (about 40 bytes per point), stays within m + w whatever n. A variable so
// that tests can make it small.
var toeplitzChunk = 1 << 22

// ToeplitzHash returns T·x over GF(2) for the m×n Toeplitz matrix
// T[i][j] = diag[i − j + n − 1] (i < m, j < n), where n = len(x) and diag
// holds the n+m−1 diagonals: row i reads diag[i+n−1], diag[i+n−2], …, diag[i]
// from left to right, so diag[0] is the top-right corner and diag[n+m−2] the
// bottom-left one. Bits are one per byte (low bit read). Large inputs go through a real FFT
// (O((n+m) log(n+m)), in column chunks beyond toeplitzChunk bits), small
// ones through the direct product.
func ToeplitzHash(diag, x []uint8, m int) ([]uint8, error) {
	n := len(x)
	if n < 1 || m < 1 {
		return nil, fmt.Errorf("%w: Toeplitz hash of %d bits to %d bits", ErrInvalidPA, n, m)
	}
	if len(diag) != n+m-1 {
		return nil, fmt.Errorf("%w: %d diagonal bits for a %d×%d matrix, want %d", ErrInvalidPA, len(diag), m, n, n+m-1)
	}
	if int64(n)*int64(m) <= naiveCutoff {
		return toeplitzNaive(diag, x, m), nil
	}
	return toeplitzFFT(diag, x, m, min(n, max(m, toeplitzChunk)))
}

// toeplitzNaive is the direct O(n·m) product, the reference of the tests.
func toeplitzNaive(diag, x []uint8, m int) []uint8 {
	n := len(x)
	out := make([]uint8, m)
	for i := 0; i < m; i++ {
		var acc uint8
		for j := 0; j < n; j++ {
			acc ^= diag[i-j+n-1] & x[j] & 1
		}
		out[i] = acc
	}
	return out
}

// toeplitzFFT computes y_i = Σ_j diag[i−j+n−1]·x_j by column chunks of
// width w (w = n: one chunk). Chunk k covers the columns [j0, j0+w) with
// j0 = n − (K−k)·w, K = ⌈n/w⌉ (the first may start below 0, where x is 0):
// it is the m×w Toeplitz product with diagonals d[t] = diag[t + n − w − j0],
// t < m + w − 1 (0 outside diag: such entries meet only the zero columns),
// whose entries i are the entries w−1+i of the cyclic convolution of d and
// the chunk over a length L ≥ m + w − 1 (none wraps around: the linear
// convolution has length m + 2w − 2 and the entries read alias only with
// indices ≥ w−1+L). The chunks' spectra products are summed, so one inverse
// transform gives every y_i, which is rounded and reduced mod 2.
//
// Exactness: the true entries are integers in [0, n]. The rounding error of
// a float64 FFT convolution is bounded by c·log2(L)·u·‖d‖₂·‖x‖₂ (u = 2^-53,
// c a small constant; Higham, Accuracy and Stability of Numerical
// Algorithms, §24.1), summed over the chunks at most about
// 3·26·2^-53·(n/w)·√((m+w)·w) ≈ 4e-6 at n = MaxPAInputBits, m =
// MaxPAOutputBits, w = 2^22, far below the 1/2 needed for exact rounding.
// Every entry is nevertheless checked to lie within 1/4 of an integer, and
// an error is returned otherwise, so a wrong bit is never produced silently.
func toeplitzFFT(diag, x []uint8, m, w int) ([]uint8, error) {
	n := len(x)
	L := smoothLength(m + w - 1)
	fft := fourier.NewFFT(L)
	a, b := make([]float64, L), make([]float64, L)
	var acc, A, B []complex128
	chunks := (n + w - 1) / w
	for k := range chunks {
		j0 := n - (chunks-k)*w
		clear(a)
		off := n - w - j0 // diag index of d[0]
		for t := range m + w - 1 {
			if i := t + off; i >= 0 && i < len(diag) {
				a[t] = float64(diag[i] & 1)
			}
		}
		clear(b)
		for j := max(j0, 0); j < j0+w; j++ {
			b[j-j0] = float64(x[j] & 1)
		}
		A = fft.Coefficients(A, a)
		B = fft.Coefficients(B, b)
		if acc == nil {
			acc = make([]complex128, len(A))
		}
		for i := range A {
			acc[i] += A[i] * B[i]
		}
	}
	c := fft.Sequence(a, acc) // reuse a; unnormalised: divide by L
	out := make([]uint8, m)
	scale := 1 / float64(L)
	for i := range out {
		v := c[i+w-1] * scale
		r := math.Round(v)
		if math.Abs(v-r) > 0.25 || r < 0 {
			return nil, fmt.Errorf("%w at output bit %d (%g)", errFFTPrecision, i, v)
		}
		out[i] = uint8(int64(r) & 1)
	}
	return out, nil
}

// maxFFTFactors is the most factors the real FFT (gonum's fftpack) can
// split a length into: it keeps the length, the count and the factors in an
// array of 15, and a length with more factors panics inside the library
// (seen at 50 km with 10^7 symbols: privacy amplification of 9 420 534 bits
// to 105 917).
const maxFFTFactors = 13

// fftFactors counts the factors fftpack splits n = 2^a·3^b·5^c into: fours
// first, then a two, then threes and fives.
func fftFactors(n int) int {
	k := 0
	for n%4 == 0 {
		n /= 4
		k++
	}
	for _, p := range []int{2, 3, 5} {
		for n%p == 0 {
			n /= p
			k++
		}
	}
	if n != 1 {
		k++ // not smooth: never chosen
	}
	return k
}

// smoothLength returns the smallest 2^a·3^b·5^c ≥ n that the mixed-radix
// FFT handles, fast, with at most maxFFTFactors factors.
func smoothLength(n int) int {
	best := math.MaxInt
	for p5 := 1; p5 < 2*n; p5 *= 5 {
		for p35 := p5; p35 < 2*n; p35 *= 3 {
			v := p35
			for v < n {
				v *= 2
			}
			if fftFactors(v) <= maxFFTFactors {
				best = min(best, v)
			}
		}
	}
	return best
}
