package postprocessing

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// peLink is the simulated optical link of the project's design, generated
// here from scratch: Alice's x ~ N(0, Va) per quadrature; per measured
// quadrature y = sqrt(ηT/k)·x + n with Var(n) = 1 + v_el + ηTξ/k (SNU,
// k = 2 heterodyne, 1 homodyne); Bob's raw output is gain·y; calibration
// records are gain·sqrt(v_el)·N(0,1) and gain·sqrt(1 + v_el)·N(0,1).
type peLink struct {
	det                 Detection
	va, t, xi, eta, vel float64
	gain                float64 // sqrt(V_shot) in raw units
}

type peLinkData struct {
	alice, bob, el, elShot []complex128
}

func (l peLink) generate(rng *rand.Rand, symbols, calSamples int) peLinkData {
	k := l.det.Quadratures()
	slope := math.Sqrt(l.eta * l.t / k)
	noise := math.Sqrt(1 + l.vel + l.eta*l.t*l.xi/k)
	sa := math.Sqrt(l.va)
	d := peLinkData{alice: make([]complex128, symbols), bob: make([]complex128, symbols)}
	for i := range d.alice {
		x := complex(sa*rng.NormFloat64(), sa*rng.NormFloat64())
		d.alice[i] = x
		q := slope*real(x) + noise*rng.NormFloat64()
		p := 0.0
		if l.det == Heterodyne {
			p = slope*imag(x) + noise*rng.NormFloat64()
		}
		d.bob[i] = complex(l.gain*q, l.gain*p)
	}
	rec := func(sigma float64) []complex128 {
		out := make([]complex128, calSamples)
		for i := range out {
			q := sigma * rng.NormFloat64()
			p := 0.0
			if l.det == Heterodyne {
				p = sigma * rng.NormFloat64()
			}
			out[i] = complex(q, p)
		}
		return out
	}
	d.el = rec(l.gain * math.Sqrt(l.vel))
	d.elShot = rec(l.gain * math.Sqrt(1+l.vel))
	return d
}

// peFatal is what both *testing.T and *rapid.T offer.
type peFatal interface {
	Fatalf(format string, args ...any)
}

func (l peLink) estimate(t peFatal, d peLinkData, mode PEMode, eps float64) PEResult {
	cal, err := Calibrate(l.det, d.el, d.elShot)
	if err != nil {
		t.Fatalf("Calibrate: %v", err)
	}
	r, err := EstimateParameters(PEInput{
		Detection: l.det, Eta: l.eta, Alice: d.alice, Bob: d.bob,
		Calibration: cal, Mode: mode, Epsilon: eps,
	})
	if err != nil {
		t.Fatalf("EstimateParameters: %v", err)
	}
	return r
}

func drawPELink(t *rapid.T) peLink {
	return peLink{
		det:  genKRDetection(t),
		va:   rapid.Float64Range(1, 10).Draw(t, "Va"),
		t:    math.Pow(10, rapid.Float64Range(-1.5, 0).Draw(t, "log10T")),
		xi:   rapid.Float64Range(0, 0.2).Draw(t, "xi"),
		eta:  rapid.Float64Range(0.3, 1).Draw(t, "eta"),
		vel:  rapid.Float64Range(0.001, 0.3).Draw(t, "vel"),
		gain: math.Pow(10, rapid.Float64Range(-2, 2).Draw(t, "log10gain")),
	}
}

