package postprocessing

import (
	"fmt"
	"math"
)

// Finite-size parameter estimation after Leverrier, Grosshans and Grangier,
// "Finite-size analysis of a continuous-variable quantum key distribution",
// PRA 81, 062343 (2010), Sec. IV. With m disclosed quadrature samples x_i,
// y_i (SNU), the maximum-likelihood estimators
//
//	t̂ = Σx·y/Σx²,  σ̂² = Σ(y − t̂x)²/m
//
// are, for large m, Gaussian with Var(t̂) = σ²/Σx² and Var(σ̂²) = 2σ⁴/m.
// Except with probability ε_PE each, the true values satisfy
//
//	t ≥ t_min = t̂ − z·sqrt(σ̂²/Σx²)          (the paper writes m·V_A for Σx²)
//	σ² ≤ σ²_max = σ̂² + z·σ̂²·sqrt(2)/sqrt(m)
//	with 1 − erf(z/√2) = ε_PE, i.e. z = √2·erfc⁻¹(ε_PE)
//
// and the key rate is computed at T_min = k·t²_min/η, ξ_max = (σ²_max − 1 − v_el)/t²_min.
//
// The paper takes the shot noise and v_el as exactly known. Here they come
// from finite calibration records (a = Var(el), b = Var(el+shot) in raw
// detector units, V_shot = b − a), so their statistical errors enter the
// bounds. Each bound is one confidence interval on one statistic, built
// from the standard errors of all the independent estimates it involves:
//
//	u = t/sqrt(V_shot),  Var(û) = Var(t̂)/V_shot + t̂²·Var(V_shot)/(4·V_shot³)
//	T_min = k·(û − z·sqrt(Var(û)))²/η
//	ξ_max = (σ̂² − b̂ + z·sqrt(Var(σ̂²) + Var(b̂)))/t²_min
//
// so that, except with probability ε/2 each, T ≥ T_min and ξ ≤ ξ_max (the
// slope bound t_min used in ξ_max is the third interval). With an exactly
// known calibration these are the paper's bounds. Bounding σ̂² and b̂ each
// on its own and adding the two margins, z·(sd(σ̂²) + sd(b̂)), would give up
// confidence for nothing: σ̂² − b̂ is one Gaussian statistic whose standard
// deviation is the root of the summed variances. When the calibration
// records are as long as the frame (as the simulated receiver makes them)
// that is a margin √2 smaller on ξ, which at 25 km of fiber is most of the
// finite-size penalty. v_el keeps its point estimate: a trusted electronic
// noise has no worst direction common to every link.

// zScore returns z with P(|N(0,1)| > z) = eps.
func zScore(eps float64) float64 { return math.Sqrt2 * math.Erfcinv(eps) }

// worstCase returns (T_min, ξ_max) at failure probability eps; T_min = 0 and
// ξ_max = +Inf when the bounds do not exclude T = 0.
func (st rawStats) worstCase(k, eta, eps float64) (tMin, xiMax float64) {
	z := zScore(eps)
	slope := math.Abs(st.t) - z*math.Sqrt(st.varT)
	shot := st.b - st.a
	varShot := st.varA + st.varB
	u := math.Abs(st.t) / math.Sqrt(shot)
	varU := st.varT/shot + st.t*st.t*varShot/(4*shot*shot*shot)
	uMin := u - z*math.Sqrt(varU)
	if !(slope > 0) || !(uMin > 0) {
		return 0, math.Inf(1)
	}
	dMax := st.sigma2 - st.b + z*math.Sqrt(st.varSigma2+st.varB)
	return k * uMin * uMin / eta, dMax / (slope * slope)
}

// ExpectedFiniteSize returns the key-rate parameters that finite-size
// estimation is expected to give on the link p (the design's simulated
// link: T, ξ, η, v_el, Va, detection) when symbols symbols are disclosed and
// each calibration record holds calibrationSamples samples, at failure
// probability eps (0: DefaultEpsilon): the bounds of EstimateParameters
// evaluated at the statistics' expected values, i.e. the point estimates
// equal to the truth with the standard errors of those sample sizes. It
// serves to plan a link (the finite-size curve of the key rate against
// distance); a frame's own bounds scatter around it. No bound above T = 0
// is ErrNoCorrelation.
func ExpectedFiniteSize(p KeyRateParams, symbols, calibrationSamples int, eps float64) (KeyRateParams, error) {
	if err := p.Validate(); err != nil {
		return KeyRateParams{}, err
	}
	if eps == 0 {
		eps = DefaultEpsilon
	}
	switch {
	case symbols < MinPESymbols || calibrationSamples < MinPESymbols:
		return KeyRateParams{}, fmt.Errorf("%w: %d disclosed symbols and calibration records of %d samples, want at least %d each",
			ErrInvalidInput, symbols, calibrationSamples, MinPESymbols)
	case !(eps > 0 && eps < 1):
		return KeyRateParams{}, fmt.Errorf("%w: ε = %g, want ε in (0, 1)", ErrInvalidInput, eps)
	}
	k := p.Detection.Quadratures()
	n := int(k) * symbols
	calDOF := int(k) * (calibrationSamples - 1)
	sigma2 := 1 + p.Vel + p.Eta*p.T*p.Xi/k
	st := rawStats{
		n:         n,
		sxx:       float64(n) * p.Va,
		t:         math.Sqrt(p.Eta * p.T / k),
		sigma2:    sigma2,
		varSigma2: varianceOfVariance(sigma2, n-1),
		a:         p.Vel,
		varA:      varianceOfVariance(p.Vel, calDOF),
		b:         1 + p.Vel,
		varB:      varianceOfVariance(1+p.Vel, calDOF),
	}
	st.varT = sigma2 / st.sxx
	tMin, xiMax := st.worstCase(k, p.Eta, eps)
	if !(tMin > 0) || math.IsInf(xiMax, 1) {
		return KeyRateParams{}, fmt.Errorf("%w: %d disclosed symbols do not bound T above 0", ErrNoCorrelation, symbols)
	}
	out := p
	out.T, out.Xi = math.Min(tMin, 1), math.Max(xiMax, 0)
	return out, nil
}
