package postprocessing

import "math"

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
// from finite calibration records, so the same z also bounds them: in raw
// detector units, with a = Var(el), b = Var(el+shot) and V_shot = b − a,
//
//	V_shot,max = V_shot + z·sqrt(Var(a) + Var(b)),  b_min = b − z·sqrt(Var(b))
//	T_min = k·t²_min/(η·V_shot,max),  ξ_max = (σ²_max − b_min)/t²_min
//
// which is exactly the paper's bound when the calibration records are much
// longer than the disclosed data. v_el keeps its point estimate: a trusted
// electronic noise has no worst direction common to every link.

// zScore returns z with P(|N(0,1)| > z) = eps.
func zScore(eps float64) float64 { return math.Sqrt2 * math.Erfcinv(eps) }

// worstCase returns (T_min, ξ_max) at failure probability eps; T_min = 0 and
// ξ_max = +Inf when the slope bound does not exclude 0.
func (st rawStats) worstCase(k, eta, eps float64) (tMin, xiMax float64) {
	z := zScore(eps)
	slope := math.Abs(st.t) - z*math.Sqrt(st.varT)
	if !(slope > 0) {
		return 0, math.Inf(1)
	}
	sigma2Max := st.sigma2 + z*st.sigma2*math.Sqrt(2/float64(st.n-1))
	shotMax := (st.b - st.a) + z*math.Sqrt(st.varA+st.varB)
	bMin := st.b - z*math.Sqrt(st.varB)
	s2 := slope * slope
	return k * s2 / (eta * shotMax), (sigma2Max - bMin) / s2
}
