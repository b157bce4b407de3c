package postprocessing

import (
	"errors"
	"fmt"
	"math"
)

// Errors of parameter estimation. Every error EstimateParameters, Calibrate
// and PEResult.KeyRateParams return wraps exactly one of them.
var (
	// ErrInvalidInput: lengths that differ, too few samples, a value that
	// is not a finite number, η outside (0, 1], an unknown mode.
	ErrInvalidInput = errors.New("invalid parameter-estimation input")
	// ErrShotNoise: the calibration records give Var(el+shot) ≤ Var(el),
	// so there is no shot noise to normalise with (recalibrate).
	ErrShotNoise = errors.New("no shot noise in the calibration")
	// ErrNoCorrelation: Bob's data show no correlation with Alice's
	// symbols (or, in finite-size mode, not enough to bound T above 0):
	// the frame yields no key.
	ErrNoCorrelation = errors.New("no usable correlation between Alice's symbols and Bob's measurements")
)

// MinPESymbols is the smallest number of disclosed symbols, and of samples
// per calibration record, that EstimateParameters and Calibrate accept.
// Real frames disclose far more; the standard errors assume large samples.
const MinPESymbols = 16

// Calibration is Bob's detector calibration in raw detector units: the
// variance of one measured quadrature with electronic noise only (no light)
// and with electronic plus shot noise (local oscillator on, signal off),
// recorded with the same gain as the frame.
type Calibration struct {
	Detection      Detection
	Electronic     float64 // Var(el), raw units²
	ElectronicShot float64 // Var(el + shot), raw units²
	// Degrees of freedom behind each variance (quadrature samples minus
	// the fitted means); they set the calibration's standard errors.
	ElectronicDOF, ElectronicShotDOF int
}

// Calibrate computes the calibration from the two records. Heterodyne pools
// both quadratures; homodyne reads the real part only. Each variance is taken
// about its own mean, so a DC offset of the detector does not count as noise.
func Calibrate(det Detection, electronic, electronicShot []complex128) (Calibration, error) {
	if !det.Valid() {
		return Calibration{}, fmt.Errorf("%w: detection %v", ErrInvalidInput, det)
	}
	if len(electronic) < MinPESymbols || len(electronicShot) < MinPESymbols {
		return Calibration{}, fmt.Errorf("%w: calibration records of %d and %d samples, want at least %d each",
			ErrInvalidInput, len(electronic), len(electronicShot), MinPESymbols)
	}
	c := Calibration{Detection: det}
	c.Electronic, c.ElectronicDOF = quadratureVariance(det, electronic)
	c.ElectronicShot, c.ElectronicShotDOF = quadratureVariance(det, electronicShot)
	if err := c.Validate(); err != nil {
		return Calibration{}, err
	}
	return c, nil
}

// Validate checks that the calibration has shot noise to normalise with.
func (c Calibration) Validate() error {
	switch {
	case !c.Detection.Valid():
		return fmt.Errorf("%w: calibration detection %v", ErrInvalidInput, c.Detection)
	case !isFinite(c.Electronic) || !isFinite(c.ElectronicShot) || c.Electronic < 0:
		return fmt.Errorf("%w: calibration variances %g (electronic), %g (electronic + shot)",
			ErrInvalidInput, c.Electronic, c.ElectronicShot)
	case c.ElectronicDOF < 1 || c.ElectronicShotDOF < 1:
		return fmt.Errorf("%w: calibration without samples", ErrInvalidInput)
	case !(c.ElectronicShot-c.Electronic > 0):
		return fmt.Errorf("%w: Var(el+shot) = %g ≤ Var(el) = %g", ErrShotNoise, c.ElectronicShot, c.Electronic)
	}
	return nil
}

// ShotNoise is V_shot = Var(el+shot) − Var(el), in raw units².
func (c Calibration) ShotNoise() float64 { return c.ElectronicShot - c.Electronic }

// Vel is the electronic noise in shot-noise units: Var(el)/V_shot.
func (c Calibration) Vel() float64 { return c.Electronic / c.ShotNoise() }

