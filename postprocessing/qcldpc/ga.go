package qcldpc

import (
	"errors"
	"math"
	"sort"
	"sync"
)

// Gaussian approximation of density evolution (Chung, Richardson, Urbanke,
// IEEE Trans. IT 47(2), 2001), carried over to protographs edge type by edge
// type. A message is a symmetric Gaussian LLR N(μ, 2μ), named by its mean.
// Variable nodes add means; check nodes combine through
// φ(μ) = 1 − E[tanh(L/2)] as φ(μ_out) = 1 − Π(1 − φ(μ_in)).
// Shortened and punctured fractions of a column make its outgoing message a
// mixture (a point mass at +∞, a Gaussian without the channel part); the
// check node uses E[tanh(L/2)], which is linear in the mixture, so mixtures
// cost nothing extra.

const (
	// gaMuCap bounds the means (φ underflows far beyond it).
	gaMuCap = 2000.0
	// gaSuccessMu: the a-posteriori mean of every column beyond it means
	// decoding has converged (bit error rate below Q(√(μ/2)) ≈ 1e-22).
	gaSuccessMu = 400.0
	// chungSplit is where Chung's two forms of φ meet.
	chungSplit = 10.0
)

// φ is evaluated in one of two ways. By default from a table of the exact
// integral (phiNumeric) in (ln x, ln φ), with the asymptotic form beyond
// x = 60: accurate at the small means of low-SNR channels. With
// GAOptions.ChungForms, by the closed forms of Chung et al. (2001), with which
// their published GA thresholds (0.8747 for the regular (3,6) ensemble) were
// computed: exp(−0.4527·x^0.86 + 0.0218) below x = 10 and
// √(π/x)·e^{−x/4}·(1 − 10/(7x)) above. Those forms are poor below x ≈ 0.5
// (they put φ at 1 below x ≈ 0.03), where low-rate codes spend their first
// iterations. The exact φ gives 0.8719 for (3,6) (exact DE: 0.8809).

// phiNumeric computes φ(x) = E[2/(1+e^u)], u ~ N(x, 2x), by Simpson's rule;
// the tests compare the closed forms with it.
func phiNumeric(x float64) float64 {
	sd := math.Sqrt(2 * x)
	lo, hi := x-14*sd, x+14*sd
	const steps = 2000
	h := (hi - lo) / steps
	sum := 0.0
	for i := 0; i <= steps; i++ {
		u := lo + float64(i)*h
		z := (u - x) / sd
		var g float64
		if u > 0 {
			e := math.Exp(-u)
			g = 2 * e / (1 + e)
		} else {
			g = 2 / (1 + math.Exp(u))
		}
		f := math.Exp(-z*z/2) * g
		w := 2.0
		if i == 0 || i == steps {
			w = 1
		} else if i%2 == 1 {
			w = 4
		}
		sum += w * f
	}
	return sum * h / 3 / (sd * math.Sqrt(2*math.Pi))
}

// phiAsymLog is ln of √(π/x)·e^{−x/4}·(1 − 10/(7x)).
func phiAsymLog(x float64) float64 {
	return 0.5*math.Log(math.Pi/x) - x/4 + math.Log1p(-10/(7*x))
}

// chungLowLogSplit is ln φ(10⁻) of the low form.
var chungLowLogSplit = -0.4527*math.Pow(chungSplit, 0.86) + 0.0218

// chungPhiLog returns ln φ(x) by Chung's closed forms.
func chungPhiLog(x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x < chungSplit:
		return math.Min(0, -0.4527*math.Pow(x, 0.86)+0.0218)
	}
	return phiAsymLog(x)
}

// chungPhiInvLog inverts chungPhiLog, capped at gaMuCap.
func chungPhiInvLog(ly float64) float64 {
	switch {
	case ly >= 0:
		return 0
	case ly > chungLowLogSplit:
		return math.Pow((0.0218-ly)/0.4527, 1/0.86)
	}
	// Newton on the asymptotic form, decreasing for x ≥ 10.
	x := math.Max(chungSplit, 4*(-ly))
	for k := 0; k < 100; k++ {
		f := phiAsymLog(x) - ly
		d := -0.5/x - 0.25 + (10/(7*x*x))/(1-10/(7*x))
		nx := x - f/d
		if nx < chungSplit {
			nx = chungSplit
		}
		if math.Abs(nx-x) < 1e-12*x {
			x = nx
			break
		}
		x = nx
		if x > gaMuCap {
			return gaMuCap
		}
	}
	return math.Min(x, gaMuCap)
}

