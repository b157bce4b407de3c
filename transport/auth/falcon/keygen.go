package falcon

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
)

// Key generation (NTRUGen of the specification): f and g with
// coefficients of a discrete Gaussian of deviation 1.17·sqrt(Q/2N), kept
// when the Gram–Schmidt norm of the basis is at most 1.17·sqrt(Q) and f is
// invertible modulo Q; F and G solve f·G − g·F = Q through the tower of
// field norms (NTRUSolve), each level reduced against (f, g) by Babai's
// round-off in floating point.

// genSigma is the deviation of the samples summed into a coefficient of f
// or g: 4096/N of them make a deviation of 1.17·sqrt(Q/8192)·sqrt(4096/N)
// = 1.17·sqrt(Q/2N).
const genSigma = 1.43300980528773

// maxBasisCoefficient bounds |F| and |G| of generated keys (the
// specification's encoding holds them in 8 signed bits).
const maxBasisCoefficient = 127

var errNoSolution = errors.New("falcon: NTRU equation has no solution for this f, g")

// GenerateKey generates a Falcon-512 key pair from rnd (crypto/rand when
// nil).
func GenerateKey(rnd io.Reader) (*PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	s, err := newSampler(rnd)
	if err != nil {
		return nil, err
	}
	s.sigmin = genSigma - 0.001
	for attempt := 0; attempt < 1000; attempt++ {
		f, g := genPoly(s, N), genPoly(s, N)
		if gsNormSquared(f, g) > 1.17*1.17*Q {
			continue
		}
		if _, ok := divq(g, f); !ok {
			continue
		}
		F, G, err := ntruSolve(toBig(f), toBig(g))
		if err != nil {
			continue
		}
		Fi, okF := smallInts(F, maxBasisCoefficient)
		Gi, okG := smallInts(G, maxBasisCoefficient)
		if !okF || !okG {
			continue
		}
		return NewPrivateKey(f, g, Fi, Gi)
	}
	return nil, fmt.Errorf("falcon: key generation did not succeed in 1000 attempts")
}

// genPoly draws n coefficients, each the sum of 4096/n samples of
// deviation genSigma.
func genPoly(s *sampler, n int) []int64 {
	k := 4096 / n
	out := make([]int64, n)
	for i := range out {
		for j := 0; j < k; j++ {
			out[i] += int64(s.sampleZ(0, genSigma))
		}
	}
	return out
}

// gsNormSquared returns the larger squared norm of the two Gram–Schmidt
// vectors of the basis: (g, −f) and q·(f̄, ḡ)/(f·f̄ + g·ḡ).
func gsNormSquared(f, g []int64) float64 {
	n := len(f)
	ff, gf := make([]float64, n), make([]float64, n)
	var a float64
	for i := range f {
		ff[i], gf[i] = float64(f[i]), float64(g[i])
		a += ff[i]*ff[i] + gf[i]*gf[i]
	}
	fF, gF := fft(ff), fft(gf)
	// Parseval in this domain: ||p||² = (1/n)·Σ|p(w)|².
	var b float64
	for i := range fF {
		den := real(fF[i])*real(fF[i]) + imag(fF[i])*imag(fF[i]) + real(gF[i])*real(gF[i]) + imag(gF[i])*imag(gF[i])
		b += Q * Q / den // |q·f̄/den|² + |q·ḡ/den|² = q²/den
	}
	b /= float64(n)
	return math.Max(a, b)
}

func toBig(a []int64) []*big.Int {
	out := make([]*big.Int, len(a))
	for i, v := range a {
		out[i] = big.NewInt(v)
	}
	return out
}

func smallInts(a []*big.Int, bound int64) ([]int64, bool) {
	out := make([]int64, len(a))
	for i, v := range a {
		if !v.IsInt64() || v.Int64() < -bound || v.Int64() > bound {
			return nil, false
		}
		out[i] = v.Int64()
	}
	return out, true
}

// bigMul returns a·b in Z[x]/(x^n + 1).
func bigMul(a, b []*big.Int) []*big.Int {
	n := len(a)
	out := make([]*big.Int, n)
	for i := range out {
		out[i] = new(big.Int)
	}
	t := new(big.Int)
	for i, x := range a {
		if x.Sign() == 0 {
			continue
		}
		for j, y := range b {
			t.Mul(x, y)
			if k := i + j; k < n {
				out[k].Add(out[k], t)
			} else {
				out[k-n].Sub(out[k-n], t)
			}
		}
	}
	return out
}