// The estimators invert the simulated link: T, ξ, v_el and Va come back
// within 5 standard errors over random links, gains and sample sizes.
// Standard errors are first order, so the sample is at least large enough
// for the slope to be known to 2.5 % (N·SNR ≥ 1600 quadrature samples);
// below that T̂ ∝ t̂² is visibly skewed: with 400 (the slope to 5 %) one
// link in many came out 5.4 standard errors low (T = 0.1, SNR 0.022, 9260
// heterodyne symbols: T̂ = 0.058 ± 0.0078). Real frames disclose 10^5
// symbols or more.
func TestEstimatorsRecoverTheSimulatedLink(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := drawPELink(t)
		k := l.det.Quadratures()
		snr := l.eta * l.t * l.va / k / (1 + l.vel + l.eta*l.t*l.xi/k)
		symbols := max(rapid.IntRange(2000, 20000).Draw(t, "symbols"), int(math.Ceil(1600/(snr*k))))
		cal := rapid.IntRange(2000, 20000).Draw(t, "calibrationSamples")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 7))
		d := l.generate(rng, symbols, cal)
		r := l.estimate(t, d, Asymptotic, 0)

		for _, c := range []struct {
			name  string
			est   Estimate
			truth float64
		}{
			{"T", r.T, l.t}, {"ξ", r.Xi, l.xi}, {"v_el", r.Vel, l.vel}, {"Va", r.Va, l.va},
		} {
			if !(c.est.StdErr > 0) || math.IsInf(c.est.StdErr, 0) {
				t.Fatalf("%s: standard error %v", c.name, c.est.StdErr)
			}
			if dev := math.Abs(c.est.Value-c.truth) / c.est.StdErr; dev > 5 {
				t.Fatalf("%s = %g ± %g, truth %g (%.1f standard errors)", c.name, c.est.Value, c.est.StdErr, c.truth, dev)
			}
		}
		if r.TWorst != r.T.Value || r.XiWorst != r.Xi.Value || r.Symbols != symbols {
			t.Fatalf("asymptotic mode must key on the point estimates: %+v", r)
		}
	})
}

// The standard errors are honest: over repeated frames the spread of each
// estimator matches the standard error it reports (within ±20 %; the
// spread itself is known to ~4 % from 300 frames).
func TestStandardErrorsMatchTheSpread(t *testing.T) {
	for _, det := range []Detection{Heterodyne, Homodyne} {
		l := peLink{det: det, va: 2, t: 0.5, xi: 0.05, eta: 0.8, vel: 0.05, gain: 3}
		rng := rand.New(rand.NewPCG(1, uint64(det)))
		const reps = 300
		var sum, sum2, se [3]float64
		for range reps {
			r := l.estimate(t, l.generate(rng, 2000, 2000), Asymptotic, 0)
			for i, e := range []Estimate{r.T, r.Xi, r.Vel} {
				sum[i] += e.Value
				sum2[i] += e.Value * e.Value
				se[i] += e.StdErr
			}
		}
		for i, name := range []string{"T", "ξ", "v_el"} {
			mean := sum[i] / reps
			sd := math.Sqrt((sum2[i] - reps*mean*mean) / (reps - 1))
			ratio := (se[i] / reps) / sd
			t.Logf("%v %s: standard error %.4g, spread %.4g, ratio %.3f", det, name, se[i]/reps, sd, ratio)
			if ratio < 0.8 || ratio > 1.25 {
				t.Errorf("%v %s: reported standard error %.4g, observed spread %.4g (ratio %.2f)", det, name, se[i]/reps, sd, ratio)
			}
		}
	}
}

// Finite-size bounds: never better than the point estimates, and they fail
// (T below its bound, or ξ above) no more often than ε says.
func TestFiniteSizeBoundsCoverTheTruth(t *testing.T) {
	const eps, reps = 0.1, 300
	for _, det := range []Detection{Heterodyne, Homodyne} {
		l := peLink{det: det, va: 4, t: 0.3, xi: 0.05, eta: 0.7, vel: 0.1, gain: 0.5}
		rng := rand.New(rand.NewPCG(2, uint64(det)))
		tFail, xiFail := 0, 0
		for range reps {
			r := l.estimate(t, l.generate(rng, 1500, 1500), FiniteSize, eps)
			if r.Epsilon != eps || r.Mode != FiniteSize {
				t.Fatalf("result mode %v ε %v", r.Mode, r.Epsilon)
			}
			if !(r.TWorst < r.T.Value) || !(r.XiWorst > r.Xi.Value) {
				t.Fatalf("%v: worst case (%g, %g) is not worse than the estimate (%g, %g)", det, r.TWorst, r.XiWorst, r.T.Value, r.Xi.Value)
			}
			if r.TWorst > l.t {
				tFail++
			}
			if r.XiWorst < l.xi {
				xiFail++
			}
		}
		limit := int(eps*reps + 3*math.Sqrt(eps*(1-eps)*reps))
		t.Logf("%v: T bound failed %d, ξ bound %d times in %d frames (ε = %g)", det, tFail, xiFail, reps, eps)
		if tFail > limit || xiFail > limit {
			t.Errorf("%v: bounds failed T %d, ξ %d times in %d frames; ε = %g allows ~%d", det, tFail, xiFail, reps, eps, int(eps*reps))
		}
	}
}