const (
	phiTableLo   = 1e-5
	phiTableHi   = 60.0
	phiTableSize = 1500
)

var phiTab struct {
	once     sync.Once
	logX     []float64
	logPhi   []float64
	asymBase float64 // shift making the asymptote continuous at phiTableHi
}

func initPhi() {
	phiTab.once.Do(func() {
		phiTab.logX = make([]float64, phiTableSize)
		phiTab.logPhi = make([]float64, phiTableSize)
		a, b := math.Log(phiTableLo), math.Log(phiTableHi)
		for i := range phiTab.logX {
			lx := a + (b-a)*float64(i)/float64(phiTableSize-1)
			phiTab.logX[i] = lx
			phiTab.logPhi[i] = math.Log(phiNumeric(math.Exp(lx)))
		}
		phiTab.asymBase = phiTab.logPhi[phiTableSize-1] - phiAsymLog(phiTableHi)
	})
}

// exactPhiLog returns ln φ(x) for x ≥ 0 from the table.
func exactPhiLog(x float64) float64 {
	initPhi()
	switch {
	case x <= 0:
		return 0
	case x < phiTableLo:
		return math.Log1p(-x / 2)
	case x >= phiTableHi:
		return phiAsymLog(x) + phiTab.asymBase
	}
	a := phiTab.logX[0]
	step := (phiTab.logX[phiTableSize-1] - a) / float64(phiTableSize-1)
	t := (math.Log(x) - a) / step
	i := int(t)
	if i >= phiTableSize-1 {
		i = phiTableSize - 2
	}
	f := t - float64(i)
	return phiTab.logPhi[i]*(1-f) + phiTab.logPhi[i+1]*f
}

// exactPhiInvLog returns x with ln φ(x) = ly (ly ≤ 0), capped at gaMuCap.
func exactPhiInvLog(ly float64) float64 {
	initPhi()
	n := phiTableSize
	switch {
	case ly >= 0:
		return 0
	case ly > phiTab.logPhi[0]:
		return -2 * math.Expm1(ly)
	case ly <= phiTab.logPhi[n-1]:
		x := phiTableHi
		for k := 0; k < 100; k++ {
			f := phiAsymLog(x) + phiTab.asymBase - ly
			d := -0.5/x - 0.25 + (10/(7*x*x))/(1-10/(7*x))
			nx := x - f/d
			if nx <= phiTableHi {
				nx = phiTableHi
			}
			if math.Abs(nx-x) < 1e-12*x {
				x = nx
				break
			}
			x = nx
			if x > gaMuCap {
				return gaMuCap
			}
		}
		return math.Min(x, gaMuCap)
	}
	i := sort.Search(n, func(k int) bool { return phiTab.logPhi[k] < ly }) - 1
	f := (phiTab.logPhi[i] - ly) / (phiTab.logPhi[i] - phiTab.logPhi[i+1])
	return math.Exp(phiTab.logX[i]*(1-f) + phiTab.logX[i+1]*f)
}

// J, the mutual information between a bit and a symmetric Gaussian LLR
// N(μ, 2μ), as a function of the mean μ (ten Brink's J(σ) with σ² = 2μ),
// and K = 1 − J, tabulated in (ln μ, ln J) and (ln μ, ln K) so that both
// ends keep their relative precision.
const (
	jTableLo   = 1e-6
	jTableHi   = 400.0
	jTableSize = 2000
)

var jTab struct {
	once       sync.Once
	logMu      []float64
	logJ, logK []float64
	kSlope     float64 // d ln K / dμ beyond the table
}

// kNumeric computes K(μ) = E[log2(1 + e^{−L})], L ~ N(μ, 2μ).
func kNumeric(mu float64) float64 {
	return expectSoftplusLog2(mu, math.Sqrt(2*mu), 14, 2000)
}

func initJ() {
	jTab.once.Do(func() {
		n := jTableSize
		jTab.logMu = make([]float64, n)
		jTab.logJ = make([]float64, n)
		jTab.logK = make([]float64, n)
		a, b := math.Log(jTableLo), math.Log(jTableHi)
		for i := 0; i < n; i++ {
			lm := a + (b-a)*float64(i)/float64(n-1)
			k := kNumeric(math.Exp(lm))
			jTab.logMu[i] = lm
			jTab.logK[i] = math.Log(k)
			jTab.logJ[i] = math.Log(1 - k)
		}
		m1, m0 := math.Exp(jTab.logMu[n-1]), math.Exp(jTab.logMu[n-2])
		jTab.kSlope = (jTab.logK[n-1] - jTab.logK[n-2]) / (m1 - m0)
	})
}

