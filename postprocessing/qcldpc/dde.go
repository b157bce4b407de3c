package qcldpc

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// Discretized density evolution (Richardson, Urbanke; Chung, Forney,
// Richardson, Urbanke 2001) on protographs: every edge type carries the
// density of its message, an LLR quantized to the grid k·Δ, |k| ≤ L/Δ, with
// saturation at ±L. A variable node convolves densities (the sum of LLRs);
// a check node combines two at a time through the table
// Q(2·atanh(tanh(a/2)·tanh(b/2))). Leave-one-out combinations use prefix and
// suffix products. This is the exact density evolution of a quantized
// belief-propagation decoder, and converges to the true threshold as Δ → 0
// and L → ∞; it is slow (quadratic in the grid per node operation) and only
// confirms thresholds found by the PEXIT search.

// DDEOptions sets the grid and the bounds of a discretized DE run.
type DDEOptions struct {
	Delta   float64 // grid step (default 0.05)
	LMax    float64 // saturation (default 25)
	MaxIter int     // iterations (default 3000)
	// Target is the bit error probability under which the run counts as
	// converged (default 1e-9).
	Target float64
	// MD8 takes the channel of multidimensional reconciliation in dimension
	// 8 (see GAOptions.MD8): the channel LLR density of a column is the
	// mixture over the fading X ~ χ²₈/8 of N(2·snr·X, 4·snr·X).
	MD8 bool
}

func (o DDEOptions) norm() DDEOptions {
	if o.Delta <= 0 {
		o.Delta = 0.05
	}
	if o.LMax <= 0 {
		o.LMax = 25
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 3000
	}
	if o.Target <= 0 {
		o.Target = 1e-9
	}
	return o
}

type ddeGrid struct {
	delta float64
	k     int     // bins −k … k
	tab   []int32 // (k+1)² check table on magnitudes
}

var ddeGrids sync.Map // [2]float64{delta, lmax} → *ddeGrid

func gridFor(o DDEOptions) *ddeGrid {
	key := [2]float64{o.Delta, o.LMax}
	if g, ok := ddeGrids.Load(key); ok {
		return g.(*ddeGrid)
	}
	k := int(math.Round(o.LMax / o.Delta))
	g := &ddeGrid{delta: o.Delta, k: k, tab: make([]int32, (k+1)*(k+1))}
	th := make([]float64, k+1)
	for i := range th {
		th[i] = math.Tanh(float64(i) * o.Delta / 2)
	}
	for i := 0; i <= k; i++ {
		for j := 0; j <= i; j++ {
			v := 2 * math.Atanh(th[i]*th[j]) / o.Delta
			q := int32(math.Round(v))
			if q > int32(k) {
				q = int32(k)
			}
			g.tab[i*(k+1)+j] = q
			g.tab[j*(k+1)+i] = q
		}
	}
	ddeGrids.Store(key, g)
	return g
}

// ddeNegligible is the probability below which a bin is skipped as an
// operand (it still receives mass).
const ddeNegligible = 1e-30

// conv returns the saturated convolution of a and b (nil is the identity).
func (g *ddeGrid) conv(a, b, out []float64) []float64 {
	if a == nil {
		return append(out[:0], b...)
	}
	if b == nil {
		return append(out[:0], a...)
	}
	k := g.k
	n := 2*k + 1
	if cap(out) < n {
		out = make([]float64, n)
	}
	out = out[:n]
	clear(out)
	lo, hi := support(b)
	for i, pa := range a {
		if pa < ddeNegligible {
			continue
		}
		off := i - k // value of a's bin
		for j := lo; j <= hi; j++ {
			pb := b[j]
			t := j + off
			if t < 0 {
				t = 0
			} else if t >= n {
				t = n - 1
			}
			out[t] += pa * pb
		}
	}
	normalize(out)
	return out
}

// normalize rescales a density to total mass 1: the deficit of rounding and
// of skipped bins would otherwise compound from iteration to iteration.
func normalize(a []float64) {
	s := 0.0
	for _, p := range a {
		s += p
	}
	if s > 0 {
		inv := 1 / s
		for i := range a {
			a[i] *= inv
		}
	}
}

func support(a []float64) (int, int) {
	lo, hi := 0, len(a)-1
	for lo < hi && a[lo] < ddeNegligible {
		lo++
	}
	for hi > lo && a[hi] < ddeNegligible {
		hi--
	}
	return lo, hi
}

