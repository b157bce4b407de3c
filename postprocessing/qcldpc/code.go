// Package qcldpc owns the quasi-cyclic LDPC codes that reconcile CV-QKD keys
// at low signal-to-noise ratios: protograph ensembles and their
// density-evolution thresholds, the deterministic quasi-cyclic lifting of a
// protograph into a parity-check matrix, rate adaptation, and the layered
// belief-propagation decoder that runs on the lifted structure.
//
// Like its parent package it is pure computation: no protocol, no I/O. The
// parity-check matrix of a Code is never stored element by element; it is
// the list of its circulants, which is all the decoder streams over.
package qcldpc

import (
	"errors"
	"fmt"
	"slices"
)

// ErrInvalidCode is wrapped by every error about a code description or a
// lifted code that cannot be used.
var ErrInvalidCode = errors.New("invalid quasi-cyclic LDPC code")

// Circulant is one Z×Z circulant permutation matrix of a lifted protograph:
// parity check Row·Z + j involves variable Col·Z + (j+Shift) mod Z, for every
// j in [0, Z). At most one circulant sits at each (Row, Col): parallel
// protograph edges are removed by a copy-and-permute pre-lift before the
// circulant lifting (see Lift).
type Circulant struct {
	Row, Col, Shift int32
}

// Code is a protograph lifted by Z: BaseRows·Z parity checks over BaseCols·Z
// bits. Circulants are sorted by Row, then Col, then Shift.
//
// Punctured lists base columns whose bits the channel never carries: the
// decoder is given LLR 0 for them. Rate adaptation by shortening or
// puncturing single bits is expressed through the LLRs handed to the
// decoder, not through the Code.
type Code struct {
	Z                  int
	BaseRows, BaseCols int
	Circulants         []Circulant
	Punctured          []int32
}

// N is the lifted block length (bits, punctured ones included).
func (c *Code) N() int { return c.BaseCols * c.Z }

// M is the number of parity checks, i.e. syndrome bits per block.
func (c *Code) M() int { return c.BaseRows * c.Z }

// Edges is the number of ones in the lifted parity-check matrix.
func (c *Code) Edges() int { return len(c.Circulants) * c.Z }

// Validate checks the structural invariants every consumer relies on.
func (c *Code) Validate() error {
	switch {
	case c.Z < 1:
		return fmt.Errorf("%w: lifting size z = %d, want ≥ 1", ErrInvalidCode, c.Z)
	case c.BaseRows < 1 || c.BaseCols <= c.BaseRows:
		return fmt.Errorf("%w: base matrix %d×%d, want 1 ≤ rows < columns", ErrInvalidCode, c.BaseRows, c.BaseCols)
	}
	for i, e := range c.Circulants {
		if e.Row < 0 || int(e.Row) >= c.BaseRows || e.Col < 0 || int(e.Col) >= c.BaseCols || e.Shift < 0 || int(e.Shift) >= c.Z {
			return fmt.Errorf("%w: circulant %d (%d, %d, shift %d) outside the %d×%d base matrix lifted by %d",
				ErrInvalidCode, i, e.Row, e.Col, e.Shift, c.BaseRows, c.BaseCols, c.Z)
		}
		if i > 0 {
			p := c.Circulants[i-1]
			if p.Row == e.Row && p.Col == e.Col {
				return fmt.Errorf("%w: circulants %d and %d both at (%d, %d)", ErrInvalidCode, i-1, i, e.Row, e.Col)
			}
			if cmpCirculant(p, e) >= 0 {
				return fmt.Errorf("%w: circulants not sorted at %d", ErrInvalidCode, i)
			}
		}
	}
	for _, p := range c.Punctured {
		if p < 0 || int(p) >= c.BaseCols {
			return fmt.Errorf("%w: punctured base column %d outside [0, %d)", ErrInvalidCode, p, c.BaseCols)
		}
	}
	return nil
}

func cmpCirculant(a, b Circulant) int {
	if a.Row != b.Row {
		return int(a.Row - b.Row)
	}
	if a.Col != b.Col {
		return int(a.Col - b.Col)
	}
	return int(a.Shift - b.Shift)
}

// SortCirculants puts circulants in the order Code requires.
func SortCirculants(cs []Circulant) { slices.SortFunc(cs, cmpCirculant) }

// Syndrome writes H·bits (mod 2) into out: len(bits) = N, len(out) = M,
// values 0 or 1 (only the low bit of each input is read).
func (c *Code) Syndrome(bits []uint8, out []uint8) error {
	if len(bits) != c.N() || len(out) != c.M() {
		return fmt.Errorf("%w: syndrome wants %d bits into %d, got %d into %d", ErrInvalidCode, c.N(), c.M(), len(bits), len(out))
	}
	clear(out)
	z := c.Z
	for _, e := range c.Circulants {
		row := out[int(e.Row)*z : int(e.Row+1)*z]
		col := bits[int(e.Col)*z : int(e.Col+1)*z]
		s := int(e.Shift)
		// check j reads variable (j+s) mod z
		for j, b := range col[s:] {
			row[j] ^= b & 1
		}
		for j, b := range col[:s] {
			row[z-s+j] ^= b & 1
		}
	}
	return nil
}