// jInterp interpolates table t (indexed by ln μ) at μ.
func jInterp(t []float64, mu float64) float64 {
	a := jTab.logMu[0]
	step := (jTab.logMu[jTableSize-1] - a) / float64(jTableSize-1)
	x := (math.Log(mu) - a) / step
	i := int(x)
	if i >= jTableSize-1 {
		i = jTableSize - 2
	}
	f := x - float64(i)
	return t[i]*(1-f) + t[i+1]*f
}

// jLog returns ln J(μ).
func jLog(mu float64) float64 {
	initJ()
	switch {
	case mu <= 0:
		return math.Inf(-1)
	case mu < jTableLo:
		return math.Log(mu) + jTab.logJ[0] - jTab.logMu[0]
	case mu >= jTableHi:
		return math.Log1p(-math.Exp(kLog(mu)))
	}
	return jInterp(jTab.logJ, mu)
}

// kLog returns ln(1 − J(μ)).
func kLog(mu float64) float64 {
	initJ()
	switch {
	case mu <= 0:
		return 0
	case mu < jTableLo:
		return math.Log1p(-math.Exp(jLog(mu)))
	case mu >= jTableHi:
		return jTab.logK[jTableSize-1] + jTab.kSlope*(mu-jTableHi)
	}
	return jInterp(jTab.logK, mu)
}

// invTable inverts a monotone table t (increasing if inc) at value v,
// returning μ.
func invTable(t []float64, v float64, inc bool) float64 {
	n := len(t)
	i := sort.Search(n, func(k int) bool {
		if inc {
			return t[k] > v
		}
		return t[k] < v
	}) - 1
	if i < 0 {
		i = 0
	}
	if i >= n-1 {
		i = n - 2
	}
	f := (v - t[i]) / (t[i+1] - t[i])
	return math.Exp(jTab.logMu[i]*(1-f) + jTab.logMu[i+1]*f)
}

// jInvLog returns μ with ln J(μ) = lj (J⁻¹ in the mean domain).
func jInvLog(lj float64) float64 {
	initJ()
	switch {
	case lj >= 0:
		return math.Inf(1)
	case lj < jTab.logJ[0]:
		return math.Exp(lj - jTab.logJ[0] + jTab.logMu[0])
	case lj > jTab.logJ[jTableSize-1]:
		return kInvLog(math.Log1p(-math.Exp(lj)))
	}
	return invTable(jTab.logJ, lj, true)
}

// kInvLog returns μ with ln(1 − J(μ)) = lk, capped at gaMuCap.
func kInvLog(lk float64) float64 {
	initJ()
	switch {
	case lk >= 0:
		return 0
	case lk > jTab.logK[0]:
		return jInvLog(math.Log(-math.Expm1(lk)))
	case lk < jTab.logK[jTableSize-1]:
		return math.Min(gaMuCap, jTableHi+(lk-jTab.logK[jTableSize-1])/jTab.kSlope)
	}
	return math.Min(gaMuCap, invTable(jTab.logK, lk, false))
}

// gaEdge is one edge type of a protograph in density evolution.
type gaEdge struct {
	row, col int
	mult     int
}

type gaGraph struct {
	edges   []gaEdge
	rowEdge [][]int // edge indices per row
	colEdge [][]int
	ch      []ColumnChannel
}

func newGAGraph(p *Protograph, extra []ColumnChannel) *gaGraph {
	g := &gaGraph{rowEdge: make([][]int, p.Rows), colEdge: make([][]int, p.Cols), ch: p.channels(extra)}
	for r := 0; r < p.Rows; r++ {
		for c := 0; c < p.Cols; c++ {
			if m := p.At(r, c); m > 0 {
				g.rowEdge[r] = append(g.rowEdge[r], len(g.edges))
				g.colEdge[c] = append(g.colEdge[c], len(g.edges))
				g.edges = append(g.edges, gaEdge{r, c, m})
			}
		}
	}
	return g
}