// fieldNorm maps a = a0(x²) + x·a1(x²) of degree < n to a0² − x·a1² of
// degree < n/2 (the norm from Z[x]/(x^n+1) to Z[x]/(x^(n/2)+1)).
func fieldNorm(a []*big.Int) []*big.Int {
	h := len(a) / 2
	ae, ao := make([]*big.Int, h), make([]*big.Int, h)
	for i := 0; i < h; i++ {
		ae[i], ao[i] = a[2*i], a[2*i+1]
	}
	e2, o2 := bigMul(ae, ae), bigMul(ao, ao)
	res := e2
	for i := 0; i < h-1; i++ {
		res[i+1].Sub(res[i+1], o2[i])
	}
	res[0].Add(res[0], o2[h-1])
	return res
}

// lift maps a(x) to a(x²) in the ring of twice the degree.
func lift(a []*big.Int) []*big.Int {
	out := make([]*big.Int, 2*len(a))
	for i := range out {
		if i%2 == 0 {
			out[i] = new(big.Int).Set(a[i/2])
		} else {
			out[i] = new(big.Int)
		}
	}
	return out
}

// conjugate returns a(−x).
func conjugate(a []*big.Int) []*big.Int {
	out := make([]*big.Int, len(a))
	for i, v := range a {
		out[i] = new(big.Int).Set(v)
		if i%2 == 1 {
			out[i].Neg(out[i])
		}
	}
	return out
}

// ntruSolve returns F, G with f·G − g·F = Q in Z[x]/(x^n + 1).
func ntruSolve(f, g []*big.Int) (F, G []*big.Int, err error) {
	if len(f) == 1 {
		u, v := new(big.Int), new(big.Int)
		d := new(big.Int).GCD(u, v, f[0], g[0])
		if d.Cmp(big.NewInt(1)) != 0 {
			return nil, nil, errNoSolution
		}
		// f·u + g·v = 1, so F = −Q·v, G = Q·u.
		q := big.NewInt(Q)
		return []*big.Int{new(big.Int).Neg(new(big.Int).Mul(q, v))}, []*big.Int{new(big.Int).Mul(q, u)}, nil
	}
	Fp, Gp, err := ntruSolve(fieldNorm(f), fieldNorm(g))
	if err != nil {
		return nil, nil, err
	}
	F = bigMul(lift(Fp), conjugate(g))
	G = bigMul(lift(Gp), conjugate(f))
	return F, G, reduceBasis(f, g, F, G)
}

// bitsize is the size of the largest |coefficient|, rounded up to bytes.
func bitsize(a []*big.Int) int {
	m := 0
	for _, v := range a {
		if b := (v.BitLen() + 7) / 8 * 8; b > m {
			m = b
		}
	}
	return m
}

// topBits returns the coefficients shifted right by shift, as floats.
func topBits(a []*big.Int, shift int) []float64 {
	out := make([]float64, len(a))
	t := new(big.Int)
	for i, v := range a {
		t.Rsh(v, uint(shift))
		out[i] = float64(t.Int64())
	}
	return out
}

// reduceBasis makes (F, G) short against (f, g) in place: with the top 53
// bits of each, k = round((F·f̄ + G·ḡ)/(f·f̄ + g·ḡ)) and (F, G) −= k·(f, g)
// scaled back, until k is zero or (F, G) is no larger than (f, g).
func reduceBasis(f, g, F, G []*big.Int) error {
	n := len(f)
	size := max(53, bitsize(f), bitsize(g))
	fa, ga := fft(topBits(f, size-53)), fft(topBits(g, size-53))
	den := make([]float64, n)
	for i := range fa {
		den[i] = real(fa[i])*real(fa[i]) + imag(fa[i])*imag(fa[i]) + real(ga[i])*real(ga[i]) + imag(ga[i])*imag(ga[i])
	}
	for iter := 0; ; iter++ {
		if iter > 10000 {
			return errNoSolution
		}
		Size := max(53, bitsize(F), bitsize(G))
		if Size < size {
			return nil
		}
		Fa, Ga := fft(topBits(F, Size-53)), fft(topBits(G, Size-53))
		kf := make([]complex128, n)
		for i := range kf {
			num := Fa[i]*complex(real(fa[i]), -imag(fa[i])) + Ga[i]*complex(real(ga[i]), -imag(ga[i]))
			kf[i] = num / complex(den[i], 0)
		}
		kr := ifft(kf)
		k := make([]*big.Int, n)
		zero := true
		for i, v := range kr {
			r := math.Round(v)
			if math.IsNaN(r) || math.IsInf(r, 0) || math.Abs(r) > 1<<62 {
				return errNoSolution
			}
			k[i] = big.NewInt(int64(r))
			if r != 0 {
				zero = false
			}
		}
		if zero {
			return nil
		}
		fk, gk := bigMul(f, k), bigMul(g, k)
		for i := 0; i < n; i++ {
			F[i].Sub(F[i], fk[i].Lsh(fk[i], uint(Size-size)))
			G[i].Sub(G[i], gk[i].Lsh(gk[i], uint(Size-size)))
		}
	}
}
