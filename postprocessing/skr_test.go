package postprocessing

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// skrClose9 reports |got − want| ≤ 1e-9·|want| + 1e-11.
// skrClose9 is 1e-9 relative, with a floor of 1e-10 bit absolute: the
// float64 covariance model is the less accurate side near T → 1 with a large
// Va (at Va = 31.6, T = 0.99999, η = 0.9, v_el = 1 it is off by 1.2e-11 bit on
// χ_BE = 0.00168 while the closed form is within 1e-14 of a 50-digit value).
func skrClose9(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Abs(want)+1e-10 }

func skrRelErr(got, want float64) float64 {
	d := math.Abs(got - want)
	if d == 0 {
		return 0
	}
	return d / math.Max(math.Abs(want), 1e-300)
}

// genKRParams draws a point of the physical domain. logT spans tiny to 1.
func genKRParams(t *rapid.T, det Detection, trusted bool, etaMax float64) KeyRateParams {
	return genKRParamsVa(t, det, trusted, etaMax, 3)
}

func genKRParamsVa(t *rapid.T, det Detection, trusted bool, etaMax, log10VaMax float64) KeyRateParams {
	return KeyRateParams{
		Detection: det,
		Trusted:   trusted,
		Va:        math.Pow(10, rapid.Float64Range(-2, log10VaMax).Draw(t, "log10Va")),
		T:         math.Pow(10, rapid.Float64Range(-4, 0).Draw(t, "log10T")),
		Xi:        rapid.Float64Range(0, 0.3).Draw(t, "xi"),
		Eta:       rapid.Float64Range(0.05, etaMax).Draw(t, "eta"),
		Vel:       rapid.Float64Range(0, 1).Draw(t, "vel"),
		Beta:      rapid.Float64Range(0.5, 1).Draw(t, "beta"),
	}
}

func genKRDetection(t *rapid.T) Detection {
	return rapid.SampledFrom([]Detection{Heterodyne, Homodyne}).Draw(t, "detection")
}

// The closed forms against the covariance-matrix model: I_AB and χ_BE to
// 1e-9 relative, trusted and untrusted, heterodyne and homodyne.
func TestClosedFormsMatchCovarianceModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		det := genKRDetection(t)
		// The model loses digits as its covariance entries grow: Va large,
		// or its electronic-noise EPR pair (variance 1 + k·v_el/(1−η))
		// when η → 1. Va ≤ 30 and η ≤ 0.9 keep it good to ~1e-12 bit.
		// χ_BE is a difference of entropies of a few bits each: below
		// 0.1 bit the comparison is to 1e-10 bit absolute.
		// TestAgainstArbitraryPrecision covers the corners beyond.
		p := genKRParamsVa(t, det, true, 0.9, 1.5)
		m := skrModel(p)

		iab, err := MutualInformation(p)
		if err != nil {
			t.Fatal(err)
		}
		if e := skrRelErr(iab, m.iab); !skrClose9(iab, m.iab) {
			t.Fatalf("I_AB %v: closed %.15g skrModel %.15g (rel %g)", p, iab, m.iab, e)
		}
		chi, _ := HolevoBound(p)
		if e := skrRelErr(chi, m.chiTrusted); !skrClose9(chi, m.chiTrusted) {
			t.Fatalf("trusted χ_BE %v: closed %.15g skrModel %.15g (rel %g)", p, chi, m.chiTrusted, e)
		}
		pu := p
		pu.Trusted = false
		chiU, _ := HolevoBound(pu)
		if e := skrRelErr(chiU, m.chiUntrusted); !skrClose9(chiU, m.chiUntrusted) {
			t.Fatalf("untrusted χ_BE %v: closed %.15g skrModel %.15g (rel %g)", p, chiU, m.chiUntrusted, e)
		}
		iabU, _ := MutualInformation(pu)
		if !skrClose9(iabU, m.iab) {
			t.Fatalf("untrusted I_AB %v: %.15g, data say %.15g", p, iabU, m.iab)
		}

		// The model reproduces the simulated link of DESIGN.md, and SNR is
		// its signal-to-noise ratio.
		k := det.Quadratures()
		wantNoise := 1 + p.Vel + p.Eta*p.T*p.Xi/k
		wantVar := p.Eta*p.T*p.Va/k + wantNoise
		if skrRelErr(m.bobCondVar, wantNoise) > 1e-9 || skrRelErr(m.bobVar, wantVar) > 1e-9 {
			t.Fatalf("model peLink: Var(y)=%g Var(n)=%g, DESIGN says %g, %g", m.bobVar, m.bobCondVar, wantVar, wantNoise)
		}
		snr, _ := SNR(p)
		if wantSNR := p.Eta * p.T * p.Va / k / wantNoise; skrRelErr(snr, wantSNR) > 1e-12 {
			t.Fatalf("SNR %g, peLink says %g", snr, wantSNR)
		}
	})
}

