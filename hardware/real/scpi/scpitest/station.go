package scpitest

import (
	"fmt"

	"github.com/qosst/qosst-go/hardware"
)

// StationLinkConfig is the lab used by whole-frame station tests: a
// near-perfect link (T = 0.99, ξ = 0.001, η = 0.95, v_el = 0.005) on which
// frames of a few 10^4 symbols leave a key, a full scale of 16 SNU (8σ at
// Va = 4), the given detection (heterodyne when 0) and noise seed.
func StationLinkConfig(d hardware.Detection, noiseSeed uint64) LabConfig {
	lc := DefaultLabConfig()
	if d != 0 {
		lc.Detection = d
	}
	lc.Transmittance, lc.ExcessNoise, lc.Efficiency, lc.ElectronicNoise = 0.99, 0.001, 0.95, 0.005
	lc.FullScale, lc.NoiseSeed = 16, noiseSeed
	return lc
}

// InstrumentsTOML returns the [instruments] section of a station file that
// drives this lab: the five instruments' addresses, and the emitter's
// calibration (full scale, wavelength, output ratio) that must agree with the
// lab's. Both stations can read the same section; each uses its own part.
func (l *Lab) InstrumentsTOML() string {
	return fmt.Sprintf(`[instruments]
connect_timeout = "2s"
[instruments.limits]
timeout = "10s"
[instruments.alice]
awg = %q
power_meter = %q
full_scale = %v
wavelength = %v
output_ratio = %v
[instruments.bob]
digitizer = %q
local_oscillator = %q
polarisation_controller = %q
calibration_samples = 65536
poll_interval = "1ms"
`, l.AWG.Addr(), l.PowerMeter.Addr(), l.cfg.FullScale, l.cfg.Wavelength, l.cfg.OutputRatio,
		l.Digitizer.Addr(), l.LocalOscillator.Addr(), l.Polariser.Addr())
}
