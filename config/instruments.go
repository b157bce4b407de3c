package config

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/qosst/qosst-go/hardware"
)

// Instruments is the [instruments] section: the real instruments driven over
// SCPI sockets (hardware/real/scpi) when simulation.enabled = false. The
// keys of [instruments.alice] and [instruments.bob] are those of the
// drivers' EmitterConfig and ReceiverConfig; the receiver's detection is
// frame.quantum.detection, the scheme the stations negotiate for every frame.
type Instruments struct {
	// ConnectTimeout bounds reaching and identifying each instrument when a
	// station starts (TCP connect, *IDN?, *CLS).
	ConnectTimeout Duration `toml:"connect_timeout"`
	// Limits bound every reply of every instrument.
	Limits InstrumentLimits `toml:"limits"`
	// Alice lists Alice's instruments.
	Alice AliceInstruments `toml:"alice"`
	// Bob lists Bob's instruments.
	Bob BobInstruments `toml:"bob"`
}

// InstrumentLimits is the driver's scpi.Limits.
type InstrumentLimits struct {
	// MaxLine is the longest reply line accepted, in bytes.
	MaxLine int `toml:"max_line"`
	// MaxBlock is the largest binary block accepted, in bytes.
	MaxBlock int `toml:"max_block"`
	// Timeout bounds one SCPI call (command, query or block transfer).
	Timeout Duration `toml:"timeout"`
}

// AliceInstruments is Alice's emitter: an arbitrary waveform generator
// driving the IQ modulator and a power meter on a monitor tap.
type AliceInstruments struct {
	// AWG is the waveform generator's host[:port] (port 5025 by default).
	AWG string `toml:"awg"`
	// PowerMeter is the power meter's host[:port]; it measures the mean
	// photon number of PE_NPHOTON_RESPONSE.
	PowerMeter string `toml:"power_meter"`
	// FullScale is the quadrature value in SNU at DAC full scale; 0 takes
	// 8·sqrt(Va) of each frame.
	FullScale float64 `toml:"full_scale"`
	// Wavelength of the laser, in metres.
	Wavelength float64 `toml:"wavelength"`
	// OutputRatio is the power at the fiber output over the power on the
	// monitor tap.
	OutputRatio float64 `toml:"output_ratio"`
}

// BobInstruments is Bob's receiver: a digitizer, the local-oscillator laser
// (switched off for the electronic-noise calibration) and the polarisation
// controller.
type BobInstruments struct {
	// Digitizer is the digitizer's host[:port].
	Digitizer string `toml:"digitizer"`
	// LocalOscillator is the local-oscillator laser's host[:port].
	LocalOscillator string `toml:"local_oscillator"`
	// PolarisationController is the polarisation controller's host[:port];
	// required by bob.run.polarisation_recovery.
	PolarisationController string `toml:"polarisation_controller"`
	// CalibrationSamples is the size of each calibration record.
	CalibrationSamples int `toml:"calibration_samples"`
	// PollInterval is the period of the acquisition-done polls.
	PollInterval Duration `toml:"poll_interval"`
}

// DefaultInstruments returns the built-in [instruments] section: no
// instrument addresses, the drivers' default limits, 5 s to reach each
// instrument at start.
func DefaultInstruments() Instruments {
	return Instruments{
		ConnectTimeout: Duration{5 * time.Second},
		Limits:         InstrumentLimits{MaxLine: 4096, MaxBlock: 256 << 20, Timeout: Duration{30 * time.Second}},
		Alice:          AliceInstruments{Wavelength: 1550e-9},
		Bob:            BobInstruments{CalibrationSamples: 1 << 18, PollInterval: Duration{10 * time.Millisecond}},
	}
}

// validate checks the ranges of [instruments] and the syntax of every
// address given. Which addresses are required depends on the station:
// the station wiring (package station) checks that when the simulation is
// off.
func (in Instruments) validate() []error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, fieldErr(key, format, args...)) }
	posDur := func(key string, d time.Duration) {
		if d <= 0 {
			add(key, "must be a positive duration, got %v", d)
		}
	}
	posDur("instruments.connect_timeout", in.ConnectTimeout.Duration)
	posDur("instruments.limits.timeout", in.Limits.Timeout.Duration)
	posDur("instruments.bob.poll_interval", in.Bob.PollInterval.Duration)
	if n := in.Limits.MaxLine; n < 64 || n > 1<<20 {
		add("instruments.limits.max_line", "must be in 64..1048576 bytes, got %d", n)
	}
	if n := in.Limits.MaxBlock; n < 1024 || n > 1<<30 {
		add("instruments.limits.max_block", "must be in 1024..1073741824 bytes, got %d", n)
	}
	if n := in.Bob.CalibrationSamples; n < 1 || n > hardware.MaxSymbols {
		add("instruments.bob.calibration_samples", "must be in 1..%d, got %d", hardware.MaxSymbols, n)
	} else if 2*n > in.Limits.MaxBlock {
		add("instruments.bob.calibration_samples", "a record of %d int16 samples (%d bytes) exceeds instruments.limits.max_block = %d", n, 2*n, in.Limits.MaxBlock)
	}
	a := in.Alice
	if fs := a.FullScale; math.IsNaN(fs) || math.IsInf(fs, 0) || fs < 0 {
		add("instruments.alice.full_scale", "must be a finite number >= 0 (0: 8·sqrt(Va) of each frame), got %v", fs)
	}
	if w := a.Wavelength; math.IsNaN(w) || !(w >= 100e-9 && w <= 20e-6) {
		add("instruments.alice.wavelength", "must be a wavelength in metres in [1e-7, 2e-5] (e.g. 1.55e-6), got %v", w)
	}
	if r := a.OutputRatio; math.IsNaN(r) || r < 0 || r > 1e3 {
		add("instruments.alice.output_ratio", "must be in [0, 1000] (output power / monitor power), got %v", r)
	}
	for _, ad := range []struct{ key, v string }{
		{"instruments.alice.awg", a.AWG},
		{"instruments.alice.power_meter", a.PowerMeter},
		{"instruments.bob.digitizer", in.Bob.Digitizer},
		{"instruments.bob.local_oscillator", in.Bob.LocalOscillator},
		{"instruments.bob.polarisation_controller", in.Bob.PolarisationController},
	} {
		if reason := checkInstrumentAddress(ad.v); reason != "" {
			add(ad.key, "%s", reason)
		}
	}
	return errs
}

// checkInstrumentAddress returns why s is not "", "host" or "host:port".
func checkInstrumentAddress(s string) string {
	if s == "" {
		return ""
	}
	if strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t/") {
		return fmt.Sprintf("must be host or host:port, got %q", s)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// A bare host or IPv6 address takes the SCPI port 5025.
		if !strings.Contains(s, ":") || net.ParseIP(s) != nil {
			return ""
		}
		return fmt.Sprintf("must be host or host:port, got %q", s)
	}
	if host == "" {
		return fmt.Sprintf("has no host, got %q", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Sprintf("port must be in 1..65535, got %q", port)
	}
	return ""
}