// Reference values of the closed forms of Lodewyck et al. (2007) and
// Fossier et al. (2009), written in their textbook form (1/T, A² − 4B, ...)
// and evaluated with 50 significant digits (Python mpmath), including
// corners the covariance model cannot reach in float64: tiny χ_BE, η → 1
// with electronic noise, tiny Va, a perfect channel.
func TestAgainstArbitraryPrecision(t *testing.T) {
	cases := []struct {
		det                  Detection
		va, tr, xi, eta, vel float64
		iab, chi             string
	}{
		{Heterodyne, 2, 0.9, 0.01, 0.8, 0.05, "0.7513534246107928041192553", "0.2110405845705080588208189"},
		{Homodyne, 2, 0.9, 0.01, 0.8, 0.05, "0.6200315204074605612123306", "0.1578692916580004728728576"},
		{Heterodyne, 4, 0.5, 0.01, 0.8, 0.05, "0.8159493939679340683406922", "0.5459955060665607729391981"},
		{Heterodyne, 0.1, 0.1, 0.25, 0.99, 1, "0.003544355184900669469606469", "0.04294797281553220697699323"},
		{Heterodyne, 10, 0.00031622776601683794, 0.3, 0.95, 1, "0.001083091970121964941396822", "0.001320408933668186648495043"},
		{Homodyne, 5, 0.01, 0.02, 0.999, 0.3, "0.02719307338246903645834541", "0.02386057479781501671801115"},
		{Homodyne, 0.001, 0.3, 0.05, 0.6, 0.1, "0.0001170712511743936540891759", "0.03105072303491683035271763"},
		{Heterodyne, 1000.0, 1, 0, 1, 0, "8.968666793195208405925059", "0"},
		{Homodyne, 30, 0.02, 0.001, 1, 0.2, "0.2924772429300121494957398", "0.2809822983973400292010371"},
		{Heterodyne, 3, 0.7, 0.5, 0.3, 2, "0.1416866504748998910282377", "0.1758772054851555948322669"},
		{Homodyne, 10, 0.999995608177115, 3.5762786865234375e-07, 0.9, 1, "1.229713122308171936083708", "0.0001600098902878208575717836"},
		{Homodyne, 1e-06, 0.5, 0.0, 0.5, 0.1, "0.00000016394259965299657860732", "6.230557962364606102984444e-13"},
		{Heterodyne, 1e-06, 0.5, 0.0, 0.5, 0.1, "0.0000001639426089679159549231251", "6.230558670382301557016772e-13"},
		{Homodyne, 1e-08, 0.001, 0.01, 0.5, 0.1, "3.278837461842638494448498e-12", "0.00004091597399761311137024682"},
	}
	for _, c := range cases {
		p := KeyRateParams{Detection: c.det, Trusted: true, Va: c.va, T: c.tr, Xi: c.xi, Eta: c.eta, Vel: c.vel, Beta: 1}
		wantI, _ := strconv.ParseFloat(c.iab, 64)
		wantChi, _ := strconv.ParseFloat(c.chi, 64)
		iab, err := MutualInformation(p)
		if err != nil || skrRelErr(iab, wantI) > 1e-12 {
			t.Errorf("%+v: I_AB = %.17g, %v; want %s", p, iab, err, c.iab)
		}
		chi, err := HolevoBound(p)
		if err != nil || math.Abs(chi-wantChi) > 1e-10*wantChi+1e-15 {
			t.Errorf("%+v: χ_BE = %.17g, %v; want %s", p, chi, err, c.chi)
		}
	}
}

// The default simulated short link of the project, checked point by point
// against the model (a fixed, readable case next to the random ones).
func TestDefaultLinkAgainstModel(t *testing.T) {
	for _, det := range []Detection{Heterodyne, Homodyne} {
		p := KeyRateParams{Detection: det, Trusted: true, Va: 2, T: 0.9, Xi: 0.01, Eta: 0.8, Vel: 0.05, Beta: 0.95}
		m := skrModel(p)
		chi, _ := HolevoBound(p)
		iab, _ := MutualInformation(p)
		if skrRelErr(chi, m.chiTrusted) > 1e-9 || skrRelErr(iab, m.iab) > 1e-9 {
			t.Fatalf("%v: χ %v vs %v, I %v vs %v", det, chi, m.chiTrusted, iab, m.iab)
		}
		k, _ := SecretKeyRate(p)
		if want := p.Beta*m.iab - m.chiTrusted; skrRelErr(k, want) > 1e-9 || k <= 0 {
			t.Fatalf("%v: K %v, skrModel %v", det, k, want)
		}
	}
}

