package qcldpc

import (
	"fmt"
	"math"
)

// Protograph is a base matrix with edge multiplicities: B[r*Cols+c] edges
// join check r and variable c. Punctured lists the base columns whose bits
// the channel never carries.
type Protograph struct {
	Rows, Cols int
	B          []uint8
	Punctured  []int
}

// At is the number of edges between check r and variable c.
func (p *Protograph) At(r, c int) int { return int(p.B[r*p.Cols+c]) }

// Rate is the design rate of the protograph as a punctured code:
// (Cols − Rows) / (Cols − len(Punctured)).
func (p *Protograph) Rate() float64 {
	return float64(p.Cols-p.Rows) / float64(p.Cols-len(p.Punctured))
}

// Validate checks the shape and that every variable and check has an edge.
func (p *Protograph) Validate() error {
	if p.Rows < 1 || p.Cols <= p.Rows || len(p.B) != p.Rows*p.Cols {
		return fmt.Errorf("%w: protograph %d×%d with %d entries", ErrInvalidCode, p.Rows, p.Cols, len(p.B))
	}
	for r := 0; r < p.Rows; r++ {
		d := 0
		for c := 0; c < p.Cols; c++ {
			d += p.At(r, c)
		}
		if d == 0 {
			return fmt.Errorf("%w: protograph row %d has no edge", ErrInvalidCode, r)
		}
	}
	for c := 0; c < p.Cols; c++ {
		d := 0
		for r := 0; r < p.Rows; r++ {
			d += p.At(r, c)
		}
		if d == 0 {
			return fmt.Errorf("%w: protograph column %d has no edge", ErrInvalidCode, c)
		}
	}
	for _, c := range p.Punctured {
		if c < 0 || c >= p.Cols {
			return fmt.Errorf("%w: punctured column %d outside [0, %d)", ErrInvalidCode, c, p.Cols)
		}
	}
	return nil
}

// ColumnChannel says what the decoder knows of the bits of one base column:
// a fraction Shortened of them are known (infinite LLR), a fraction
// Punctured are unknown (LLR 0), the rest come through the channel.
type ColumnChannel struct {
	Shortened, Punctured float64
}

// channels returns the per-column channel state of the protograph itself
// (its punctured columns fully punctured), with extra fractions added.
func (p *Protograph) channels(extra []ColumnChannel) []ColumnChannel {
	ch := make([]ColumnChannel, p.Cols)
	if extra != nil {
		copy(ch, extra)
	}
	for _, c := range p.Punctured {
		ch[c] = ColumnChannel{Punctured: 1}
	}
	return ch
}

// SNRFromSigma converts the noise standard deviation of BPSK ±1 on the AWGN
// channel into the signal-to-noise ratio per channel use, 1/σ².
func SNRFromSigma(sigma float64) float64 { return 1 / (sigma * sigma) }

// SigmaFromSNR is the inverse of SNRFromSigma.
func SigmaFromSNR(snr float64) float64 { return 1 / math.Sqrt(snr) }

// BIAWGNCapacity is the capacity in bit per channel use of the binary-input
// AWGN channel with BPSK ±1 at signal-to-noise ratio snr = 1/σ²:
// 1 − E[log2(1 + e^{−L})] with L ~ N(2·snr, 4·snr).
func BIAWGNCapacity(snr float64) float64 {
	if snr <= 0 {
		return 0
	}
	return 1 - expectSoftplusLog2(2*snr, 2*math.Sqrt(snr), 12, 4000)
}

// expectSoftplusLog2 is E[log2(1 + e^{−L})] for L ~ N(mu, sd²), by Simpson's
// rule with steps (even) intervals over mu ± span·sd.
func expectSoftplusLog2(mu, sd, span float64, steps int) float64 {
	lo, hi := mu-span*sd, mu+span*sd
	h := (hi - lo) / float64(steps)
	sum := 0.0
	for i := 0; i <= steps; i++ {
		u := lo + float64(i)*h
		z := (u - mu) / sd
		f := math.Exp(-z*z/2) * softplusNeg(u)
		w := 2.0
		if i == 0 || i == steps {
			w = 1
		} else if i%2 == 1 {
			w = 4
		}
		sum += w * f
	}
	return sum * h / 3 / (sd * math.Sqrt(2*math.Pi)) / math.Ln2
}

// softplusNeg is ln(1 + e^{−u}) without overflow.
func softplusNeg(u float64) float64 {
	if u > 0 {
		return math.Log1p(math.Exp(-u))
	}
	return -u + math.Log1p(math.Exp(u))
}

// GaussianCapacity is ½·log2(1 + snr), the capacity per quadrature of the
// Gaussian channel, which reconciliation efficiency β is measured against.
func GaussianCapacity(snr float64) float64 { return 0.5 * math.Log2(1+snr) }

// Beta is the reconciliation efficiency R / (½·log2(1 + snr)) of a code of
// rate r used at signal-to-noise ratio snr.
func Beta(rate, snr float64) float64 { return rate / GaussianCapacity(snr) }

// BIAWGNShannonSNR is the smallest snr at which the binary-input AWGN
// channel has capacity rate (bisection on BIAWGNCapacity).
func BIAWGNShannonSNR(rate float64) float64 {
	lo, hi := 1e-6, 1e3
	for i := 0; i < 80; i++ {
		mid := math.Sqrt(lo * hi)
		if BIAWGNCapacity(mid) < rate {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Sqrt(lo * hi)
}

// splitMix64 is the SplitMix64 generator (Steele, Lea, Flood 2014), the one
// pseudo-random source of code construction: fixed here so that both
// stations build the same code from the same description.
type splitMix64 struct{ state uint64 }

func (s *splitMix64) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, bound) by rejection (bound > 0).
func (s *splitMix64) below(bound uint64) uint64 {
	limit := -bound % bound // 2^64 mod bound
	for {
		v := s.next()
		if v >= limit {
			return v % bound
		}
	}
}

// DegreeTwoForest reports whether the variables of degree 1 and 2, with
// their checks, form a forest in which no tree holds two variables of
// degree 1. A cycle through degree-2 variables, or a path between two of
// degree 1, lifts to codewords whose weight is set by the length of the
// lifted cycle or path, not by the code's length; a decoder near threshold
// converges to them (FamilyHigh's codewords of 24–32 bits come from a
// column with two edges to one check). Every family ForRate uses passes at
// every row count.
func (p *Protograph) DegreeTwoForest() bool {
	parent := make([]int, p.Rows+p.Cols) // checks 0..Rows-1, then variables
	ones := make([]int, len(parent))     // degree-1 variables under each root
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for c := 0; c < p.Cols; c++ {
		deg := 0
		for r := 0; r < p.Rows; r++ {
			deg += p.At(r, c)
		}
		if deg > 2 {
			continue
		}
		v := p.Rows + c
		if deg == 1 {
			ones[v] = 1
		}
		for r := 0; r < p.Rows; r++ {
			for e := 0; e < p.At(r, c); e++ {
				a, b := find(v), find(r)
				if a == b {
					return false // a cycle
				}
				parent[a] = b
				ones[b] += ones[a]
				if ones[b] > 1 {
					return false // a path between two degree-1 variables
				}
			}
		}
	}
	return true
}
