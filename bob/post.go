package bob

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/qosst/qosst-go/hardware"
	pp "github.com/qosst/qosst-go/postprocessing"
)

// ErrEstimation reports data that does not allow parameter estimation.
var ErrEstimation = errors.New("bob: parameter estimation failed")

// calibration is the shot-noise calibration of the receiver.
type calibration struct {
	vshot float64 // shot-noise variance per quadrature, detector units²
	vel   float64 // electronic noise, SNU
}

// quadVariance is the variance per measured quadrature of a record
// (heterodyne: both parts pooled; homodyne: the real part).
func quadVariance(rec []complex128, d hardware.Detection) float64 {
	var s, s2 float64
	n := 0
	add := func(v float64) { s += v; s2 += v * v; n++ }
	for _, z := range rec {
		add(real(z))
		if d == hardware.Heterodyne {
			add(imag(z))
		}
	}
	if n < 2 {
		return math.NaN()
	}
	m := s / float64(n)
	return (s2 - float64(n)*m*m) / float64(n-1)
}

// calibrate derives V_shot = Var(el+shot) − Var(el) and v_el = Var(el)/V_shot.
func calibrate(el, shot []complex128, d hardware.Detection) (calibration, error) {
	vel, vtot := quadVariance(el, d), quadVariance(shot, d)
	vshot := vtot - vel
	if !(vshot > 0) || math.IsInf(vshot, 0) || !(vel >= 0) {
		return calibration{}, fmt.Errorf("%w: calibration records give V(el) = %g, V(el+shot) = %g", ErrEstimation, vel, vtot)
	}
	return calibration{vshot: vshot, vel: vel / vshot}, nil
}

// normalize turns raw measurements into shot-noise units.
func (c calibration) normalize(raw []complex128) []complex128 {
	k := complex(1/math.Sqrt(c.vshot), 0)
	out := make([]complex128, len(raw))
	for i, z := range raw {
		out[i] = z * k
	}
	return out
}

// estimate is the outcome of parameter estimation (SNU).
type estimate struct {
	t, xi, vel, va, eta float64
}

// keyRateParams returns the key-rate inputs at the estimate (trusted
// detector). T is clipped into (0, 1] and ξ at 0 from below, as statistical
// estimates may fall just outside the physical domain.
func (e estimate) keyRateParams(d pp.Detection, beta float64) pp.KeyRateParams {
	return pp.KeyRateParams{Detection: d, Trusted: true, Va: e.va, T: min(max(e.t, 1e-12), 1), Xi: max(e.xi, 0),
		Eta: e.eta, Vel: e.vel, Beta: beta}
}

// estimateChannel estimates T and ξ from Alice's disclosed symbols x and
// Bob's matching measurements y (SNU), with y = g·x + n per quadrature:
// g = Σxy/Σx², T = k·g²/η, Var(n) = 1 + v_el + ηTξ/k (k = 2 heterodyne,
// 1 homodyne).
func estimateChannel(x, y []complex128, d hardware.Detection, eta, va, vel float64) (estimate, error) {
	if len(x) != len(y) || len(x) < 2 {
		return estimate{}, fmt.Errorf("%w: %d Alice symbols for %d measurements", ErrEstimation, len(x), len(y))
	}
	if !(va > 0) {
		return estimate{}, fmt.Errorf("%w: modulation variance %g from n_photon", ErrEstimation, va)
	}
	k := 1.0
	if d == hardware.Heterodyne {
		k = 2
	}
	var sxy, sxx float64
	n := 0
	for i := range x {
		sxy += real(x[i]) * real(y[i])
		sxx += real(x[i]) * real(x[i])
		n++
		if d == hardware.Heterodyne {
			sxy += imag(x[i]) * imag(y[i])
			sxx += imag(x[i]) * imag(x[i])
			n++
		}
	}
	if !(sxx > 0) {
		return estimate{}, fmt.Errorf("%w: Alice's disclosed symbols are all zero", ErrEstimation)
	}
	g := sxy / sxx
	var sn float64
	for i := range x {
		r := real(y[i]) - g*real(x[i])
		sn += r * r
		if d == hardware.Heterodyne {
			q := imag(y[i]) - g*imag(x[i])
			sn += q * q
		}
	}
	noise := sn / float64(n-1)
	t := k * g * g / eta
	if !(t > 0) || math.IsInf(t, 0) {
		return estimate{}, fmt.Errorf("%w: transmittance estimate %g", ErrEstimation, t)
	}
	xi := k * (noise - 1 - vel) / (eta * t)
	return estimate{t: t, xi: xi, vel: vel, va: va, eta: eta}, nil
}

// ecPlan is the error-correction plan of a frame, with Bob's key
// quadratures.
type ecPlan struct {
	plan pp.ReconciliationPlan
	yq   []float64
	snr  float64
	beta float64
}

// reconciled is the key after error correction.
type reconciled struct {
	key    []uint8
	leaked int
}

// rngReader reads random bytes from a math/rand/v2 generator (a CSPRNG
// seeded generator unless a test supplies its own).
type rngReader struct{ r *rand.Rand }

func (r rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}