// box returns the check-node combination of a and b (nil is the identity).
func (g *ddeGrid) box(a, b, out []float64) []float64 {
	if a == nil {
		return append(out[:0], b...)
	}
	if b == nil {
		return append(out[:0], a...)
	}
	k := g.k
	n := 2*k + 1
	if cap(out) < n {
		out = make([]float64, n)
	}
	out = out[:n]
	clear(out)
	lo, hi := support(b)
	w := k + 1
	for i, pa := range a {
		if pa < ddeNegligible {
			continue
		}
		ai := i - k
		sa := 1
		if ai < 0 {
			ai, sa = -ai, -1
		}
		row := g.tab[ai*w : ai*w+w]
		for j := lo; j <= hi; j++ {
			pb := b[j]
			bj := j - k
			s := sa
			if bj < 0 {
				bj, s = -bj, -s
			}
			out[k+s*int(row[bj])] += pa * pb
		}
	}
	normalize(out)
	return out
}

// errProb is P(L < 0) + ½·P(L = 0).
func (g *ddeGrid) errProb(a []float64) float64 {
	s := 0.5 * a[g.k]
	for _, p := range a[:g.k] {
		s += p
	}
	return s
}

// gaussianDensity is the quantized density of the LLR of the BIAWGN
// channel at snr (or of multidimensional reconciliation's, md8).
func (g *ddeGrid) gaussianDensity(snr float64, md8 bool) []float64 {
	k := g.k
	d := make([]float64, 2*k+1)
	gauss := func(x, s float64) float64 {
		mu, sd := 2*s, 2*math.Sqrt(s)
		return 0.5 * math.Erfc(-(x-mu)/(sd*math.Sqrt2))
	}
	cdf := func(x float64) float64 { return gauss(x, snr) }
	if md8 {
		cdf = func(x float64) float64 {
			m := 0.0
			for _, f := range md8States {
				m += gauss(x, snr*f)
			}
			return m / float64(len(md8States))
		}
	}
	prev := 0.0
	for i := 0; i < 2*k; i++ {
		c := cdf((float64(i-k) + 0.5) * g.delta)
		d[i] = c - prev
		prev = c
	}
	d[2*k] = 1 - prev
	return d
}

// columnDensity mixes the channel density base of a transmitted bit with
// the column's punctured bits (LLR 0) and shortened bits (known: +LMax).
func (g *ddeGrid) columnDensity(base []float64, ch ColumnChannel) []float64 {
	k := g.k
	d := make([]float64, 2*k+1)
	if wn := 1 - ch.Shortened - ch.Punctured; wn > 0 {
		for i, p := range base {
			d[i] = wn * p
		}
	}
	d[k] += ch.Punctured
	d[2*k] += ch.Shortened
	normalize(d)
	return d
}

// ddeConverges runs discretized DE at snr; it reports convergence and the
// largest bit error probability of the a-posteriori LLRs at the end.
func ddeConverges(p *Protograph, extra []ColumnChannel, snr float64, o DDEOptions) (bool, float64) {
	o = o.norm()
	return ddeRun(p, extra, gridFor(o).gaussianDensity(snr, o.MD8), o)
}