// GAOptions bounds a density-evolution run.
type GAOptions struct {
	MaxIter int // iterations per evaluation (default 5000)
	// MeanGA selects Chung's Gaussian approximation on message means
	// instead of protograph EXIT analysis on mutual information (PEXIT,
	// Liva and Chiani 2007), the default.
	MeanGA bool
	// ChungForms evaluates φ of the mean GA by Chung's closed forms.
	ChungForms bool
	// MD8 takes the channel multidimensional reconciliation in dimension 8
	// presents instead of the BIAWGN channel: each group of 8 bits sees the
	// SNR scaled by X ~ χ²₈/8, known to the decoder (Alice knows ‖y‖), so
	// a channel LLR is Gaussian of mean 2·snr·X (see
	// postprocessing.MDCapacity). The threshold is then the mean SNR.
	MD8 bool
	// md8Direct averages over the fading at every message instead of
	// through the per-SNR table (mdTable): the reference of the tests.
	md8Direct bool
}

// md8States is a quadrature of X ~ χ²₈/8: the midpoints of md8Points
// equal-probability intervals (the quantiles at (i + ½)/n), each of weight
// 1/n. For the smooth functions of X that density evolution averages, 64
// points agree with a fine midpoint rule to about 10^-4.
var md8States = func() []float64 {
	const n = 64
	// CDF of χ²₈ at y: 1 − e^{−y/2}·(1 + t + t²/2 + t³/6), t = y/2.
	cdf := func(y float64) float64 {
		t := y / 2
		return 1 - math.Exp(-t)*(1+t+t*t/2+t*t*t/6)
	}
	out := make([]float64, n)
	for i := range out {
		p := (float64(i) + 0.5) / n
		lo, hi := 0.0, 100.0
		for hi-lo > 1e-12 {
			mid := (lo + hi) / 2
			if cdf(mid) < p {
				lo = mid
			} else {
				hi = mid
			}
		}
		out[i] = (lo + hi) / 2 / 8
	}
	return out
}()

// mdTable tabulates ln E_X[e^{kfLog(muCh·X + m)}] over the fading X of
// md8States, on a grid uniform in ln(1 + m) up to mdTableMax, beyond which
// every argument passes gaMuCap and the average is constant. Density
// evolution then pays one interpolation per message instead of
// len(md8States) evaluations; TestMD8TableMatchesDirect bounds the effect
// on thresholds.
type mdTable struct {
	step float64
	logv []float64
}

const (
	mdTableSize = 4096
	mdTableMax  = 2 * gaMuCap
)

func newMDTable(muCh float64, kfLog func(float64) float64) *mdTable {
	t := &mdTable{step: math.Log1p(mdTableMax) / (mdTableSize - 1), logv: make([]float64, mdTableSize)}
	ls := make([]float64, len(md8States))
	for i := range t.logv {
		m := math.Expm1(float64(i) * t.step)
		top := math.Inf(-1)
		for j, x := range md8States {
			ls[j] = kfLog(math.Min(muCh*x+m, gaMuCap))
			top = math.Max(top, ls[j])
		}
		sum := 0.0
		for _, l := range ls {
			sum += math.Exp(l - top)
		}
		t.logv[i] = top + math.Log(sum/float64(len(ls)))
	}
	return t
}

func (t *mdTable) at(m float64) float64 {
	u := math.Log1p(math.Max(m, 0)) / t.step
	i := int(u)
	if i >= mdTableSize-1 {
		return math.Exp(t.logv[mdTableSize-1])
	}
	f := u - float64(i)
	return math.Exp(t.logv[i]*(1-f) + t.logv[i+1]*f)
}

func (o GAOptions) phis() (func(float64) float64, func(float64) float64) {
	if o.ChungForms {
		return chungPhiLog, chungPhiInvLog
	}
	return exactPhiLog, exactPhiInvLog
}

func (o GAOptions) maxIter() int {
	if o.MaxIter > 0 {
		return o.MaxIter
	}
	return 5000
}