// With η = 1 and v_el = 0 the detector has nothing to trust: the two
// models are the same number.
func TestTrustedEqualsUntrustedWithIdealDetector(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genKRParams(t, genKRDetection(t), true, 1)
		p.Eta, p.Vel = 1, 0
		pu := p
		pu.Trusted = false
		for _, f := range []func(KeyRateParams) (float64, error){MutualInformation, HolevoBound, SecretKeyRate, SNR} {
			a, _ := f(p)
			b, _ := f(pu)
			if skrRelErr(a, b) > 1e-12 {
				t.Fatalf("%v: trusted %.17g untrusted %.17g", p, a, b)
			}
		}
	})
}

// A trusted detector never gives Eve more than an untrusted one.
func TestUntrustedIsNeverBetter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genKRParams(t, genKRDetection(t), true, 1)
		pu := p
		pu.Trusted = false
		kt, _ := SecretKeyRate(p)
		ku, _ := SecretKeyRate(pu)
		if ku > kt*(1+1e-12)+1e-15 {
			t.Fatalf("%v: untrusted %g > trusted %g", p, ku, kt)
		}
	})
}

func TestKeyRateIsClippedAtZero(t *testing.T) {
	for _, det := range []Detection{Heterodyne, Homodyne} {
		// 3 dB of excess noise at half transmittance: far beyond any key.
		p := KeyRateParams{Detection: det, Trusted: true, Va: 4, T: 0.5, Xi: 1, Eta: 0.8, Vel: 0.05, Beta: 0.95}
		iab, _ := MutualInformation(p)
		chi, _ := HolevoBound(p)
		if p.Beta*iab-chi >= 0 {
			t.Fatalf("%v: test point should be negative, β·I−χ = %g", det, p.Beta*iab-chi)
		}
		k, err := SecretKeyRate(p)
		if err != nil || k != 0 {
			t.Fatalf("%v: K = %v, %v; want 0, nil", det, k, err)
		}
	}
}

func TestMonotoneInTransmittance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genKRParams(t, genKRDetection(t), rapid.Bool().Draw(t, "trusted"), 1)
		t2 := p.T + (1-p.T)*rapid.Float64Range(0, 1).Draw(t, "up")
		k1, _ := SecretKeyRate(p)
		q := p
		q.T = t2
		k2, _ := SecretKeyRate(q)
		// Slack: rounding of β·I_AB − χ_BE (terms of a few bits), ~1e-15 bit.
		if k1 > 0 && k2 < k1*(1-1e-9)-1e-12 {
			t.Fatalf("%v: K(T=%g) = %g > K(T=%g) = %g", p, p.T, k1, t2, k2)
		}
	})
}

func TestAntiMonotoneInExcessNoise(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genKRParams(t, genKRDetection(t), rapid.Bool().Draw(t, "trusted"), 1)
		q := p
		q.Xi = p.Xi + rapid.Float64Range(0, 0.3).Draw(t, "dxi")
		k1, _ := SecretKeyRate(p)
		k2, _ := SecretKeyRate(q)
		if k2 > 0 && k2 > k1*(1+1e-9)+1e-12 {
			t.Fatalf("%v: K(ξ=%g) = %g < K(ξ=%g) = %g", p, p.Xi, k1, q.Xi, k2)
		}
	})
}

// No NaN, no Inf, no panic anywhere in the domain, edges included.
func TestNoNaNOverTheDomain(t *testing.T) {
	edge := func(t *rapid.T, label string, lo, hi float64, edges ...float64) float64 {
		if rapid.IntRange(0, 3).Draw(t, label+"Edge") == 0 {
			return rapid.SampledFrom(edges).Draw(t, label+"At")
		}
		return rapid.Float64Range(lo, hi).Draw(t, label)
	}
	rapid.Check(t, func(t *rapid.T) {
		p := KeyRateParams{
			Detection: genKRDetection(t),
			Trusted:   rapid.Bool().Draw(t, "trusted"),
			Va:        math.Pow(10, edge(t, "log10Va", -8, 8, -300, -8, 8, 12)),
			T:         math.Pow(10, edge(t, "log10T", -12, 0, -300, -100, -1e-16, 0)),
			Xi:        edge(t, "xi", 0, 10, 0, 1e-300, 1e6, 1e12),
			Eta:       edge(t, "eta", 1e-6, 1, 1e-300, 1, math.Nextafter(1, 0)),
			Vel:       edge(t, "vel", 0, 10, 0, 1e-300, 1e6),
			Beta:      edge(t, "beta", 1e-3, 1, 1, 1e-300),
		}
		for name, f := range map[string]func(KeyRateParams) (float64, error){
			"I_AB": MutualInformation, "χ_BE": HolevoBound, "K": SecretKeyRate, "SNR": SNR,
		} {
			v, err := f(p)
			if err != nil {
				t.Fatalf("%s(%+v): %v", name, p, err)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("%s(%+v) = %v", name, p, v)
			}
		}
	})
}