// With an exactly known calibration the bounds are Leverrier's, each
// one-sided at ε/2: the T bound fails in about ε/2
// of the frames, neither far more (too optimistic) nor almost never (a
// wrong z, or bounds needlessly loose).
func TestFiniteSizeBoundIsTight(t *testing.T) {
	const eps, reps = 0.1, 400
	for _, det := range []Detection{Heterodyne, Homodyne} {
		l := peLink{det: det, va: 4, t: 0.3, xi: 0.05, eta: 0.7, vel: 0.1, gain: 2}
		rng := rand.New(rand.NewPCG(10, uint64(det)))
		// The calibration is known exactly, as the paper assumes.
		g2 := l.gain * l.gain
		exact := Calibration{Detection: det, Electronic: g2 * l.vel, ElectronicShot: g2 * (1 + l.vel),
			ElectronicDOF: 1 << 50, ElectronicShotDOF: 1 << 50}
		fail := 0
		for range reps {
			d := l.generate(rng, 500, 0)
			r, err := EstimateParameters(PEInput{Detection: det, Eta: l.eta, Alice: d.alice, Bob: d.bob,
				Calibration: exact, Mode: FiniteSize, Epsilon: eps})
			if err != nil {
				t.Fatal(err)
			}
			if r.TWorst > l.t {
				fail++
			}
		}
		mean := eps / 2 * reps
		sd := math.Sqrt(mean * (1 - eps/2))
		t.Logf("%v: T bound failed %d times in %d frames, ε/2 expects %.0f ± %.1f", det, fail, reps, mean, sd)
		if math.Abs(float64(fail)-mean) > 3.5*sd {
			t.Errorf("%v: T bound failed %d times in %d frames, want %.0f ± %.1f", det, fail, reps, mean, sd)
		}
	}
}

// The default ε is the paper's 1e-10, a tighter confidence gives wider
// bounds, and more data gives tighter ones.
func TestFiniteSizeBoundsTightenWithData(t *testing.T) {
	l := peLink{det: Heterodyne, va: 2, t: 0.9, xi: 0.01, eta: 0.8, vel: 0.05, gain: 1}
	rng := rand.New(rand.NewPCG(3, 3))
	small := l.generate(rng, 5000, 50000)
	r := l.estimate(t, small, FiniteSize, 0)
	if r.Epsilon != DefaultEpsilon {
		t.Fatalf("ε = %g, want the default %g", r.Epsilon, DefaultEpsilon)
	}
	loose := l.estimate(t, small, FiniteSize, 1e-3)
	if !(loose.TWorst > r.TWorst && loose.XiWorst < r.XiWorst) {
		t.Fatalf("ε=1e-3 bounds (%g, %g) not tighter than ε=1e-10 (%g, %g)", loose.TWorst, loose.XiWorst, r.TWorst, r.XiWorst)
	}
	big := l.estimate(t, l.generate(rng, 200000, 500000), FiniteSize, 0)
	if !(big.T.Value-big.TWorst < r.T.Value-r.TWorst && big.XiWorst-big.Xi.Value < r.XiWorst-r.Xi.Value) {
		t.Fatalf("40× more data did not tighten the bounds: %+v vs %+v", big, r)
	}
	kAsym, err := l.estimate(t, small, Asymptotic, 0).KeyRate(0.95, true)
	if err != nil {
		t.Fatal(err)
	}
	kFin, err := r.KeyRate(0.95, true)
	if err != nil && !errors.Is(err, ErrNoCorrelation) {
		t.Fatal(err)
	}
	if kFin > kAsym {
		t.Fatalf("finite-size key rate %g above the asymptotic %g", kFin, kAsym)
	}
}

