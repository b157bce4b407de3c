package postprocessing

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// This file is an independent computation of the key-rate quantities, used
// only by the tests: the entanglement-based picture written out as covariance
// matrices of every mode (Alice's EPR half, the channel, Bob's detector with
// its electronic noise purified by an EPR pair, the heterodyne beam splitter),
// Gaussian conditioning for the measurements, and symplectic eigenvalues
// obtained numerically with gonum. No closed form of skr.go is reused.

// skrGaussState is a covariance matrix over named modes, quadratures ordered
// (x0, p0, x1, p1, ...), shot noise = 1.
type skrGaussState struct {
	names []string
	cov   *mat.Dense
}

func (s *skrGaussState) idx(name string) int {
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	panic("no mode " + name)
}

// addMode appends an uncorrelated mode with variance v on both quadratures.
func (s *skrGaussState) addMode(name string, v float64) {
	n := 2 * len(s.names)
	c := mat.NewDense(n+2, n+2, nil)
	if n > 0 {
		c.Slice(0, n, 0, n).(*mat.Dense).Copy(s.cov)
	}
	c.Set(n, n, v)
	c.Set(n+1, n+1, v)
	s.cov = c
	s.names = append(s.names, name)
}

// addEPR appends a two-mode squeezed vacuum of variance v.
func (s *skrGaussState) addEPR(a, b string, v float64) {
	s.addMode(a, v)
	s.addMode(b, v)
	i, j := 2*s.idx(a), 2*s.idx(b)
	c := math.Sqrt(v*v - 1)
	s.cov.Set(i, j, c)
	s.cov.Set(j, i, c)
	s.cov.Set(i+1, j+1, -c)
	s.cov.Set(j+1, i+1, -c)
}

// apply replaces cov by S·cov·Sᵀ + N.
func (s *skrGaussState) apply(S, N *mat.Dense) {
	var t, r mat.Dense
	t.Mul(S, s.cov)
	r.Mul(&t, S.T())
	if N != nil {
		r.Add(&r, N)
	}
	s.cov = &r
}

func skrIdentity(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		m.Set(i, i, 1)
	}
	return m
}

// beamSplitter mixes modes a, b with transmission tau:
// a' = √τ·a + √(1−τ)·b, b' = −√(1−τ)·a + √τ·b.
func (s *skrGaussState) beamSplitter(a, b string, tau float64) {
	n := 2 * len(s.names)
	S := skrIdentity(n)
	i, j := 2*s.idx(a), 2*s.idx(b)
	st, sr := math.Sqrt(tau), math.Sqrt(1-tau)
	for q := 0; q < 2; q++ {
		S.Set(i+q, i+q, st)
		S.Set(i+q, j+q, sr)
		S.Set(j+q, i+q, -sr)
		S.Set(j+q, j+q, st)
	}
	s.apply(S, nil)
}

// lossyNoisyChannel maps mode a through transmittance t with excess noise
// t·xi at its output: cov_a → t·cov_a + (1 − t + t·xi)·I.
func (s *skrGaussState) lossyNoisyChannel(a string, t, txi float64) {
	n := 2 * len(s.names)
	S := skrIdentity(n)
	N := mat.NewDense(n, n, nil)
	i := 2 * s.idx(a)
	for q := 0; q < 2; q++ {
		S.Set(i+q, i+q, math.Sqrt(t))
		N.Set(i+q, i+q, 1-t+txi)
	}
	s.apply(S, N)
}

// condition returns the covariance of the modes not in measured, given
// the outcomes of the quadrature variables vars (indices into cov) with
// extra classical noise variance noise[k] on each. This is the Schur
// complement Γ_RR − Γ_RM (Γ_MM + N)⁻¹ Γ_MR over the remaining modes.
func (s *skrGaussState) condition(vars []int, noise []float64, measured ...string) *skrGaussState {
	drop := map[string]bool{}
	for _, m := range measured {
		drop[m] = true
	}
	var keep []int
	out := &skrGaussState{}
	for k, n := range s.names {
		if !drop[n] {
			keep = append(keep, 2*k, 2*k+1)
			out.names = append(out.names, n)
		}
	}
	sub := func(rows, cols []int) *mat.Dense {
		m := mat.NewDense(len(rows), len(cols), nil)
		for i, r := range rows {
			for j, c := range cols {
				m.Set(i, j, s.cov.At(r, c))
			}
		}
		return m
	}
	rr := sub(keep, keep)
	if len(vars) == 0 {
		out.cov = rr
		return out
	}
	rm, mm := sub(keep, vars), sub(vars, vars)
	for k := range vars {
		mm.Set(k, k, mm.At(k, k)+noise[k])
	}
	var inv, t, corr mat.Dense
	if err := inv.Inverse(mm); err != nil {
		panic(err)
	}
	t.Mul(rm, &inv)
	corr.Mul(&t, rm.T())
	rr.Sub(rr, &corr)
	out.cov = rr
	return out
}

// marginal keeps only the named modes.
func (s *skrGaussState) marginal(modes ...string) *skrGaussState {
	var drop []string
	keepSet := map[string]bool{}
	for _, m := range modes {
		keepSet[m] = true
	}
	for _, n := range s.names {
		if !keepSet[n] {
			drop = append(drop, n)
		}
	}
	return s.condition(nil, nil, drop...)
}

