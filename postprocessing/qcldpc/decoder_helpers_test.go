package qcldpc

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Test codes: random quasi-cyclic liftings of small protographs, built here
// so the decoder can be tested before (and independently of) the project's
// designed codes.

// testLift lifts a 0/1 base matrix by z with shifts drawn at random so that
// the lifted graph has no 4-cycle (girth ≥ 6): for two rows and two columns
// that all meet, s(r1,c1) − s(r1,c2) + s(r2,c2) − s(r2,c1) ≠ 0 mod z.
func testLift(rng *rand.Rand, base [][]uint8, z int, punctured []int32) (*Code, error) {
	rows, cols := len(base), len(base[0])
	shift := make([][]int, rows)
	for r := range shift {
		shift[r] = make([]int, cols)
		for c := range shift[r] {
			shift[r][c] = -1
		}
	}
	colRows := make([][]int, cols) // rows already assigned in each column
	rowCols := make([][]int, rows)
	var cs []Circulant
	for r := range rows {
		for c := range cols {
			if base[r][c] == 0 {
				continue
			}
			found := false
			for try := 0; try < 2000 && !found; try++ {
				s := rng.IntN(z)
				found = true
			check:
				for _, r2 := range colRows[c] {
					for _, c2 := range rowCols[r] {
						if shift[r2][c2] < 0 {
							continue
						}
						if ((s-shift[r][c2]+shift[r2][c2]-shift[r2][c])%z+2*z)%z == 0 {
							found = false
							break check
						}
					}
				}
				if found {
					shift[r][c] = s
				}
			}
			if !found {
				return nil, fmt.Errorf("no 4-cycle-free shift for (%d, %d) at z = %d", r, c, z)
			}
			colRows[c] = append(colRows[c], r)
			rowCols[r] = append(rowCols[r], c)
			cs = append(cs, Circulant{Row: int32(r), Col: int32(c), Shift: int32(shift[r][c])})
		}
	}
	SortCirculants(cs)
	code := &Code{Z: z, BaseRows: rows, BaseCols: cols, Circulants: cs, Punctured: punctured}
	return code, code.Validate()
}

// testRegular36 is the all-ones 3×6 base matrix: a (3,6)-regular code of rate ½.
func testRegular36() [][]uint8 {
	b := make([][]uint8, 3)
	for r := range b {
		b[r] = []uint8{1, 1, 1, 1, 1, 1}
	}
	return b
}

// testRaptorBase is a low-rate Raptor-like base matrix. Column 0 is a
// punctured hub, columns 1…k carry information. The first core rows join
// the hub and every information column (a precode that keeps low-weight
// words out of the code); each of the ext rows after them owns one degree-1
// parity column and joins the hub and information columns m mod k and
// (m + 1 + m/k) mod k. Its rate, counting the punctured column out, is
// (1+k−core)/(k+ext).
func testRaptorBase(k, core, ext int) (base [][]uint8, punctured []int32) {
	cols := 1 + k + ext
	for range core {
		row := make([]uint8, cols)
		for c := range k + 1 {
			row[c] = 1
		}
		base = append(base, row)
	}
	for m := range ext {
		row := make([]uint8, cols)
		row[0] = 1
		row[1+m%k] = 1
		row[1+(m+1+m/k)%k] = 1
		row[1+k+m] = 1
		base = append(base, row)
	}
	return base, []int32{0}
}

// testMustLift lifts or panics (test set-up only).
func testMustLift(seed uint64, base [][]uint8, z int, punctured []int32) *Code {
	c, err := testLift(rand.New(rand.NewPCG(seed, 1)), base, z, punctured)
	if err != nil {
		panic(err)
	}
	return c
}

// testPunctured reports, per bit, whether its base column is punctured.
func testPunctured(c *Code) []bool {
	p := make([]bool, c.N())
	for _, col := range c.Punctured {
		for j := range c.Z {
			p[int(col)*c.Z+j] = true
		}
	}
	return p
}

// testBlock draws Bob's uniform bits, their syndrome, and Alice's LLRs over
// the BIAWGN channel at snr (bits ±√snr, unit noise, LLR = 2·√snr·y);
// punctured bits get LLR 0.
func testBlock(rng *rand.Rand, c *Code, snr float64, bits []uint8, synd []uint8, llr []float32) {
	punct := testPunctured(c)
	a := math.Sqrt(snr)
	for i := range bits {
		bits[i] = uint8(rng.IntN(2))
		if punct[i] {
			llr[i] = 0
			continue
		}
		y := a*(1-2*float64(bits[i])) + rng.NormFloat64()
		llr[i] = float32(2 * a * y)
	}
	if err := c.Syndrome(bits, synd); err != nil {
		panic(err)
	}
}

