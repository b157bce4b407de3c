package qcldpc

import (
	"fmt"
	"slices"
)

// Quasi-cyclic lifting. The protograph is first pre-lifted by a factor f
// (copy and permute with random permutations): entry b at (r, c) becomes an
// f×f block of b disjoint permutations, which removes parallel edges and
// leaves a 0/1 base matrix of f·Rows × f·Cols with the same density
// evolution. The random pre-lift also matters for the minimum distance:
// circulants alone over a base matrix of a few columns give codewords whose
// weight does not grow with Z (a few hundred bits). Every 1 of that matrix then becomes a Z×Z circulant
// whose shift is drawn from SplitMix64 (seeded by the description) in
// row-major order and redrawn until it closes no 4-cycle with the
// circulants already placed; when the 6-cycles through it are few enough to
// check cheaply (at most sixCycleBudget paths), shifts that also close no
// 6-cycle are preferred, for a girth of 8 where the protograph allows it.

const (
	// maxShiftDraws bounds the draws per circulant.
	maxShiftDraws = 64
	// sixCycleBudget bounds the 6-cycle paths examined per circulant.
	sixCycleBudget = 4096
)

// preLift returns the 0/1 base matrix of protograph p pre-lifted by f
// (f ≥ the largest multiplicity), as rows of column indices, and the
// pre-lifted punctured columns. Entry b at (r, c) becomes the f×f block
// with ones at (i, π((i+t) mod f)), t < b, where π is a permutation of f
// drawn by Fisher–Yates from rng, entries taken in row-major order.
func preLift(p *Protograph, f int, rng *splitMix64) ([][]int32, []int32) {
	rows := make([][]int32, p.Rows*f)
	perm := make([]int32, f)
	for r := 0; r < p.Rows; r++ {
		for c := 0; c < p.Cols; c++ {
			b := p.At(r, c)
			if b == 0 {
				continue
			}
			for i := range perm {
				perm[i] = int32(i)
			}
			for i := f - 1; i > 0; i-- {
				j := int(rng.below(uint64(i + 1)))
				perm[i], perm[j] = perm[j], perm[i]
			}
			for i := 0; i < f; i++ {
				for t := 0; t < b; t++ {
					rows[r*f+i] = append(rows[r*f+i], int32(c*f)+perm[(i+t)%f])
				}
			}
		}
	}
	for _, row := range rows {
		slices.Sort(row)
	}
	var punct []int32
	for _, c := range p.Punctured {
		for i := 0; i < f; i++ {
			punct = append(punct, int32(c*f+i))
		}
	}
	slices.Sort(punct)
	return rows, punct
}

// Lift builds the quasi-cyclic code of protograph p: pre-lift by f, then
// circulants of size z with shifts drawn from seed. The result has at most
// one circulant per (Row, Col) and, whenever z allows it, no 4-cycle.
func Lift(p *Protograph, f, z int, seed uint64) (*Code, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	maxB := 0
	for _, b := range p.B {
		maxB = max(maxB, int(b))
	}
	if f < maxB || f < 1 {
		return nil, fmt.Errorf("%w: pre-lift %d below the largest multiplicity %d", ErrInvalidCode, f, maxB)
	}
	if z < 1 {
		return nil, fmt.Errorf("%w: lifting size z = %d", ErrInvalidCode, z)
	}
	rows, punct := preLift(p, f, &splitMix64{state: seed ^ 0x632be59bd9b4e019})
	nCols := p.Cols * f
	colRows := make([][]int32, nCols)
	for r, row := range rows {
		for _, c := range row {
			colRows[c] = append(colRows[c], int32(r))
		}
	}
	pl := &placement{cols: nCols, shift: make([]int32, len(rows)*nCols), rowCols: make([][]int32, len(rows))}
	for i := range pl.shift {
		pl.shift[i] = -1
	}
	rng := &splitMix64{state: seed}
	code := &Code{Z: z, BaseRows: len(rows), BaseCols: nCols, Punctured: punct}
	forbid4 := make(map[int32]struct{})
	forbid6 := make(map[int32]struct{})
	for r, row := range rows {
		for _, c := range row {
			check6 := pl.forbidden(int32(r), c, z, colRows, forbid4, forbid6)
			var s int32 = -1
			fallback := int32(-1)
			for d := 0; d < maxShiftDraws; d++ {
				v := int32(rng.below(uint64(z)))
				if _, bad := forbid4[v]; bad {
					continue
				}
				if fallback < 0 {
					fallback = v
				}
				if !check6 {
					s = v
					break
				}
				if _, bad := forbid6[v]; !bad {
					s = v
					break
				}
			}
			if s < 0 {
				s = fallback
			}
			if s < 0 { // z too small to avoid 4-cycles: smallest allowed, or 0
				s = 0
				for v := int32(0); v < int32(z); v++ {
					if _, bad := forbid4[v]; !bad {
						s = v
						break
					}
				}
			}
			pl.place(int32(r), c, s)
			code.Circulants = append(code.Circulants, Circulant{Row: int32(r), Col: c, Shift: s})
		}
	}
	SortCirculants(code.Circulants)
	return code, nil
}