// skrSymplecticEigenvalues returns the symplectic spectrum of cov: the singular
// values of γ^{1/2}·Ω·γ^{1/2}, which come in equal pairs.
func skrSymplecticEigenvalues(cov *mat.Dense) []float64 {
	n := cov.RawMatrix().Rows
	sym := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, (cov.At(i, j)+cov.At(j, i))/2)
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		panic("eigen")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	d := mat.NewDense(n, n, nil)
	for i, v := range vals {
		d.Set(i, i, math.Sqrt(math.Max(v, 0)))
	}
	var half, t mat.Dense
	t.Mul(&vecs, d)
	half.Mul(&t, vecs.T())
	omega := mat.NewDense(n, n, nil)
	for i := 0; i < n; i += 2 {
		omega.Set(i, i+1, 1)
		omega.Set(i+1, i, -1)
	}
	var m, t2 mat.Dense
	t2.Mul(&half, omega)
	m.Mul(&t2, &half)
	var svd mat.SVD
	if !svd.Factorize(&m, mat.SVDNone) {
		panic("svd")
	}
	sv := svd.Values(nil)
	sort.Float64s(sv)
	out := make([]float64, 0, n/2)
	for i := 0; i+1 < len(sv); i += 2 {
		out = append(out, (sv[i]+sv[i+1])/2)
	}
	return out
}

// skrNaiveG is the textbook g(x) = (x+1)·log2(x+1) − x·log2(x).
func skrNaiveG(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return (x+1)*math.Log2(x+1) - x*math.Log2(x)
}

func skrVonNeumann(s *skrGaussState) float64 {
	var h float64
	for _, nu := range skrSymplecticEigenvalues(s.cov) {
		h += skrNaiveG((nu - 1) / 2)
	}
	return h
}

// skrModelResult is what the covariance-matrix model says about one link.
type skrModelResult struct {
	iab, chiTrusted, chiUntrusted float64
	bobVar                        float64 // variance of one measured quadrature (SNU)
	bobCondVar                    float64 // the same given Alice's symbol
}

// skrModel builds the whole link for p (needs η < 1 when v_el > 0: the
// electronic noise is the thermal port of the efficiency beam splitter).
func skrModel(p KeyRateParams) skrModelResult {
	v := p.Va + 1
	s := &skrGaussState{}
	s.addEPR("A", "B", v)
	s.lossyNoisyChannel("B", p.T, p.T*p.Xi)
	sAB := skrVonNeumann(s)

	// Bob's detector: efficiency η, electronic noise v_el per measured
	// quadrature, purified by the EPR pair (F0, F) of variance ν.
	nu := 1.0
	if p.Vel > 0 {
		nu = 1 + p.Detection.Quadratures()*p.Vel/(1-p.Eta)
	}
	s.addEPR("F0", "F", nu)
	s.beamSplitter("B", "F0", p.Eta) // B → B' (to the photodiodes), F0 → G
	sABprime := skrVonNeumann(s.marginal("A", "B"))

	var vars []int
	var measured []string
	var bob *skrGaussState
	if p.Detection == Heterodyne {
		s.addMode("W", 1)
		s.beamSplitter("B", "W", 0.5) // B1 = B, B2 = W
		vars = []int{2 * s.idx("B"), 2*s.idx("W") + 1}
		measured = []string{"B", "W"}
	} else {
		vars = []int{2 * s.idx("B")}
		measured = []string{"B"}
	}
	bob = s
	noise := make([]float64, len(vars))
	rest := s.condition(vars, noise, measured...) // A, F0(=G), F given Bob's outcomes
	chiT := sAB - skrVonNeumann(rest)
	chiU := sABprime - skrVonNeumann(rest.marginal("A"))

	// I_AB: Alice heterodynes her half (prepare-and-measure equivalent);
	// Bob's first measured variable against it.
	y := vars[0]
	bobVar := bob.cov.At(y, y)
	aliceX, aliceP := 2*bob.idx("A"), 2*bob.idx("A")+1
	cond := 0.0
	{
		// condition the single variable y on Alice's two quadratures + vacuum noise
		rows := []int{y}
		ms := []int{aliceX, aliceP}
		m := mat.NewDense(2, 2, nil)
		r := mat.NewDense(1, 2, nil)
		for i, a := range ms {
			r.Set(0, i, bob.cov.At(y, a))
			for j, b := range ms {
				m.Set(i, j, bob.cov.At(a, b))
			}
			m.Set(i, i, m.At(i, i)+1)
		}
		_ = rows
		var inv, t, c mat.Dense
		if err := inv.Inverse(m); err != nil {
			panic(err)
		}
		t.Mul(r, &inv)
		c.Mul(&t, r.T())
		cond = bobVar - c.At(0, 0)
	}
	iab := float64(len(vars)) * 0.5 * math.Log2(bobVar/cond)
	return skrModelResult{iab: iab, chiTrusted: chiT, chiUntrusted: chiU, bobVar: bobVar, bobCondVar: cond}
}
