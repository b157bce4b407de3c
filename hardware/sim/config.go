// Package sim owns the simulated optical link: a hardware.Emitter for Alice
// and a hardware.Receiver (with a hardware.PolarisationController) for Bob
// that follow the link model of the design with a known ground truth.
//
// Per quadrature, in shot-noise units, with Alice's x ~ N(0, Va):
//
//	heterodyne: y = sqrt(ηT/2)·x + n,  Var(n) = 1 + v_el + ηTξ/2  (q and p)
//	homodyne:   y = sqrt(ηT)·x + n,    Var(n) = 1 + v_el + ηTξ    (q only, p = 0)
//
// The receiver returns g·y in detector units (g = Config.Gain), and its
// calibration records are g·sqrt(v_el)·N(0,1) (electronic noise only) and
// g·sqrt(1+v_el)·N(0,1) (electronic + shot noise), so that
// V_shot = Var(el+shot) − Var(el) = g² and v_el = Var(el)/V_shot.
// A calibration record is as long as the last frame armed, and at least
// Config.CalibrationSamples (Receiver.RecordLength).
//
// Alice and Bob may run as separate processes: both derive Alice's symbols
// from the shared link seed and the frame UUID (ChaCha8 keyed by SHA-256 of
// a domain label, the seed and the UUID; Gaussian pairs by Box–Muller so the
// stream does not depend on the Go release's normal sampler). Bob's receiver
// re-derives x internally and only its noisy, scaled output reaches Bob's
// code. Bob's noise has its own seed (0 = fresh randomness per receiver)
// and uses the standard library's normal sampler: reproducible for a given
// build, with no need to match across processes.
//
// Faults can be injected per operation (an error on the Nth call, or a hang
// until the context ends) so that stations can prove their error paths.
package sim

import (
	"errors"
	"fmt"
	"math"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
)

// Config is the simulated link and the frame defaults. The link fields
// (T, ξ, η, v_el, seeds, gain, calibration size) are the simulation's own;
// Va, Detection, NumSymbols and SymbolRate are defaults for Spec: a frame
// is always simulated with the hardware.FrameSpec the station passes.
type Config struct {
	Transmittance      float64            `toml:"transmittance"`       // T, channel transmittance in (0, 1]
	ExcessNoise        float64            `toml:"excess_noise"`        // ξ, SNU referred to the channel input, >= 0
	Efficiency         float64            `toml:"eta"`                 // η, detector efficiency in (0, 1]
	ElectronicNoise    float64            `toml:"electronic_noise"`    // v_el, SNU, >= 0
	Va                 float64            `toml:"va"`                  // default modulation variance per quadrature, SNU
	Detection          hardware.Detection `toml:"detection"`           // default detection
	NumSymbols         int                `toml:"num_symbols"`         // default symbols per frame
	SymbolRate         float64            `toml:"symbol_rate"`         // default symbol rate, Bd
	LinkSeed           uint64             `toml:"link_seed"`           // shared by Alice and Bob: Alice's symbols
	NoiseSeed          uint64             `toml:"noise_seed"`          // Bob's noise; 0 = random
	Gain               float64            `toml:"gain"`                // detector units per sqrt(SNU), > 0
	CalibrationSamples int                `toml:"calibration_samples"` // samples per calibration record
	Realtime           bool               `toml:"realtime"`            // Acquire lasts NumSymbols/SymbolRate
	Faults             []Fault            `toml:"-"`                   // fault injection (tests)
}

// DefaultConfig is the default short link of the project: heterodyne,
// T = 0.9, ξ = 0.01, η = 0.8, v_el = 0.05, Va = 2 (<n> = 1), 10^6 symbols at
// 100 MBd.
func DefaultConfig() Config {
	return Config{
		Transmittance:      0.9,
		ExcessNoise:        0.01,
		Efficiency:         0.8,
		ElectronicNoise:    0.05,
		Va:                 2,
		Detection:          hardware.Heterodyne,
		NumSymbols:         1_000_000,
		SymbolRate:         100e6,
		LinkSeed:           1,
		NoiseSeed:          0,
		Gain:               0.037,
		CalibrationSamples: 1 << 18,
	}
}

// ErrConfig is wrapped by every Config validation failure.
var ErrConfig = errors.New("sim: invalid configuration")

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v: %s", ErrConfig, field, v, want)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !(c.Transmittance > 0 && c.Transmittance <= 1):
		return bad("transmittance", c.Transmittance, "want 0 < T <= 1")
	case !(c.ExcessNoise >= 0) || !finite(c.ExcessNoise):
		return bad("excess_noise", c.ExcessNoise, "want a finite ξ >= 0")
	case !(c.Efficiency > 0 && c.Efficiency <= 1):
		return bad("eta", c.Efficiency, "want 0 < η <= 1")
	case !(c.ElectronicNoise >= 0) || !finite(c.ElectronicNoise):
		return bad("electronic_noise", c.ElectronicNoise, "want a finite v_el >= 0")
	case !(c.Va > 0) || !finite(c.Va):
		return bad("va", c.Va, "want a finite Va > 0")
	case !c.Detection.Valid():
		return bad("detection", c.Detection, "want heterodyne or homodyne")
	case c.NumSymbols <= 0 || c.NumSymbols > hardware.MaxSymbols:
		return bad("num_symbols", c.NumSymbols, fmt.Sprintf("want 1..%d", hardware.MaxSymbols))
	case !(c.SymbolRate > 0) || !finite(c.SymbolRate):
		return bad("symbol_rate", c.SymbolRate, "want a finite rate > 0")
	case !(c.Gain > 0) || !finite(c.Gain):
		return bad("gain", c.Gain, "want a finite gain > 0")
	case c.CalibrationSamples <= 0 || c.CalibrationSamples > hardware.MaxSymbols:
		return bad("calibration_samples", c.CalibrationSamples, fmt.Sprintf("want 1..%d", hardware.MaxSymbols))
	}
	for i, f := range c.Faults {
		if !f.Op.valid() {
			return bad(fmt.Sprintf("faults[%d].op", i), f.Op, "unknown operation")
		}
		if f.Call < 0 {
			return bad(fmt.Sprintf("faults[%d].call", i), f.Call, "want >= 0 (0 = every call)")
		}
	}
	return nil
}

// Spec returns the FrameSpec of a frame with the configured defaults.
func (c Config) Spec(id uuid.UUID) hardware.FrameSpec {
	return hardware.FrameSpec{
		UUID:       id,
		NumSymbols: c.NumSymbols,
		SymbolRate: c.SymbolRate,
		Detection:  c.Detection,
		Va:         c.Va,
	}
}

// SignalGain is the amplitude factor between Alice's quadrature and Bob's
// in SNU: sqrt(ηT/2) for heterodyne, sqrt(ηT) for homodyne.
func (c Config) SignalGain(d hardware.Detection) float64 {
	if d == hardware.Homodyne {
		return math.Sqrt(c.Efficiency * c.Transmittance)
	}
	return math.Sqrt(c.Efficiency * c.Transmittance / 2)
}

// NoiseVariance is Var(n) per measured quadrature in SNU:
// 1 + v_el + ηTξ/2 for heterodyne, 1 + v_el + ηTξ for homodyne.
func (c Config) NoiseVariance(d hardware.Detection) float64 {
	etaT := c.Efficiency * c.Transmittance
	if d == hardware.Homodyne {
		return 1 + c.ElectronicNoise + etaT*c.ExcessNoise
	}
	return 1 + c.ElectronicNoise + etaT*c.ExcessNoise/2
}