// No correlation at all, or a finite-size bound that cannot exclude T = 0,
// is no key and says so.
func TestNoCorrelationIsNoKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	l := peLink{det: Homodyne, va: 2, t: 1e-6, xi: 0, eta: 0.5, vel: 0.1, gain: 1}
	d := l.generate(rng, 200, 2000)
	r := l.estimate(t, d, FiniteSize, 1e-10)
	if r.TWorst != 0 || !math.IsInf(r.XiWorst, 1) {
		t.Fatalf("T bound %g, ξ bound %g; want 0, +Inf", r.TWorst, r.XiWorst)
	}
	k, err := r.KeyRate(0.95, true)
	if k != 0 || !errors.Is(err, ErrNoCorrelation) {
		t.Fatalf("KeyRate = %v, %v; want 0 and ErrNoCorrelation", k, err)
	}
	cal, _ := Calibrate(Homodyne, d.el, d.elShot)
	_, err = EstimateParameters(PEInput{Detection: Homodyne, Eta: 0.5, Alice: d.alice, Bob: make([]complex128, len(d.alice)), Calibration: cal})
	if !errors.Is(err, ErrNoCorrelation) {
		t.Fatalf("Bob all zeros: %v, want ErrNoCorrelation", err)
	}
}

func TestVaFromPhotonNumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	l := peLink{det: Heterodyne, va: 2, t: 0.9, xi: 0.01, eta: 0.8, vel: 0.05, gain: 1}
	d := l.generate(rng, 20000, 20000)
	cal, _ := Calibrate(l.det, d.el, d.elShot)
	r, err := EstimateParameters(PEInput{Detection: l.det, Eta: l.eta, NPhoton: 1.01, NPhotonStdErr: 0.02, Alice: d.alice, Bob: d.bob, Calibration: cal})
	if err != nil {
		t.Fatal(err)
	}
	if r.Va.Value != 2.02 || r.Va.StdErr != 0.04 {
		t.Fatalf("Va = %+v, want 2·<n> = 2.02 ± 0.04", r.Va)
	}
	if math.Abs(r.VaSymbols-2) > 5*2*math.Sqrt(2.0/40000) {
		t.Fatalf("variance of the disclosed symbols %g, want ~2", r.VaSymbols)
	}
	p, err := r.KeyRateParams(0.95, true)
	if err != nil || p.Va != 2.02 || p.Eta != 0.8 || p.Beta != 0.95 || !p.Trusted || p.Detection != Heterodyne {
		t.Fatalf("KeyRateParams = %+v, %v", p, err)
	}
}

// Statistics may land just outside the physical domain; the key rate reads
// them at its edge instead of failing.
func TestKeyRateParamsClampToTheDomain(t *testing.T) {
	r := PEResult{Detection: Homodyne, Eta: 0.9, Va: Estimate{Value: 4}, Vel: Estimate{Value: 0.01}, TWorst: 1.003, XiWorst: -0.002}
	p, err := r.KeyRateParams(0.9, true)
	if err != nil || p.T != 1 || p.Xi != 0 {
		t.Fatalf("got %+v, %v; want T = 1, ξ = 0", p, err)
	}
}

func TestNormalize(t *testing.T) {
	cal := Calibration{Detection: Heterodyne, Electronic: 0.5, ElectronicShot: 4.5, ElectronicDOF: 10, ElectronicShotDOF: 10}
	if cal.ShotNoise() != 4 || cal.Vel() != 0.125 {
		t.Fatalf("V_shot %g, v_el %g", cal.ShotNoise(), cal.Vel())
	}
	raw := []complex128{complex(2, -4), complex(0, 1)}
	y := Normalize(raw, cal)
	if len(y) != 2 || y[0] != complex(1, -2) || y[1] != complex(0, 0.5) {
		t.Fatalf("Normalize = %v", y)
	}
	if raw[0] != complex(2, -4) {
		t.Fatal("Normalize changed its input")
	}
	cal.ElectronicShot = 0.5
	if Normalize(raw, cal) != nil {
		t.Fatal("Normalize without shot noise must return nil")
	}
}