// testEdges expands a code into its explicit edge list: (check, variable).
func testEdges(c *Code) [][2]int {
	var e [][2]int
	for _, ci := range c.Circulants {
		for j := range c.Z {
			e = append(e, [2]int{int(ci.Row)*c.Z + j, int(ci.Col)*c.Z + (j+int(ci.Shift))%c.Z})
		}
	}
	return e
}

// refBoxPlus is the exact check-node rule for the message to one edge:
// 2·atanh(Π tanh(t_k/2)) over the other inputs, negated when flip.
func refBoxPlus(others []float64, flip bool) float64 {
	prod := 1.0
	for _, t := range others {
		prod *= math.Tanh(t / 2)
	}
	prod = math.Max(-1+1e-15, math.Min(1-1e-15, prod))
	v := 2 * math.Atanh(prod)
	if flip {
		v = -v
	}
	return v
}

// refFlooding is a straightforward flooding sum-product decoder in float64
// with the exact tanh rule, written from the definition: every check then
// every variable updates from the previous iteration's messages.
func refFlooding(c *Code, llr []float32, synd []uint8, maxIter int) (out []uint8, iterations int, ok bool) {
	edges := testEdges(c)
	checkEdges := make([][]int, c.M())
	varEdges := make([][]int, c.N())
	for i, e := range edges {
		checkEdges[e[0]] = append(checkEdges[e[0]], i)
		varEdges[e[1]] = append(varEdges[e[1]], i)
	}
	ch := make([]float64, c.N())
	for i, l := range llr {
		ch[i] = math.Max(-50, math.Min(50, float64(l)))
	}
	v2c := make([]float64, len(edges))
	c2v := make([]float64, len(edges))
	for i, e := range edges {
		v2c[i] = ch[e[1]]
	}
	out = make([]uint8, c.N())
	s := make([]uint8, c.M())
	var others []float64
	for it := 1; it <= maxIter; it++ {
		for chk, es := range checkEdges {
			for _, i := range es {
				others = others[:0]
				for _, k := range es {
					if k != i {
						others = append(others, v2c[k])
					}
				}
				c2v[i] = refBoxPlus(others, synd[chk] == 1)
			}
		}
		for v, es := range varEdges {
			total := ch[v]
			for _, i := range es {
				total += c2v[i]
			}
			for _, i := range es {
				v2c[i] = total - c2v[i]
			}
			out[v] = 0
			if total < 0 {
				out[v] = 1
			}
		}
		if err := c.Syndrome(out, s); err != nil {
			panic(err)
		}
		if string(s) == string(synd) {
			return out, it, true
		}
	}
	return out, maxIter, false
}

// refLayeredPosteriors runs `iterations` layered iterations in float64 with
// the exact rule, base row by base row in the decoder's order, and returns
// the posterior LLRs.
func refLayeredPosteriors(c *Code, llr []float32, synd []uint8, iterations int) []float64 {
	edges := testEdges(c)
	checkEdges := make([][]int, c.M())
	for i, e := range edges {
		checkEdges[e[0]] = append(checkEdges[e[0]], i)
	}
	p := make([]float64, c.N())
	for i, l := range llr {
		p[i] = float64(l)
	}
	r := make([]float64, len(edges))
	t := make([]float64, 0)
	others := make([]float64, 0)
	for range iterations {
		for chk, es := range checkEdges { // checks of base row 0, then row 1, …
			t = t[:0]
			for _, i := range es {
				t = append(t, p[edges[i][1]]-r[i])
			}
			for a, i := range es {
				others = others[:0]
				for b := range es {
					if b != a {
						others = append(others, t[b])
					}
				}
				r[i] = refBoxPlus(others, synd[chk] == 1)
				p[edges[i][1]] = t[a] + r[i]
			}
		}
	}
	return p
}

// testGaussCapacity is ½·log2(1+snr), the per-quadrature capacity β refers to.
func testGaussCapacity(snr float64) float64 { return 0.5 * math.Log2(1+snr) }