// Normalize converts raw measurements to shot-noise units, y = raw/sqrt(V_shot),
// in a new slice. It returns nil when the calibration has no shot noise
// (Calibrate never returns such a calibration).
func Normalize(raw []complex128, cal Calibration) []complex128 {
	s := cal.ShotNoise()
	if !(s > 0) || !isFinite(s) {
		return nil
	}
	f := complex(1/math.Sqrt(s), 0)
	out := make([]complex128, len(raw))
	for i, r := range raw {
		out[i] = r * f
	}
	return out
}

// PEMode selects how the estimates enter the key rate.
type PEMode int

const (
	// Asymptotic uses the point estimates, as the reference does.
	Asymptotic PEMode = iota
	// FiniteSize uses the worst case compatible with the data at a
	// confidence 1 − ε: T at its lower bound, ξ at its upper bound
	// (Leverrier, Grosshans, Grangier, PRA 81, 062343 (2010)).
	FiniteSize
)

// String returns "asymptotic" or "finite-size".
func (m PEMode) String() string {
	switch m {
	case Asymptotic:
		return "asymptotic"
	case FiniteSize:
		return "finite-size"
	}
	return fmt.Sprintf("PEMode(%d)", int(m))
}

// ParsePEMode reads "asymptotic" or "finite-size" (also "finite").
func ParsePEMode(s string) (PEMode, error) {
	switch s {
	case "asymptotic":
		return Asymptotic, nil
	case "finite-size", "finite", "finite_size":
		return FiniteSize, nil
	}
	return 0, fmt.Errorf("%w: unknown parameter-estimation mode %q (want asymptotic or finite-size)", ErrInvalidInput, s)
}

// DefaultEpsilon is the failure probability of the finite-size bounds when
// PEInput.Epsilon is 0 (the ε_PE of Leverrier et al. 2010).
const DefaultEpsilon = 1e-10

// PEInput is what Bob holds after the PE exchange of a frame.
type PEInput struct {
	Detection Detection
	Eta       float64 // Bob's detection efficiency, known from his calibration, in (0, 1]
	// NPhoton is Alice's mean photon number per symbol (PE_NPHOTON_RESPONSE):
	// Va = 2·NPhoton. Zero means unknown: Va is then the variance of the
	// disclosed symbols. NPhotonStdErr, optional, is its standard error.
	NPhoton, NPhotonStdErr float64
	// Alice holds the disclosed symbols (SNU); Bob the raw measurements of
	// the same symbol indices, in the same order (detector units).
	Alice, Bob  []complex128
	Calibration Calibration
	Mode        PEMode
	Epsilon     float64 // FiniteSize: failure probability of each bound, in (0, 1); 0 = DefaultEpsilon
}

// Estimate is a value with its standard error (one standard deviation).
type Estimate struct {
	Value, StdErr float64
}

// PEResult is the outcome of parameter estimation.
type PEResult struct {
	Detection Detection
	Eta       float64
	Mode      PEMode
	Epsilon   float64 // the ε used (FiniteSize), 0 in Asymptotic mode
	Symbols   int     // disclosed symbols used
	// Point estimates with their standard errors (delta method; the
	// calibration's own statistical error included).
	T, Xi, Vel, Va Estimate
	// VaSymbols is the variance of Alice's disclosed symbols per
	// quadrature: a check on Va when Va comes from the photon number.
	VaSymbols float64
	// TWorst and XiWorst are what the key rate uses: the point estimates
	// in Asymptotic mode, the finite-size bounds in FiniteSize mode.
	// TWorst = 0 (and XiWorst = +Inf) when the bound leaves no
	// transmittance at all; KeyRate then reports ErrNoCorrelation, and a
	// report on the wire (JSON has no infinity) should carry T and Xi.
	TWorst, XiWorst float64
}