// Calibrate recovers V_shot and v_el from records with a gain and a DC
// offset, pooling both quadratures for heterodyne and ignoring the
// imaginary part for homodyne.
func TestCalibrate(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	const n, gain, vel = 100000, 7.0, 0.2
	rec := func(sigma float64, hom bool) []complex128 {
		out := make([]complex128, n)
		for i := range out {
			p := 3 + sigma*rng.NormFloat64()
			if hom {
				p = 1e6 // junk that homodyne must not read
			}
			out[i] = complex(-5+sigma*rng.NormFloat64(), p)
		}
		return out
	}
	for _, det := range []Detection{Heterodyne, Homodyne} {
		hom := det == Homodyne
		cal, err := Calibrate(det, rec(gain*math.Sqrt(vel), hom), rec(gain*math.Sqrt(1+vel), hom))
		if err != nil {
			t.Fatal(err)
		}
		dof := n - 1
		if !hom {
			dof = 2 * (n - 1)
		}
		if cal.ElectronicDOF != dof || cal.ElectronicShotDOF != dof {
			t.Fatalf("%v: degrees of freedom %d, %d; want %d", det, cal.ElectronicDOF, cal.ElectronicShotDOF, dof)
		}
		tol := 5 * math.Sqrt(2/float64(dof))
		if math.Abs(cal.ShotNoise()/(gain*gain)-1) > 2*tol || math.Abs(cal.Vel()/vel-1) > 2*tol {
			t.Fatalf("%v: V_shot %g (want %g), v_el %g (want %g)", det, cal.ShotNoise(), gain*gain, cal.Vel(), vel)
		}
	}
}

func TestInputErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	l := peLink{det: Heterodyne, va: 2, t: 0.9, xi: 0.01, eta: 0.8, vel: 0.05, gain: 1}
	d := l.generate(rng, 100, 100)
	cal, err := Calibrate(l.det, d.el, d.elShot)
	if err != nil {
		t.Fatal(err)
	}
	good := PEInput{Detection: Heterodyne, Eta: 0.8, Alice: d.alice, Bob: d.bob, Calibration: cal}
	if _, err := EstimateParameters(good); err != nil {
		t.Fatal(err)
	}
	withNaN := append([]complex128(nil), d.bob...)
	withNaN[3] = complex(math.NaN(), 0)
	withInf := append([]complex128(nil), d.alice...)
	withInf[5] = complex(0, math.Inf(-1))
	huge := append([]complex128(nil), d.alice...)
	huge[0] = complex(1e200, 0)
	tinyBob := make([]complex128, len(d.bob))
	for i, a := range d.alice {
		tinyBob[i] = a * 1e-170 // t̂² underflows to 0
	}
	noShot := cal
	noShot.ElectronicShot = cal.Electronic
	cases := []struct {
		name string
		mut  func(*PEInput)
		want error
	}{
		{"length mismatch", func(in *PEInput) { in.Bob = in.Bob[:99] }, ErrInvalidInput},
		{"too few", func(in *PEInput) { in.Alice, in.Bob = in.Alice[:MinPESymbols-1], in.Bob[:MinPESymbols-1] }, ErrInvalidInput},
		{"empty", func(in *PEInput) { in.Alice, in.Bob = nil, nil }, ErrInvalidInput},
		{"NaN measurement", func(in *PEInput) { in.Bob = withNaN }, ErrInvalidInput},
		{"infinite symbol", func(in *PEInput) { in.Alice = withInf }, ErrInvalidInput},
		{"overflowing symbol", func(in *PEInput) { in.Alice = huge }, ErrInvalidInput},
		{"zero symbols", func(in *PEInput) { in.Alice = make([]complex128, 100) }, ErrInvalidInput},
		{"vanishing slope", func(in *PEInput) { in.Bob = tinyBob }, ErrNoCorrelation},
		{"η = 0", func(in *PEInput) { in.Eta = 0 }, ErrInvalidInput},
		{"η > 1", func(in *PEInput) { in.Eta = 1.2 }, ErrInvalidInput},
		{"η NaN", func(in *PEInput) { in.Eta = math.NaN() }, ErrInvalidInput},
		{"negative photon number", func(in *PEInput) { in.NPhoton = -1 }, ErrInvalidInput},
		{"NaN photon error", func(in *PEInput) { in.NPhotonStdErr = math.NaN() }, ErrInvalidInput},
		{"detection", func(in *PEInput) { in.Detection = 0 }, ErrInvalidInput},
		{"calibration of the other detection", func(in *PEInput) { in.Detection = Homodyne }, ErrInvalidInput},
		{"mode", func(in *PEInput) { in.Mode = 7 }, ErrInvalidInput},
		{"ε ≥ 1", func(in *PEInput) { in.Mode, in.Epsilon = FiniteSize, 1 }, ErrInvalidInput},
		{"ε < 0", func(in *PEInput) { in.Mode, in.Epsilon = FiniteSize, -1e-3 }, ErrInvalidInput},
		{"no shot noise", func(in *PEInput) { in.Calibration = noShot }, ErrShotNoise},
		{"no calibration", func(in *PEInput) { in.Calibration = Calibration{} }, ErrInvalidInput},
	}
	for _, c := range cases {
		in := good
		c.mut(&in)
		r, err := EstimateParameters(in)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if r != (PEResult{}) {
			t.Errorf("%s: non-zero result %+v with an error", c.name, r)
		}
	}

	// Calibration records.
	short := make([]complex128, MinPESymbols-1)
	if _, err := Calibrate(Heterodyne, short, d.elShot); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("short record: %v", err)
	}
	if _, err := Calibrate(Heterodyne, d.elShot, d.el); !errors.Is(err, ErrShotNoise) {
		t.Errorf("records swapped (Var(el+shot) < Var(el)): %v", err)
	}
	nan := append([]complex128(nil), d.el...)
	nan[0] = complex(math.NaN(), 0)
	if _, err := Calibrate(Heterodyne, nan, d.elShot); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("NaN in record: %v", err)
	}
	if _, err := Calibrate(0, d.el, d.elShot); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("no detection: %v", err)
	}
}

