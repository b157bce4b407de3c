package sim

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
)

// statN is the sample size of the statistical tests: the standard error of
// a sample variance σ² is σ²·sqrt(2/N) ≈ 0.32 % of σ².
const statN = 200_000

// within fails unless got is within k standard errors of want.
func within(t *testing.T, what string, got, want, stderr float64) {
	t.Helper()
	const k = 5
	if math.Abs(got-want) > k*stderr {
		t.Errorf("%s = %.6g, want %.6g ± %.3g (%d σ)", what, got, want, k*stderr, k)
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// cov is the sample covariance (population normalisation; N is large).
func cov(a, b []float64) float64 {
	ma, mb := mean(a), mean(b)
	s := 0.0
	for i := range a {
		s += (a[i] - ma) * (b[i] - mb)
	}
	return s / float64(len(a))
}

func quads(z []complex128) (q, p []float64) {
	q, p = make([]float64, len(z)), make([]float64, len(z))
	for i, c := range z {
		q[i], p[i] = real(c), imag(c)
	}
	return q, p
}

func testConfig(d hardware.Detection) Config {
	c := DefaultConfig()
	c.Detection = d
	c.NumSymbols = statN
	c.CalibrationSamples = statN
	c.LinkSeed = 42
	c.NoiseSeed = 7
	return c
}

func newPair(t *testing.T, c Config) (*Emitter, *Receiver) {
	t.Helper()
	e, err := NewEmitter(c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReceiver(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); r.Close() })
	return e, r
}

// frame runs one frame through both sides and returns x (SNU) and y
// (detector units).
func frame(t *testing.T, e *Emitter, r *Receiver, spec hardware.FrameSpec) (x, y []complex128) {
	t.Helper()
	ctx := context.Background()
	x, err := e.Prepare(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := e.StartEmission(ctx); err != nil {
		t.Fatal(err)
	}
	y, err = r.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.StopEmission(ctx); err != nil {
		t.Fatal(err)
	}
	if len(x) != spec.NumSymbols || len(y) != spec.NumSymbols {
		t.Fatalf("lengths x=%d y=%d, want %d", len(x), len(y), spec.NumSymbols)
	}
	return x, y
}

func TestAliceSymbolsFollowGaussianModulation(t *testing.T) {
	for _, va := range []float64{2, 5.5} {
		c := testConfig(hardware.Heterodyne)
		c.Va = va
		e, _ := newPair(t, c)
		x, err := e.Prepare(context.Background(), c.Spec(uuid.New()))
		if err != nil {
			t.Fatal(err)
		}
		q, p := quads(x)
		se := va * math.Sqrt(2.0/statN)
		within(t, "mean q", mean(q), 0, math.Sqrt(va/statN))
		within(t, "mean p", mean(p), 0, math.Sqrt(va/statN))
		within(t, "Var q", cov(q, q), va, se)
		within(t, "Var p", cov(p, p), va, se)
		within(t, "Cov(q,p)", cov(q, p), 0, va/math.Sqrt(statN))
		// Fourth moment of a Gaussian: E[q^4] = 3 Va^2 (catches a
		// uniform or otherwise non-Gaussian sampler with the right variance).
		m4 := 0.0
		for _, v := range q {
			m4 += v * v * v * v
		}
		m4 /= statN
		within(t, "E[q^4]", m4, 3*va*va, va*va*math.Sqrt(96.0/statN))
		n, err := e.MeanPhotonNumber(context.Background())
		if err != nil || n != va/2 {
			t.Fatalf("MeanPhotonNumber = %v, %v; want %v", n, err, va/2)
		}
	}
}

// TestLinkModel checks the model of the design per quadrature, in SNU:
// y = a·x + n with a = sqrt(ηT/2) (heterodyne) or sqrt(ηT) (homodyne),
// Var(n) = 1 + v_el + ηTξ/2 or 1 + v_el + ηTξ, n independent of x and of
// the other quadrature; the receiver's output is g·y.
func TestLinkModel(t *testing.T) {
	for _, d := range []hardware.Detection{hardware.Heterodyne, hardware.Homodyne} {
		t.Run(d.String(), func(t *testing.T) {
			c := testConfig(d)
			c.ExcessNoise = 0.2 // large enough that a wrong ξ term shows up
			e, r := newPair(t, c)
			spec := c.Spec(uuid.New())
			x, yRaw := frame(t, e, r, spec)
			etaT := c.Efficiency * c.Transmittance
			a, vn := math.Sqrt(etaT/2), 1+c.ElectronicNoise+etaT*c.ExcessNoise/2
			if d == hardware.Homodyne {
				a, vn = math.Sqrt(etaT), 1+c.ElectronicNoise+etaT*c.ExcessNoise
			}
			xq, xp := quads(x)
			yq, yp := quads(yRaw)
			for i := range yq {
				yq[i] /= c.Gain
				yp[i] /= c.Gain
			}
			va := spec.Va
			within(t, "Cov(x_q,y_q)", cov(xq, yq), a*va, math.Sqrt((va*(a*a*va+vn)+a*a*va*va)/statN))
			vy := a*a*va + vn
			within(t, "Var(y_q)", cov(yq, yq), vy, vy*math.Sqrt(2.0/statN))
			nq := make([]float64, statN)
			for i := range nq {
				nq[i] = yq[i] - a*xq[i]
			}
			within(t, "Var(n_q)", cov(nq, nq), vn, vn*math.Sqrt(2.0/statN))
			within(t, "Cov(x_q,n_q)", cov(xq, nq), 0, math.Sqrt(va*vn/statN))
			within(t, "Cov(x_p,n_q)", cov(xp, nq), 0, math.Sqrt(va*vn/statN))
			if d == hardware.Homodyne {
				for i, v := range yp {
					if v != 0 {
						t.Fatalf("homodyne imag[%d] = %v, want 0", i, v)
					}
				}
				return
			}
			within(t, "Cov(x_p,y_p)", cov(xp, yp), a*va, math.Sqrt((va*(a*a*va+vn)+a*a*va*va)/statN))
			within(t, "Cov(x_q,y_p)", cov(xq, yp), 0, math.Sqrt(va*vy/statN))
			np := make([]float64, statN)
			for i := range np {
				np[i] = yp[i] - a*xp[i]
			}
			within(t, "Var(n_p)", cov(np, np), vn, vn*math.Sqrt(2.0/statN))
			within(t, "Cov(n_q,n_p)", cov(nq, np), 0, vn/math.Sqrt(statN))
		})
	}
}

func TestCalibrationRecords(t *testing.T) {
	for _, d := range []hardware.Detection{hardware.Heterodyne, hardware.Homodyne} {
		t.Run(d.String(), func(t *testing.T) {
			c := testConfig(d)
			_, r := newPair(t, c)
			ctx := context.Background()
			el, err := r.CalibrateElectronic(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sh, err := r.CalibrateShot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(el) != c.CalibrationSamples || len(sh) != c.CalibrationSamples {
				t.Fatalf("record sizes %d, %d; want %d", len(el), len(sh), c.CalibrationSamples)
			}
			g2 := c.Gain * c.Gain
			elq, elp := quads(el)
			shq, shp := quads(sh)
			vel, vsh := cov(elq, elq), cov(shq, shq)
			within(t, "Var(el)/g²", vel/g2, c.ElectronicNoise, c.ElectronicNoise*math.Sqrt(2.0/statN))
			within(t, "Var(el+shot)/g²", vsh/g2, 1+c.ElectronicNoise, (1+c.ElectronicNoise)*math.Sqrt(2.0/statN))
			// The recipe of the contract recovers the shot-noise scale
			// and v_el.
			vShot := vsh - vel
			within(t, "V_shot/g²", vShot/g2, 1, math.Sqrt(2.0/statN)*(1+2*c.ElectronicNoise))
			within(t, "v_el estimate", vel/vShot, c.ElectronicNoise, 2*c.ElectronicNoise*math.Sqrt(2.0/statN))
			if d == hardware.Homodyne {
				for i := range elp {
					if elp[i] != 0 || shp[i] != 0 {
						t.Fatalf("homodyne calibration imag[%d] not 0", i)
					}
				}
			} else {
				within(t, "Var(el_p)/g²", cov(elp, elp)/g2, c.ElectronicNoise, c.ElectronicNoise*math.Sqrt(2.0/statN))
				within(t, "Var(shot_p)/g²", cov(shp, shp)/g2, 1+c.ElectronicNoise, (1+c.ElectronicNoise)*math.Sqrt(2.0/statN))
			}
			// Two records are independent draws.
			el2, err := r.CalibrateElectronic(ctx)
			if err != nil {
				t.Fatal(err)
			}
			el2q, _ := quads(el2)
			within(t, "Cov(el, el')/g²", cov(elq, el2q)/g2, 0, c.ElectronicNoise/math.Sqrt(statN))
		})
	}
}

func TestDeterminismAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	c := testConfig(hardware.Heterodyne)
	c.NumSymbols = 5000
	id := uuid.New()
	spec := c.Spec(id)
	// Two independent emitters stand for two processes sharing the seed.
	e1, _ := newPair(t, c)
	e2, _ := newPair(t, c)
	x1, err := e1.Prepare(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	x2, err := e2.Prepare(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	x3, err := Symbols(ctx, c.LinkSeed, spec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x1 {
		if x1[i] != x2[i] || x1[i] != x3[i] {
			t.Fatalf("symbol %d differs between instances: %v %v %v", i, x1[i], x2[i], x3[i])
		}
	}
	differ := func(name string, other []complex128) {
		t.Helper()
		same := 0
		for i := range x1 {
			if x1[i] == other[i] {
				same++
			}
		}
		if same > 0 {
			t.Errorf("%s: %d of %d symbols equal", name, same, len(x1))
		}
	}
	xu, _ := Symbols(ctx, c.LinkSeed, c.Spec(uuid.New()))
	differ("other UUID", xu)
	xs, _ := Symbols(ctx, c.LinkSeed+1, spec)
	differ("other link seed", xs)

	// A fixed noise seed makes Bob's measurement reproducible; seed 0 does not.
	acq := func(cfg Config) []complex128 {
		r, err := NewReceiver(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.Arm(ctx, spec); err != nil {
			t.Fatal(err)
		}
		y, err := r.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	y1, y2 := acq(c), acq(c)
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("fixed noise seed: measurement %d differs", i)
		}
	}
	rnd := c
	rnd.NoiseSeed = 0
	y3, y4 := acq(rnd), acq(rnd)
	if y3[0] == y4[0] && y3[1] == y4[1] {
		t.Fatal("noise seed 0: two receivers measured identical noise")
	}
}

// A receiver whose link seed differs from Alice's measures only noise: the
// fiber is the shared seed, nothing else.
func TestDifferentLinkSeedIsUncorrelated(t *testing.T) {
	c := testConfig(hardware.Heterodyne)
	e, _ := newPair(t, c)
	other := c
	other.LinkSeed++
	_, r := newPair(t, other)
	x, y := frame(t, e, r, c.Spec(uuid.New()))
	xq, _ := quads(x)
	yq, _ := quads(y)
	vy := cov(yq, yq)
	within(t, "Cov(x_q,y_q)", cov(xq, yq), 0, math.Sqrt(c.Va*vy/statN))
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	muts := map[string]func(*Config){
		"transmittance 0":     func(c *Config) { c.Transmittance = 0 },
		"transmittance > 1":   func(c *Config) { c.Transmittance = 1.1 },
		"excess noise < 0":    func(c *Config) { c.ExcessNoise = -0.1 },
		"excess noise NaN":    func(c *Config) { c.ExcessNoise = math.NaN() },
		"eta 0":               func(c *Config) { c.Efficiency = 0 },
		"v_el < 0":            func(c *Config) { c.ElectronicNoise = -1 },
		"va 0":                func(c *Config) { c.Va = 0 },
		"detection":           func(c *Config) { c.Detection = 0 },
		"num symbols":         func(c *Config) { c.NumSymbols = hardware.MaxSymbols + 1 },
		"symbol rate":         func(c *Config) { c.SymbolRate = math.Inf(1) },
		"gain":                func(c *Config) { c.Gain = 0 },
		"calibration samples": func(c *Config) { c.CalibrationSamples = 0 },
		"fault op":            func(c *Config) { c.Faults = []Fault{{Op: "explode"}} },
		"fault call":          func(c *Config) { c.Faults = []Fault{{Op: OpArm, Call: -1}} },
	}
	for name, m := range muts {
		c := DefaultConfig()
		m(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", name, err)
		}
		if _, err := NewEmitter(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: NewEmitter accepted it", name)
		}
		if _, err := NewReceiver(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: NewReceiver accepted it", name)
		}
	}
}

// The symbol stream is the simulated fiber between two processes, possibly
// built from different releases: a change to it must be deliberate (and
// come with a new derivation label), never a side effect.
func TestSymbolStreamPinned(t *testing.T) {
	spec := hardware.FrameSpec{
		UUID:       uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
		NumSymbols: 1000, SymbolRate: 1e8, Detection: hardware.Heterodyne, Va: 2,
	}
	x, err := Symbols(context.Background(), 1, spec)
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[int]complex128{
		0:   complex(-0.84325375515289547, -1.042825570228618),
		1:   complex(1.3256341214430465, 1.2682333188503252),
		999: complex(2.0147761547298302, -0.65654354288684591),
	}
	for i, want := range pinned {
		// a few ulps of slack for math.Log/Sincos on other architectures
		if d := x[i] - want; math.Abs(real(d)) > 1e-13 || math.Abs(imag(d)) > 1e-13 {
			t.Errorf("symbol %d = %v, pinned %v", i, x[i], want)
		}
	}
}