// EstimateParameters estimates T, ξ, v_el and Va from Alice's disclosed
// symbols, Bob's raw measurements of them and his calibration.
//
// Per measured quadrature (k = 2 for heterodyne, pooling q and p; k = 1 for
// homodyne, q only) the link is r = t·x + z in raw units, with
// t = sqrt(ηT·V_shot/k) and Var(z) = V_shot·(1 + v_el) + t²·ξ. With
// Sxx = Σx², Sxy = Σx·r over the N quadrature samples:
//
//	t̂ = Sxy/Sxx,  σ̂² = Σ(r − t̂x)²/(N − 1),  a = Var(el),  b = Var(el+shot)
//	T̂ = k·t̂²/(η·(b − a)),  ξ̂ = (σ̂² − b)/t̂²,  v̂_el = a/(b − a)
//
// which is the same as normalising y = r/sqrt(V_shot) first. Standard errors:
// Var(t̂) = σ̂²/Sxx, Var(σ̂²) = 2σ̂⁴/(N−1), Var(a) = 2a²/dof_a, Var(b) = 2b²/dof_b,
// propagated to first order.
func EstimateParameters(in PEInput) (PEResult, error) {
	if err := in.validate(); err != nil {
		return PEResult{}, err
	}
	s := regressionSumsOf(in.Detection, in.Alice, in.Bob)
	if !isFinite(s.sxx) || !isFinite(s.sxy) || !isFinite(s.syy) {
		return PEResult{}, fmt.Errorf("%w: the symbols or measurements hold values that are not finite numbers (or overflow)", ErrInvalidInput)
	}
	if !(s.sxx > 0) {
		return PEResult{}, fmt.Errorf("%w: Alice's disclosed symbols are all zero", ErrInvalidInput)
	}
	st := rawStatistics(s, in.Calibration)
	if st.t == 0 {
		return PEResult{}, fmt.Errorf("%w: Σx·y = 0", ErrNoCorrelation)
	}

	k := in.Detection.Quadratures()
	eta := in.Eta
	r := PEResult{
		Detection: in.Detection,
		Eta:       eta,
		Mode:      in.Mode,
		Symbols:   len(in.Alice),
		VaSymbols: s.sxx / float64(s.n),
	}
	// Point estimates.
	shot := st.b - st.a
	t2 := st.t * st.t
	r.T.Value = k * t2 / (eta * shot)
	r.Xi.Value = (st.sigma2 - st.b) / t2
	r.Vel.Value = st.a / shot
	if !(r.T.Value > 0) || !isFinite(r.T.Value) || !isFinite(r.Xi.Value) {
		// t̂² underflows or overflows: nothing usable for a key.
		return PEResult{}, fmt.Errorf("%w: slope %g gives T = %g, ξ = %g", ErrNoCorrelation, st.t, r.T.Value, r.Xi.Value)
	}
	// Standard errors (first-order propagation of independent statistics).
	varShot := st.varA + st.varB
	r.T.StdErr = math.Hypot(2*k*math.Abs(st.t)/(eta*shot)*math.Sqrt(st.varT), r.T.Value/shot*math.Sqrt(varShot))
	r.Xi.StdErr = math.Hypot(math.Sqrt(st.varSigma2+st.varB)/t2, 2*math.Abs(r.Xi.Value/st.t)*math.Sqrt(st.varT))
	r.Vel.StdErr = math.Hypot(st.b/shot/shot*math.Sqrt(st.varA), st.a/shot/shot*math.Sqrt(st.varB))
	if in.NPhoton > 0 {
		r.Va = Estimate{Value: 2 * in.NPhoton, StdErr: 2 * in.NPhotonStdErr}
	} else {
		r.Va = Estimate{Value: r.VaSymbols, StdErr: r.VaSymbols * math.Sqrt(2/float64(s.n))}
	}

	for _, e := range []Estimate{r.T, r.Xi, r.Vel, r.Va} {
		if !isFinite(e.StdErr) {
			// Only a slope many orders of magnitude below the noise gets here.
			return PEResult{}, fmt.Errorf("%w: slope %g, standard errors overflow", ErrNoCorrelation, st.t)
		}
	}

	switch in.Mode {
	case Asymptotic:
		r.TWorst, r.XiWorst = r.T.Value, r.Xi.Value
	case FiniteSize:
		r.Epsilon = in.Epsilon
		if r.Epsilon == 0 {
			r.Epsilon = DefaultEpsilon
		}
		r.TWorst, r.XiWorst = st.worstCase(k, eta, r.Epsilon)
	}
	return r, nil
}