// Hostile input (the disclosed symbols come from the network): any mix of
// ordinary, huge, tiny, zero, NaN and infinite values is either an error
// or a result made of finite numbers, never a panic.
func TestEstimateParametersHostileInput(t *testing.T) {
	special := []float64{0, 1e-300, -1e-300, 1e300, -1e300, 5e-324, math.NaN(), math.Inf(1), math.Inf(-1), 1, -1}
	value := rapid.Custom(func(t *rapid.T) float64 {
		if rapid.IntRange(0, 4).Draw(t, "kind") == 0 {
			return rapid.SampledFrom(special).Draw(t, "special")
		}
		return rapid.Float64Range(-10, 10).Draw(t, "plain")
	})
	samples := func(t *rapid.T, n int, label string) []complex128 {
		out := make([]complex128, n)
		for i := range out {
			out[i] = complex(value.Draw(t, label), value.Draw(t, label))
		}
		return out
	}
	rapid.Check(t, func(t *rapid.T) {
		det := genKRDetection(t)
		n := rapid.IntRange(MinPESymbols-2, 40).Draw(t, "n")
		in := PEInput{
			Detection: det,
			Eta:       rapid.SampledFrom([]float64{0.5, 1, 0, math.NaN(), 1e-300}).Draw(t, "eta"),
			NPhoton:   rapid.SampledFrom([]float64{0, 1, -1, math.Inf(1)}).Draw(t, "nphoton"),
			Alice:     samples(t, n, "alice"),
			Bob:       samples(t, n+rapid.IntRange(-1, 1).Draw(t, "skew"), "bob"),
			Mode:      rapid.SampledFrom([]PEMode{Asymptotic, FiniteSize}).Draw(t, "mode"),
			Epsilon:   rapid.SampledFrom([]float64{0, 1e-10, 0.5, 2, math.NaN()}).Draw(t, "eps"),
		}
		cal, err := Calibrate(det, samples(t, MinPESymbols, "el"), samples(t, MinPESymbols, "elShot"))
		if err != nil {
			cal = Calibration{Detection: det, Electronic: 1, ElectronicShot: 3, ElectronicDOF: 30, ElectronicShotDOF: 30}
		}
		in.Calibration = cal
		r, err := EstimateParameters(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) && !errors.Is(err, ErrNoCorrelation) && !errors.Is(err, ErrShotNoise) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, e := range []Estimate{r.T, r.Xi, r.Vel, r.Va} {
			if !isFinite(e.Value) || !isFinite(e.StdErr) || e.StdErr < 0 {
				t.Fatalf("non-finite estimate %+v in %+v", e, r)
			}
		}
		if !(r.T.Value > 0) || !isFinite(r.TWorst) || r.TWorst < 0 || math.IsNaN(r.XiWorst) ||
			(math.IsInf(r.XiWorst, 0) && !(r.TWorst == 0 && r.XiWorst > 0)) {
			t.Fatalf("bad result %+v", r)
		}
		k, err := r.KeyRate(0.9, true)
		if math.IsNaN(k) || k < 0 || (err != nil && !errors.Is(err, ErrNoCorrelation) && !errors.Is(err, ErrOutOfDomain)) {
			t.Fatalf("KeyRate = %v, %v", k, err)
		}
	})
}