// Named edge points of the domain, where rounding bites: a pure loss-free
// channel has no Holevo information at all, and nothing is NaN.
func TestDomainEdges(t *testing.T) {
	for _, det := range []Detection{Heterodyne, Homodyne} {
		ideal := KeyRateParams{Detection: det, Trusted: true, Va: 1e6, T: 1, Xi: 0, Eta: 1, Vel: 0, Beta: 1}
		chi, err := HolevoBound(ideal)
		if err != nil || math.Abs(chi) > 1e-6 {
			t.Fatalf("%v: perfect channel χ_BE = %v, %v; want 0", det, chi, err)
		}
		iab, _ := MutualInformation(ideal)
		k, _ := SecretKeyRate(ideal)
		if skrRelErr(k, iab) > 1e-9 {
			t.Fatalf("%v: perfect channel K = %v, I_AB = %v", det, k, iab)
		}
		// Continuity at η = 1 with electronic noise (no beam-splitter model there).
		p := KeyRateParams{Detection: det, Trusted: true, Va: 4, T: 0.5, Xi: 0.01, Eta: 1, Vel: 0.05, Beta: 0.95}
		q := p
		q.Eta = 1 - 1e-9
		a, _ := SecretKeyRate(p)
		b, _ := SecretKeyRate(q)
		if skrRelErr(a, b) > 1e-6 {
			t.Fatalf("%v: K(η=1) = %v, K(η=1−1e-9) = %v", det, a, b)
		}
	}
}

func TestValidateNamesTheParameter(t *testing.T) {
	good := KeyRateParams{Detection: Heterodyne, Trusted: true, Va: 2, T: 0.9, Xi: 0.01, Eta: 0.8, Vel: 0.05, Beta: 0.95}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	cases := []struct {
		name string
		mut  func(*KeyRateParams)
	}{
		{"detection", func(p *KeyRateParams) { p.Detection = 0 }},
		{"Va", func(p *KeyRateParams) { p.Va = 0 }},
		{"Va", func(p *KeyRateParams) { p.Va = math.Inf(1) }},
		{"T", func(p *KeyRateParams) { p.T = 0 }},
		{"T", func(p *KeyRateParams) { p.T = 1.0000001 }},
		{"T", func(p *KeyRateParams) { p.T = nan }},
		{"ξ", func(p *KeyRateParams) { p.Xi = -1e-9 }},
		{"ξ", func(p *KeyRateParams) { p.Xi = nan }},
		{"η", func(p *KeyRateParams) { p.Eta = 0 }},
		{"η", func(p *KeyRateParams) { p.Eta = 1.5 }},
		{"v_el", func(p *KeyRateParams) { p.Vel = -0.1 }},
		{"β", func(p *KeyRateParams) { p.Beta = 0 }},
		{"β", func(p *KeyRateParams) { p.Beta = 1.01 }},
	}
	for _, c := range cases {
		p := good
		c.mut(&p)
		for _, f := range []func(KeyRateParams) (float64, error){MutualInformation, HolevoBound, SecretKeyRate, SNR} {
			v, err := f(p)
			if !errors.Is(err, ErrOutOfDomain) || v != 0 {
				t.Fatalf("%s: got %v, %v; want ErrOutOfDomain", c.name, v, err)
			}
			if !strings.Contains(err.Error(), c.name) {
				t.Fatalf("error %q does not name %s", err, c.name)
			}
		}
	}
}

func TestDetectionText(t *testing.T) {
	for _, d := range []Detection{Heterodyne, Homodyne} {
		b, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Detection
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Fatalf("%v round trip: %v, %v", d, back, err)
		}
	}
	if d, err := ParseDetection(" HomoDyne "); err != nil || d != Homodyne {
		t.Fatalf("ParseDetection: %v, %v", d, err)
	}
	if _, err := ParseDetection("intradyne"); err == nil {
		t.Fatal("intradyne parsed")
	}
	if _, err := Detection(0).MarshalText(); err == nil {
		t.Fatal("zero detection marshalled")
	}
}

func TestGNearZero(t *testing.T) {
	if thermalEntropy(0) != 0 || thermalEntropy(-1e-17) != 0 || thermalEntropy(math.NaN()) != 0 {
		t.Fatal("g must read 0 and rounding below it as 0")
	}
	for _, x := range []float64{1e-300, 1e-12, 0.3, 1, 7, 1e6} {
		if e := skrRelErr(thermalEntropy(x), skrNaiveG(x)); e > 1e-9 && x > 1e-12 {
			t.Fatalf("g(%g) = %g, textbook %g", x, thermalEntropy(x), skrNaiveG(x))
		}
		if math.IsNaN(thermalEntropy(x)) || thermalEntropy(x) < 0 {
			t.Fatalf("g(%g) = %g", x, thermalEntropy(x))
		}
	}
}