func (in PEInput) validate() error {
	switch {
	case !in.Detection.Valid():
		return fmt.Errorf("%w: detection %v", ErrInvalidInput, in.Detection)
	case !(in.Eta > 0 && in.Eta <= 1):
		return fmt.Errorf("%w: detection efficiency η = %g, want η in (0, 1]", ErrInvalidInput, in.Eta)
	case !(in.NPhoton >= 0) || !isFinite(in.NPhoton):
		return fmt.Errorf("%w: mean photon number %g, want a finite number ≥ 0", ErrInvalidInput, in.NPhoton)
	case !(in.NPhotonStdErr >= 0) || !isFinite(in.NPhotonStdErr):
		return fmt.Errorf("%w: photon-number standard error %g, want a finite number ≥ 0", ErrInvalidInput, in.NPhotonStdErr)
	case len(in.Alice) != len(in.Bob):
		return fmt.Errorf("%w: %d disclosed symbols but %d measurements", ErrInvalidInput, len(in.Alice), len(in.Bob))
	case len(in.Alice) < MinPESymbols:
		return fmt.Errorf("%w: %d disclosed symbols, want at least %d", ErrInvalidInput, len(in.Alice), MinPESymbols)
	case in.Mode != Asymptotic && in.Mode != FiniteSize:
		return fmt.Errorf("%w: mode %v", ErrInvalidInput, in.Mode)
	case in.Mode == FiniteSize && in.Epsilon != 0 && !(in.Epsilon > 0 && in.Epsilon < 1):
		return fmt.Errorf("%w: ε = %g, want ε in (0, 1)", ErrInvalidInput, in.Epsilon)
	case in.Calibration.Detection != in.Detection:
		return fmt.Errorf("%w: calibration for %v, frame measured with %v", ErrInvalidInput, in.Calibration.Detection, in.Detection)
	}
	return in.Calibration.Validate()
}

// rawStats are the estimated statistics in raw units with their variances.
type rawStats struct {
	n                 int     // quadrature samples
	sxx               float64 // Σx²
	t, varT           float64 // regression slope
	sigma2, varSigma2 float64 // residual variance
	a, varA           float64 // Var(el)
	b, varB           float64 // Var(el + shot)
}

func rawStatistics(s regressionSums, cal Calibration) rawStats {
	t := s.sxy / s.sxx
	rss := math.Max(0, s.syy-t*s.sxy) // Σ(r − t·x)²
	dof := s.n - 1
	sigma2 := rss / float64(dof)
	return rawStats{
		n:         s.n,
		sxx:       s.sxx,
		t:         t,
		varT:      sigma2 / s.sxx,
		sigma2:    sigma2,
		varSigma2: varianceOfVariance(sigma2, dof),
		a:         cal.Electronic,
		varA:      varianceOfVariance(cal.Electronic, cal.ElectronicDOF),
		b:         cal.ElectronicShot,
		varB:      varianceOfVariance(cal.ElectronicShot, cal.ElectronicShotDOF),
	}
}

// KeyRateParams turns the estimates into key-rate parameters: TWorst and
// XiWorst, v_el and Va point estimates, η, and the given β and trust model.
// Statistics can step outside the physical domain near its edges: T above 1
// reads as 1 and ξ below 0 as 0. No transmittance (TWorst ≤ 0) is
// ErrNoCorrelation.
func (r PEResult) KeyRateParams(beta float64, trusted bool) (KeyRateParams, error) {
	if !(r.TWorst > 0) || math.IsInf(r.XiWorst, 1) {
		return KeyRateParams{}, fmt.Errorf("%w: transmittance bound %g", ErrNoCorrelation, r.TWorst)
	}
	p := KeyRateParams{
		Detection: r.Detection,
		Trusted:   trusted,
		Va:        r.Va.Value,
		T:         math.Min(r.TWorst, 1),
		Xi:        math.Max(r.XiWorst, 0),
		Eta:       r.Eta,
		Vel:       r.Vel.Value,
		Beta:      beta,
	}
	if err := p.Validate(); err != nil {
		return KeyRateParams{}, err
	}
	return p, nil
}

// KeyRate is the secret key rate in bits per symbol for these estimates
// (SecretKeyRate of KeyRateParams). A frame without correlation has rate 0
// and the error says why (ErrNoCorrelation).
func (r PEResult) KeyRate(beta float64, trusted bool) (float64, error) {
	p, err := r.KeyRateParams(beta, trusted)
	if err != nil {
		return 0, err
	}
	return SecretKeyRate(p)
}