// converges runs Gaussian-approximation DE at snr and reports whether every
// column's a-posteriori mean passes gaSuccessMu, and the iterations used.
func (g *gaGraph) converges(snr float64, opt GAOptions) (bool, int) {
	muCh := 2 * snr // channel LLR 2y/σ² ~ N(2/σ², 4/σ²): mean 2·snr
	c2v := make([]float64, len(g.edges))
	// u[e]: the variable-to-check message of edge e as a scalar that is
	// linear in mixtures: 1 − E[tanh(L/2)] (mean GA) or 1 − I (PEXIT).
	u := make([]float64, len(g.edges))
	a := make([]float64, len(g.edges)) // its check-side transform
	pexit := !opt.MeanGA
	var kfLog func(float64) float64
	if pexit {
		kfLog = kLog
	} else {
		kfLog, _ = opt.phis()
	}
	_, phiInvLog := opt.phis()
	kf := func(mu float64) float64 { return math.Exp(kfLog(math.Min(mu, gaMuCap))) }
	// md is the fading average E_X[kf(muCh·X + m)] of the MD channel.
	var md func(m float64) float64
	if opt.MD8 {
		if opt.md8Direct {
			md = func(m float64) float64 {
				v := 0.0
				for _, x := range md8States {
					v += kf(muCh*x + m)
				}
				return v / float64(len(md8States))
			}
		} else {
			md = newMDTable(muCh, kfLog).at
		}
	}
	prevMin := -1.0
	stall := 0
	maxIter := opt.maxIter()
	for it := 1; it <= maxIter; it++ {
		// variable to check
		for c, es := range g.colEdge {
			s := 0.0
			for _, e := range es {
				s += float64(g.edges[e].mult) * c2v[e]
			}
			ch := g.ch[c]
			wn := 1 - ch.Shortened - ch.Punctured
			for _, e := range es {
				other := s - c2v[e]
				v := ch.Punctured * kf(other)
				if wn > 0 {
					if opt.MD8 {
						v += wn * md(other)
					} else {
						v += wn * kf(muCh+other)
					}
				}
				v = math.Min(v, 1)
				u[e] = v
				if pexit {
					a[e] = jInvLog(math.Log(v)) // J⁻¹(1 − I): +Inf when v = 1
				} else {
					a[e] = -math.Log1p(-v) // −ln(1 − φ): +Inf when v = 1
				}
			}
		}
		// check to variable: both rules add a[e] over the other edges
		for _, es := range g.rowEdge {
			total := 0.0
			inf := 0
			for _, e := range es {
				if math.IsInf(a[e], 1) {
					inf += g.edges[e].mult
				} else {
					total += float64(g.edges[e].mult) * a[e]
				}
			}
			for _, e := range es {
				var sum float64
				switch {
				case math.IsInf(a[e], 1) && inf == 1:
					sum = total
				case math.IsInf(a[e], 1) || inf > 0:
					c2v[e] = 0
					continue
				default:
					sum = total - a[e]
				}
				if sum < 0 {
					sum = 0
				}
				if pexit {
					// μ_out = K⁻¹(J(sum))
					c2v[e] = kInvLog(jLog(sum))
				} else {
					// φ(μ_out) = 1 − e^{−sum}
					y := -math.Expm1(-sum)
					if y <= 0 {
						c2v[e] = gaMuCap
						continue
					}
					c2v[e] = phiInvLog(math.Log(y))
				}
			}
		}
		minMu := math.Inf(1)
		for c, es := range g.colEdge {
			if g.ch[c].Shortened >= 1 {
				continue
			}
			s := 0.0
			for _, e := range es {
				s += float64(g.edges[e].mult) * c2v[e]
			}
			minMu = math.Min(minMu, s)
		}
		if minMu >= gaSuccessMu {
			return true, it
		}
		if minMu <= prevMin*(1+1e-10)+1e-12 {
			stall++
			if stall > 20 {
				return false, it
			}
		} else {
			stall = 0
		}
		prevMin = minMu
	}
	return false, maxIter
}

// ErrNoThreshold is returned when density evolution does not converge even
// at the top of the search range, or converges at its bottom.
var ErrNoThreshold = errors.New("no threshold in the search range")

// thresholdSearch bisects, on a log scale, the smallest snr in [lo, hi] at
// which ok(snr) holds, to a relative precision tol.
func thresholdSearch(lo, hi, tol float64, ok func(float64) bool) (float64, error) {
	if !ok(hi) {
		return 0, ErrNoThreshold
	}
	if ok(lo) {
		return lo, ErrNoThreshold
	}
	for hi/lo > 1+tol {
		mid := math.Sqrt(lo * hi)
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// GAThreshold returns the Gaussian-approximation threshold of the
// protograph, as the smallest snr = 1/σ² per channel use (BPSK ±1) at which
// density evolution converges, within a relative precision of 1e-4.
// extra, if not nil, gives per-column shortened/punctured fractions.
func GAThreshold(p *Protograph, extra []ColumnChannel, opt GAOptions) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	g := newGAGraph(p, extra)
	return thresholdSearch(1e-4, 100, 1e-4, func(snr float64) bool {
		ok, _ := g.converges(snr, opt)
		return ok
	})
}