func TestPEModeText(t *testing.T) {
	for _, m := range []PEMode{Asymptotic, FiniteSize} {
		back, err := ParsePEMode(m.String())
		if err != nil || back != m {
			t.Fatalf("%v: %v, %v", m, back, err)
		}
	}
	if _, err := ParsePEMode("optimistic"); !errors.Is(err, ErrInvalidInput) {
		t.Fatal(err)
	}
}

// Benchmarks: parameter estimation on 10^6 symbols, against a baseline that
// only reads the same two slices once (the memory-bound floor).
func peBenchData(b *testing.B) (peLink, peLinkData, Calibration) {
	l := peLink{det: Heterodyne, va: 2, t: 0.9, xi: 0.01, eta: 0.8, vel: 0.05, gain: 1}
	d := l.generate(rand.New(rand.NewPCG(8, 8)), 1_000_000, 1_000_000)
	cal, err := Calibrate(l.det, d.el, d.elShot)
	if err != nil {
		b.Fatal(err)
	}
	return l, d, cal
}

var peBenchSink float64

// peReadBoth only reads both slices once, with as many independent running
// sums as the estimator keeps: the floor of any one-pass estimator.
func peReadBoth(x, r []complex128) float64 {
	var s0, s1, s2, s3 float64
	r = r[:len(x)]
	for i, a := range x {
		s0 += real(a)
		s1 += imag(a)
		s2 += real(r[i])
		s3 += imag(r[i])
	}
	return s0 + s1 + s2 + s3
}

// peNaiveTwoPass is the straightforward estimator: normalise into a new
// slice, fit the slope, then a second pass for the residual variance.
func peNaiveTwoPass(x, raw []complex128, cal Calibration) float64 {
	y := Normalize(raw, cal)[:len(x)]
	var sxx, sxy float64
	for i, a := range x {
		sxx += real(a)*real(a) + imag(a)*imag(a)
		sxy += real(a)*real(y[i]) + imag(a)*imag(y[i])
	}
	t := sxy / sxx
	var rss float64
	for i, a := range x {
		e := y[i] - complex(t, 0)*a
		rss += real(e)*real(e) + imag(e)*imag(e)
	}
	return rss
}

func BenchmarkPE(b *testing.B) {
	l, d, cal := peBenchData(b)
	asymptotic := PEInput{Detection: l.det, Eta: l.eta, Alice: d.alice, Bob: d.bob, Calibration: cal}
	finite := asymptotic
	finite.Mode = FiniteSize
	pair := 32 * len(d.alice)
	b.Run("Estimate1e6/asymptotic", peBench(pair, func() (float64, error) {
		r, err := EstimateParameters(asymptotic)
		return r.T.Value, err
	}))
	b.Run("Estimate1e6/finite-size", peBench(pair, func() (float64, error) {
		r, err := EstimateParameters(finite)
		return r.TWorst, err
	}))
	b.Run("Baseline1e6/read-both-slices", peBench(pair, func() (float64, error) {
		return peReadBoth(d.alice, d.bob), nil
	}))
	b.Run("Baseline1e6/naive-two-pass", peBench(pair, func() (float64, error) {
		return peNaiveTwoPass(d.alice, d.bob, cal), nil
	}))
	b.Run("Calibrate2x1e6", peBench(16*(len(d.el)+len(d.elShot)), func() (float64, error) {
		c, err := Calibrate(l.det, d.el, d.elShot)
		return c.Electronic, err
	}))
	b.Run("Normalize1e6", peBench(16*len(d.bob), func() (float64, error) {
		return real(Normalize(d.bob, cal)[0]), nil
	}))
}

// peBench measures f, which reads bytes of input per call; its result
// feeds peBenchSink so that the work is not optimised away.
func peBench(bytes int, f func() (float64, error)) func(b *testing.B) {
	return func(b *testing.B) {
		b.SetBytes(int64(bytes))
		b.ReportAllocs()
		for b.Loop() {
			v, err := f()
			if err != nil {
				b.Fatal(err)
			}
			peBenchSink += v
		}
	}
}