// placement holds the shifts placed so far: shift[r·cols + c] (−1 when
// empty) and, per row, its placed columns in the order they were placed.
type placement struct {
	cols    int
	shift   []int32
	rowCols [][]int32
}

func (p *placement) at(r, c int32) int32 { return p.shift[int(r)*p.cols+int(c)] }

func (p *placement) place(r, c, s int32) {
	p.shift[int(r)*p.cols+int(c)] = s
	p.rowCols[r] = append(p.rowCols[r], c)
}

// forbidden fills forbid4 with the shifts of a new circulant at (r, c)
// that would close a 4-cycle with placed circulants, and forbid6 with those
// closing a 6-cycle. It reports false (6-cycles not examined) when there
// are more than sixCycleBudget paths to look at.
//
// With check j of circulant (r, c, s) reading variable (j+s) mod z, a cycle
// through circulants e1…e2k alternating row and column steps closes when
// s1 − s2 + s3 − … − s2k ≡ 0 (mod z).
func (p *placement) forbidden(r, c int32, z int, colRows [][]int32, forbid4, forbid6 map[int32]struct{}) bool {
	clear(forbid4)
	clear(forbid6)
	mod := func(v int64) int32 {
		v %= int64(z)
		if v < 0 {
			v += int64(z)
		}
		return int32(v)
	}
	// 4-cycle: (r,c)=s, (r,c2)=a, (r2,c2)=b, (r2,c)=d: s − a + b − d ≡ 0.
	for _, c2 := range p.rowCols[r] {
		a := p.at(r, c2)
		for _, r2 := range colRows[c2] {
			if r2 == r {
				continue
			}
			b, d := p.at(r2, c2), p.at(r2, c)
			if b < 0 || d < 0 {
				continue
			}
			forbid4[mod(int64(a)-int64(b)+int64(d))] = struct{}{}
		}
	}
	// 6-cycle: (r,c)=s, (r,c2)=a, (r2,c2)=b, (r2,c3)=d, (r3,c3)=e, (r3,c)=g:
	// s − a + b − d + e − g ≡ 0.
	budget := sixCycleBudget
	for _, c2 := range p.rowCols[r] {
		a := p.at(r, c2)
		for _, r2 := range colRows[c2] {
			if r2 == r {
				continue
			}
			b := p.at(r2, c2)
			if b < 0 {
				continue
			}
			for _, c3 := range p.rowCols[r2] {
				if c3 == c2 || c3 == c {
					continue
				}
				d := p.at(r2, c3)
				for _, r3 := range colRows[c3] {
					if r3 == r || r3 == r2 {
						continue
					}
					budget--
					if budget < 0 {
						clear(forbid6)
						return false
					}
					e, g := p.at(r3, c3), p.at(r3, c)
					if e < 0 || g < 0 {
						continue
					}
					forbid6[mod(int64(a)-int64(b)+int64(d)-int64(e)+int64(g))] = struct{}{}
				}
			}
		}
	}
	return true
}

// FourCycles counts the 4-cycles of the lifted Tanner graph, from the
// circulant shifts: each closing 2×2 arrangement of circulants contributes
// z cycles. It needs at most one circulant per (Row, Col).
func (c *Code) FourCycles() int {
	rowMap := make([]map[int32]int32, c.BaseRows)
	for i := range rowMap {
		rowMap[i] = map[int32]int32{}
	}
	for _, e := range c.Circulants {
		rowMap[e.Row][e.Col] = e.Shift
	}
	z := int64(c.Z)
	count := 0
	for r1 := 0; r1 < c.BaseRows; r1++ {
		for r2 := r1 + 1; r2 < c.BaseRows; r2++ {
			var common []int32
			for col := range rowMap[r1] {
				if _, ok := rowMap[r2][col]; ok {
					common = append(common, col)
				}
			}
			for i := range common {
				for j := i + 1; j < len(common); j++ {
					c1, c2 := common[i], common[j]
					v := int64(rowMap[r1][c1]) - int64(rowMap[r1][c2]) + int64(rowMap[r2][c2]) - int64(rowMap[r2][c1])
					if ((v%z)+z)%z == 0 {
						count += c.Z
					}
				}
			}
		}
	}
	return count
}

// fourCyclesBrute counts, on the expanded matrix, the pairs of checks that
// share two variables (a 4-cycle each); for tests on small codes.
func (c *Code) fourCyclesBrute() int {
	n, m := c.N(), c.M()
	rows := make([][]int, m)
	for _, e := range c.Circulants {
		for j := 0; j < c.Z; j++ {
			rows[int(e.Row)*c.Z+j] = append(rows[int(e.Row)*c.Z+j], int(e.Col)*c.Z+(j+int(e.Shift))%c.Z)
		}
	}
	count := 0
	in := make([]int, n)
	for i := range in {
		in[i] = -1
	}
	for a := 0; a < m; a++ {
		for _, v := range rows[a] {
			in[v] = a
		}
		for b := a + 1; b < m; b++ {
			shared := 0
			for _, v := range rows[b] {
				if in[v] == a {
					shared++
				}
			}
			count += shared * (shared - 1) / 2
		}
	}
	return count
}
