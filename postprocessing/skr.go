package postprocessing

import (
	"errors"
	"fmt"
	"math"

	"github.com/qosst/qosst-go/quantum"
)

// Detection is Bob's measurement, the one definition of package quantum.
type Detection = quantum.Detection

// The two detections (see package quantum).
const (
	Heterodyne = quantum.Heterodyne
	Homodyne   = quantum.Homodyne
)

// ParseDetection reads "heterodyne" or "homodyne" (quantum.ParseDetection).
func ParseDetection(s string) (Detection, error) { return quantum.ParseDetection(s) }

// ErrOutOfDomain is wrapped by every error about a parameter outside the
// physical domain of the key-rate formulas.
var ErrOutOfDomain = errors.New("parameter outside the physical domain")

// KeyRateParams are the inputs of the asymptotic secret key rate, all in
// shot-noise units per quadrature.
type KeyRateParams struct {
	Detection Detection
	// Trusted: Bob's detection efficiency and electronic noise are out of
	// Eve's reach (calibrated and trusted). Untrusted gives them to Eve.
	Trusted bool
	Va      float64 // Alice's modulation variance, Va = 2<n>, > 0
	T       float64 // channel transmittance, η excluded, in (0, 1]
	Xi      float64 // excess noise referred to the channel input, ≥ 0
	Eta     float64 // Bob's detection efficiency, in (0, 1]
	Vel     float64 // electronic noise of one quadrature measurement, ≥ 0
	Beta    float64 // reconciliation efficiency, in (0, 1]
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks that every parameter lies in the physical domain and names
// the first one that does not. The error wraps ErrOutOfDomain.
func (p KeyRateParams) Validate() error {
	bad := func(name string, v float64, domain string) error {
		return fmt.Errorf("%w: %s = %g, want %s", ErrOutOfDomain, name, v, domain)
	}
	switch {
	case !p.Detection.Valid():
		return fmt.Errorf("%w: detection %v, want heterodyne or homodyne", ErrOutOfDomain, p.Detection)
	case !(p.Va > 0) || !isFinite(p.Va):
		return bad("modulation variance Va", p.Va, "a finite Va > 0")
	case !(p.T > 0 && p.T <= 1):
		return bad("transmittance T", p.T, "T in (0, 1]")
	case !(p.Xi >= 0) || !isFinite(p.Xi):
		return bad("excess noise ξ", p.Xi, "a finite ξ ≥ 0")
	case !(p.Eta > 0 && p.Eta <= 1):
		return bad("detection efficiency η", p.Eta, "η in (0, 1]")
	case !(p.Vel >= 0) || !isFinite(p.Vel):
		return bad("electronic noise v_el", p.Vel, "a finite v_el ≥ 0")
	case !(p.Beta > 0 && p.Beta <= 1):
		return bad("reconciliation efficiency β", p.Beta, "β in (0, 1]")
	}
	return nil
}

// eveChannel is the key-rate problem reduced to what the closed forms need. Tξ
// (the excess noise at the channel output) is kept as one number so that the
// untrusted reduction T' = ηT, T'ξ' = ηTξ + c·v_el never divides by ηT.
type eveChannel struct {
	det    Detection
	va     float64 // modulation variance
	t      float64 // transmittance seen by Eve's entangling cloner
	txi    float64 // T·ξ, excess noise at the channel output
	chiDet float64 // detection noise referred to Bob's input (χ_het or χ_hom)
}

// reduce maps validated parameters to the channel Eve is assumed to control.
// Untrusted: the trusted formulas with η = 1, v_el = 0 on T' = ηT and
//
//	homodyne:   ξ' = ξ + v_el/(ηT)
//	heterodyne: ξ' = ξ + 2·v_el/(ηT)
//
// The factor 2 for heterodyne keeps the measured noise 1 + v_el + ηTξ/2 of
// each heterodyne quadrature unchanged (1 + T'ξ'/2 with a perfect detector);
// with ξ' = ξ + v_el/(ηT) the same data would give a different I_AB.
func (p KeyRateParams) reduce() eveChannel {
	c := eveChannel{det: p.Detection, va: p.Va}
	if p.Trusted {
		c.t, c.txi = p.T, p.T*p.Xi
		if p.Detection == Heterodyne {
			c.chiDet = (1 + (1 - p.Eta) + 2*p.Vel) / p.Eta
		} else {
			c.chiDet = (1+p.Vel)/p.Eta - 1
		}
		return c
	}
	c.t = p.Eta * p.T
	c.txi = p.Eta*p.T*p.Xi + p.Detection.Quadratures()*p.Vel
	if p.Detection == Heterodyne {
		c.chiDet = 1 // (1 + (1 − 1) + 0)/1
	}
	return c
}

// snr is the signal-to-noise ratio of one measured quadrature.
// It is Va/(1 + χ_tot) = T·Va/(1 + Tξ + χ_det): with χ_het this is
// (ηT·Va/2)/(1 + v_el + ηTξ/2), with χ_hom it is ηT·Va/(1 + v_el + ηTξ).
func (c eveChannel) snr() float64 {
	return c.t * c.va / (1 + c.txi + c.chiDet)
}

// mutualInformation is I_AB in bits per symbol.
func (c eveChannel) mutualInformation() float64 {
	i := math.Log1p(c.snr()) / math.Ln2
	if c.det == Homodyne {
		return i / 2
	}
	return i
}

// holevo is χ_BE (reverse reconciliation) in bits per symbol, from the closed
// forms of Lodewyck et al. 2007 and Fossier et al. 2009 rewritten so that no
// term overflows for tiny T and no large terms cancel:
//
//	V_B = T·V + δ with δ = 1 − T + Tξ (Bob's variance at the channel output)
//	A   = V²(1−2T) + 2T + V_B²      = (V(1−T))² + 2T + 2TVδ + δ²
//	√B  = T(V·χ_line + 1)            = Vδ + T
//	λ1 + λ2 = sqrt(A + 2√B), λ1 − λ2 = sqrt(A − 2√B) = |Va(1−T) − Tξ|
func (c eveChannel) holevo() float64 {
	v := c.va + 1
	t := c.t
	delta := (1 - t) + c.txi
	vb := t*v + delta
	a := pow2(v*(1-t)) + 2*t + 2*t*v*delta + pow2(delta)
	sqrtB := v*delta + t
	b := pow2(sqrtB)
	l1, l2 := pairFromSumDiff(math.Sqrt(a+2*sqrtB), math.Abs(c.va*(1-t)-c.txi), sqrtB)

	chi := c.chiDet
	den := vb + chi // T(V + χ_tot)
	// λ3,4 from C and D; their difference sqrt(C − 2√D) is never taken from
	// C − 2√D itself, which cancels when both eigenvalues are near 1.
	var cc, sqrtD, diff34 float64
	if c.det == Heterodyne {
		cc = (a*chi*chi + b + 1 + 2*chi*(v*sqrtB+vb) + 2*t*(v*v-1)) / (den * den)
		sqrtD = (v + sqrtB*chi) / den
		// Exact: C − 2√D = ((1−T)·Va·(1+χ) + Tξ·(V−χ))² / (V_B + χ)².
		diff34 = math.Abs((1-t)*c.va*(1+chi)+c.txi*(v-chi)) / den
	} else {
		cc = (v*sqrtB + vb + a*chi) / den
		sqrtD = math.Sqrt(sqrtB * (v + sqrtB*chi) / den)
		// C − 2√D = (C² − 4D)/(C + 2√D), with den²·(C² − 4D) as a polynomial.
		diff34 = math.Sqrt(math.Max(0, homodyneDisc(c.va, c.txi, 1-t, chi)/(den*den*(cc+2*sqrtD))))
	}
	l3, l4 := pairFromSumDiff(math.Sqrt(cc+2*sqrtD), diff34, sqrtD)

	// χ_BE ≥ 0; only rounding (Va ≲ 1e-6, where both entropies are tiny and
	// nearly equal) can push the difference below 0.
	g := thermalEntropy
	return math.Max(0, g((l1-1)/2)+g((l2-1)/2)-g((l3-1)/2)-g((l4-1)/2))
}

// homodyneDisc is den²·(C² − 4D) of the homodyne closed form, with
// den = T(V + χ_tot), expanded (with sympy) as a polynomial Σ va^i·y^j·c_ij
// in va = Va, y = Tξ, s = 1 − T, chi = χ_hom. Where the eigenvalues crowd
// near 1 (Va, Tξ or 1 − T small) every term is small, so the sum keeps the
// relative accuracy that C² − 4D computed from C and D loses.
func homodyneDisc(va, y, s, chi float64) float64 {
	cs1 := chi*s + 1
	c0 := y * y * chi * chi * (4 + y*(4+y))
	c1 := y * (-8*chi*s*(chi+1) + y*(-4*chi*s*(chi+3)+y*(-4*chi*(cs1-chi))))
	c2 := 4*s*s*(chi+1)*(chi+1) + y*(-4*s*(chi-2)*cs1+y*(2*(3*chi*chi*s*s-4*chi*chi*s-3*chi*s+2)+y*(-2*chi)))
	c3 := 4*s*s*(chi+1)*cs1 + y*(-4*s*(chi*chi*s*s-chi*chi*s-2*chi*s-2)+y*4)
	c4 := s*s*cs1*cs1 + y*(2*s*cs1+y)
	return c0 + va*(c1+va*(c2+va*(c3+va*c4)))
}

// pairFromSumDiff returns the two symplectic eigenvalues ν1 ≥ ν2 of a pair
// whose sum, difference and product are given; the smaller one comes from
// the product, which keeps it accurate when ν1 ≫ ν2.
func pairFromSumDiff(sum, diff, prod float64) (float64, float64) {
	n1 := (sum + diff) / 2
	if n1 <= 0 {
		return 0, 0
	}
	return n1, prod / n1
}

func pow2(x float64) float64 { return x * x }

// thermalEntropy is g, the von Neumann entropy in bits of a thermal state of mean photon
// number x: g(x) = (x+1)·log2(x+1) − x·log2(x), g(0) = 0. The argument comes
// from a symplectic eigenvalue ν ≥ 1 as (ν−1)/2; rounding can leave it a hair
// below 0, which reads as 0 (a pure mode).
func thermalEntropy(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	// log2(1+x) + x·log2((1+x)/x), each form free of cancellation.
	var rest float64
	if x < 1 {
		rest = x * (math.Log1p(x) - math.Log(x))
	} else {
		rest = x * math.Log1p(1/x)
	}
	return (math.Log1p(x) + rest) / math.Ln2
}

// MutualInformation returns I_AB, the mutual information between Alice's
// symbols and Bob's measurements, in bits per symbol: log2(1 + SNR) for
// heterodyne (two quadratures), ½·log2(1 + SNR) for homodyne. It is a
// property of the data, so trusted and untrusted detection give the same
// value. β is not applied.
func MutualInformation(p KeyRateParams) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return p.reduce().mutualInformation(), nil
}

// HolevoBound returns χ_BE, the Holevo bound on the information Eve holds on
// Bob's measurements (reverse reconciliation, collective attacks, Gaussian
// modulation, Gaussian optimality), in bits per symbol.
func HolevoBound(p KeyRateParams) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return p.reduce().holevo(), nil
}

// SecretKeyRate returns the asymptotic secret key rate max(0, β·I_AB − χ_BE)
// in bits per symbol; multiply by the symbol rate for bit/s.
func SecretKeyRate(p KeyRateParams) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	c := p.reduce()
	k := p.Beta*c.mutualInformation() - c.holevo()
	if !(k > 0) { // also maps a NaN, which the domain should never produce, to no key
		return 0, nil
	}
	return k, nil
}

// SNR returns the signal-to-noise ratio of one measured quadrature:
// heterodyne ηT·(Va/2)/(1 + v_el + ηTξ/2), homodyne ηT·Va/(1 + v_el + ηTξ).
// Error correction picks its code rate from it (capacity per quadrature is
// ½·log2(1 + SNR)).
func SNR(p KeyRateParams) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return p.reduce().snr(), nil
}