// ddeRun is ddeConverges on the channel whose LLR density (of a
// transmitted bit, on the grid of o) is base.
func ddeRun(p *Protograph, extra []ColumnChannel, base []float64, o DDEOptions) (bool, float64) {
	g := gridFor(o)
	gr := newGAGraph(p, extra)
	n := 2*g.k + 1
	chd := make([][]float64, p.Cols)
	for c := range chd {
		chd[c] = g.columnDensity(base, gr.ch[c])
	}
	v2c := make([][]float64, len(gr.edges))
	c2v := make([][]float64, len(gr.edges))
	for e := range c2v {
		c2v[e] = make([]float64, n)
		c2v[e][g.k] = 1 // nothing known yet
		v2c[e] = make([]float64, n)
	}
	var pre, suf [][]float64
	buf := func(s [][]float64, m int) [][]float64 {
		for len(s) < m {
			s = append(s, make([]float64, n))
		}
		return s
	}
	worst := 1.0
	prevWorst := 2.0
	stall := 0
	for it := 0; it < o.MaxIter; it++ {
		// variable nodes
		worst = 0
		for c, es := range gr.colEdge {
			var sockets []int
			for _, e := range es {
				for m := 0; m < gr.edges[e].mult; m++ {
					sockets = append(sockets, e)
				}
			}
			d := len(sockets)
			pre, suf = buf(pre, d+1), buf(suf, d+1)
			pre[0] = append(pre[0][:0], chd[c]...)
			for i, e := range sockets {
				pre[i+1] = g.conv(pre[i], c2v[e], pre[i+1])
			}
			if gr.ch[c].Shortened < 1 {
				worst = math.Max(worst, g.errProb(pre[d]))
			}
			var s []float64 // suffix product, nil = identity
			for i := d - 1; i >= 0; i-- {
				e := sockets[i]
				if i == 0 || sockets[i-1] != e { // first socket of its edge type
					v2c[e] = g.conv(pre[i], s, v2c[e])
				}
				suf[i] = g.conv(c2v[e], s, suf[i])
				s = suf[i]
			}
		}
		if ddeDebug && it%20 == 0 {
			println(it, worst)
		}
		if worst < o.Target {
			return true, worst
		}
		if worst >= prevWorst*(1-1e-7) {
			stall++
			if stall > 30 {
				return false, worst
			}
		} else {
			stall = 0
		}
		prevWorst = worst
		// check nodes
		for _, es := range gr.rowEdge {
			var sockets []int
			for _, e := range es {
				for m := 0; m < gr.edges[e].mult; m++ {
					sockets = append(sockets, e)
				}
			}
			d := len(sockets)
			pre, suf = buf(pre, d+1), buf(suf, d+1)
			var acc []float64
			accs := make([][]float64, d+1) // accs[i]: combination of sockets[:i]
			for i, e := range sockets {
				accs[i] = acc
				pre[i+1] = g.box(acc, v2c[e], pre[i+1])
				acc = pre[i+1]
			}
			var s []float64
			for i := d - 1; i >= 0; i-- {
				e := sockets[i]
				if i == 0 || sockets[i-1] != e {
					if accs[i] == nil && s == nil { // degree-1 check: no information
						clear(c2v[e])
						c2v[e][g.k] = 1
					} else {
						c2v[e] = g.box(accs[i], s, c2v[e])
					}
				}
				suf[i] = g.box(v2c[e], s, suf[i])
				s = suf[i]
			}
		}
	}
	return false, worst
}

// DDEConverges reports whether discretized density evolution of the
// protograph converges at snr (1/σ² per channel use, BPSK ±1).
func DDEConverges(p *Protograph, extra []ColumnChannel, snr float64, o DDEOptions) (bool, error) {
	if err := p.Validate(); err != nil {
		return false, err
	}
	ok, _ := ddeConverges(p, extra, snr, o)
	return ok, nil
}

// DDEBins returns the grid of o (its defaults filled in): LLR values
// (i − k)·delta for i from 0 to 2k, the last and first bins holding the
// saturated values ±LMax. A channel density for DDEConvergesOn has 2k + 1
// entries on it.
func (o DDEOptions) DDEBins() (delta float64, k int) {
	o = o.norm()
	return o.Delta, gridFor(o).k
}

// DDEConvergesOn is DDEConverges on the channel whose LLR density, given
// a transmitted 0 (the channel symmetric), is density on the grid of o
// (DDEBins): a channel other than the BIAWGN and multidimensional ones,
// such as a slice of slice reconciliation. o.MD8 is ignored.
func DDEConvergesOn(p *Protograph, extra []ColumnChannel, density []float64, o DDEOptions) (bool, error) {
	if err := p.Validate(); err != nil {
		return false, err
	}
	o = o.norm()
	_, k := o.DDEBins()
	if len(density) != 2*k+1 {
		return false, fmt.Errorf("%w: channel density of %d bins, the grid has %d", ErrInvalidCode, len(density), 2*k+1)
	}
	sum := 0.0
	for i, v := range density {
		if !(v >= 0) || math.IsInf(v, 0) {
			return false, fmt.Errorf("%w: channel density bin %d is %g", ErrInvalidCode, i, v)
		}
		sum += v
	}
	if !(sum > 0) {
		return false, fmt.Errorf("%w: channel density has no mass", ErrInvalidCode)
	}
	base := slices.Clone(density)
	normalize(base)
	ok, _ := ddeRun(p, extra, base, o)
	return ok, nil
}

// DDEThreshold bisects the discretized-DE threshold of the protograph in
// [lo, hi] (snr per channel use) to the relative precision tol.
func DDEThreshold(p *Protograph, extra []ColumnChannel, lo, hi, tol float64, o DDEOptions) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return thresholdSearch(lo, hi, tol, func(snr float64) bool {
		ok, _ := ddeConverges(p, extra, snr, o)
		return ok
	})
}

var ddeDebug = false