// With calibration records as long as the disclosed data, the shot noise's
// statistical error weighs as much as the frame's own noise. Each bound is
// still one confidence interval: T and ξ each fail in about ε/2 of the
// frames, which separate margins on σ̂² and on the calibration, added
// (about 1 % here instead of 5 %), would not.
func TestFiniteSizeBoundsTightWithCalibration(t *testing.T) {
	const eps, reps = 0.1, 800
	for _, det := range []Detection{Heterodyne, Homodyne} {
		l := peLink{det: det, va: 4, t: 0.3, xi: 0.05, eta: 0.7, vel: 0.1, gain: 0.7}
		rng := rand.New(rand.NewPCG(21, uint64(det)))
		tFail, xiFail := 0, 0
		for range reps {
			r := l.estimate(t, l.generate(rng, 1000, 1000), FiniteSize, eps)
			if r.TWorst > l.t {
				tFail++
			}
			if r.XiWorst < l.xi {
				xiFail++
			}
		}
		mean := eps / 2 * reps
		sd := math.Sqrt(mean * (1 - eps/2))
		t.Logf("%v: T bound failed %d, ξ bound %d times in %d frames; ε/2 expects %.0f ± %.1f", det, tFail, xiFail, reps, mean, sd)
		for _, f := range []struct {
			name string
			n    int
		}{{"T", tFail}, {"ξ", xiFail}} {
			if math.Abs(float64(f.n)-mean) > 3.5*sd {
				t.Errorf("%v: %s bound failed %d times in %d frames, want %.0f ± %.1f", det, f.name, f.n, reps, mean, sd)
			}
		}
	}
}

// The expected bounds are what simulated frames give on average: the mean
// of T_min and ξ_max over frames of the design's link (generated here from
// scratch) agrees with ExpectedFiniteSize within the frames' scatter.
func TestExpectedFiniteSizeMatchesSimulatedFrames(t *testing.T) {
	const reps, symbols, cal, eps = 60, 20000, 20000, 1e-6
	for _, det := range []Detection{Heterodyne, Homodyne} {
		l := peLink{det: det, va: 4, t: 0.316, xi: 0.01, eta: 0.8, vel: 0.05, gain: 0.037}
		want, err := ExpectedFiniteSize(KeyRateParams{Detection: det, Trusted: true, Va: l.va, T: l.t, Xi: l.xi, Eta: l.eta, Vel: l.vel, Beta: 0.95},
			symbols, cal, eps)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(31, uint64(det)))
		var sT, sT2, sX, sX2 float64
		for range reps {
			r := l.estimate(t, l.generate(rng, symbols, cal), FiniteSize, eps)
			sT, sT2 = sT+r.TWorst, sT2+r.TWorst*r.TWorst
			sX, sX2 = sX+r.XiWorst, sX2+r.XiWorst*r.XiWorst
		}
		mT, mX := sT/reps, sX/reps
		seT := math.Sqrt((sT2/reps-mT*mT)/reps) + 1e-12
		seX := math.Sqrt((sX2/reps-mX*mX)/reps) + 1e-12
		t.Logf("%v: T_min %.5f ± %.5f (expected %.5f), ξ_max %.4f ± %.4f (expected %.4f)", det, mT, seT, want.T, mX, seX, want.Xi)
		if math.Abs(mT-want.T) > 4*seT || math.Abs(mX-want.Xi) > 4*seX {
			t.Errorf("%v: frames give T_min %.5f ± %.5f, ξ_max %.4f ± %.4f; expected %.5f, %.4f", det, mT, seT, mX, seX, want.T, want.Xi)
		}
		if !(want.T < l.t && want.Xi > l.xi) {
			t.Errorf("%v: expected bounds (%g, %g) are not worse than the truth", det, want.T, want.Xi)
		}
	}
	if _, err := ExpectedFiniteSize(KeyRateParams{Detection: Heterodyne, Va: 4, T: 1e-6, Xi: 0.01, Eta: 0.8, Vel: 0.05, Beta: 0.95},
		100, 100, 0); !errors.Is(err, ErrNoCorrelation) {
		t.Errorf("a link with no bound above 0: %v", err)
	}
}
