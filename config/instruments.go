package config

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/real/scpi"
	"github.com/qosst/qosst-go/hardware/sim"
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
// AliceInstruments and BobInstruments check that when the simulation is off.
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

func (in Instruments) limits() scpi.Limits {
	return scpi.Limits{MaxLine: in.Limits.MaxLine, MaxBlock: in.Limits.MaxBlock, Timeout: in.Limits.Timeout.Duration}
}

// AliceInstruments returns the driver configuration of Alice's emitter, or
// one *FieldError per key a real emitter needs and lacks, joined
// (errors.As finds the first): instruments.alice.awg;
// instruments.alice.power_meter, which answers PE_NPHOTON_REQUEST;
// instruments.alice.output_ratio with it.
func (c *Config) AliceInstruments() (scpi.EmitterConfig, error) {
	a := c.Instruments.Alice
	var errs []error
	if a.AWG == "" {
		errs = append(errs, fieldErr("instruments.alice.awg", "required when simulation.enabled = false"))
	}
	if a.PowerMeter == "" {
		errs = append(errs, fieldErr("instruments.alice.power_meter", "required when simulation.enabled = false (it measures the mean photon number of PE_NPHOTON_RESPONSE)"))
	}
	if !(a.OutputRatio > 0) {
		errs = append(errs, fieldErr("instruments.alice.output_ratio", "must be > 0 with a power meter (output power / monitor power), got %v", a.OutputRatio))
	}
	if err := errors.Join(errs...); err != nil {
		return scpi.EmitterConfig{}, err
	}
	return scpi.EmitterConfig{
		AWG: a.AWG, PowerMeter: a.PowerMeter, FullScale: a.FullScale, Wavelength: a.Wavelength,
		OutputRatio: a.OutputRatio, Limits: c.Instruments.limits(),
	}, nil
}

// BobInstruments returns the driver configuration of Bob's receiver and the
// polarisation controller's address ("" when none is configured), or one
// *FieldError per key a real receiver needs and lacks, joined:
// instruments.bob.digitizer; instruments.bob.local_oscillator, which Bob
// switches for the calibrations of every frame;
// instruments.bob.polarisation_controller when
// bob.run.polarisation_recovery is set.
func (c *Config) BobInstruments() (scpi.ReceiverConfig, string, error) {
	b := c.Instruments.Bob
	var errs []error
	if b.Digitizer == "" {
		errs = append(errs, fieldErr("instruments.bob.digitizer", "required when simulation.enabled = false"))
	}
	if b.LocalOscillator == "" {
		errs = append(errs, fieldErr("instruments.bob.local_oscillator", "required when simulation.enabled = false (Bob switches it off and on for the noise calibrations of every frame)"))
	}
	if c.Bob.Run.PolarisationRecovery && b.PolarisationController == "" {
		errs = append(errs, fieldErr("instruments.bob.polarisation_controller", "required by bob.run.polarisation_recovery = true when simulation.enabled = false"))
	}
	if err := errors.Join(errs...); err != nil {
		return scpi.ReceiverConfig{}, "", err
	}
	return scpi.ReceiverConfig{
		Digitizer: b.Digitizer, LocalOscillator: b.LocalOscillator, Detection: c.Detection(),
		CalibrationSamples: b.CalibrationSamples, PollInterval: b.PollInterval.Duration,
		Limits: c.Instruments.limits(),
	}, b.PolarisationController, nil
}

// InstrumentError is a start-up failure of one instrument: which key
// configured it and what went wrong. It unwraps to the driver's error, so
// errors.Is(err, hardware.ErrNoDevice) tells an instrument that cannot be
// reached or does not identify.
type InstrumentError struct {
	Key     string // e.g. "instruments.alice.awg"
	Address string
	Err     error
}

func (e *InstrumentError) Error() string {
	return fmt.Sprintf("instrument %s = %q: %v", e.Key, e.Address, e.Err)
}

func (e *InstrumentError) Unwrap() error { return e.Err }

// instrumentErr names the instrument of a driver error by the address in
// its message: the drivers report the address they failed on as
// "<host:port>:" or "<host:port> does not identify".
func instrumentErr(err error, keys ...[2]string) error {
	msg := err.Error()
	for _, k := range keys {
		a := withPort(k[1])
		if k[1] != "" && (strings.Contains(msg, a+":") || strings.Contains(msg, a+" ")) {
			return &InstrumentError{Key: k[0], Address: k[1], Err: err}
		}
	}
	return err
}

// withPort returns addr with the SCPI port when it has none, as the
// drivers dial it.
func withPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return net.JoinHostPort(addr, strconv.Itoa(scpi.DefaultPort))
	}
	return addr
}

// startup bounds a driver's construction by instruments.connect_timeout and
// turns a timeout into hardware.ErrNoDevice: an instrument that does not
// answer in time at start is not there.
func (c *Config) startup(ctx context.Context, what string, open func(context.Context) error) error {
	octx, cancel := context.WithTimeout(ctx, c.Instruments.ConnectTimeout.Duration)
	defer cancel()
	err := open(octx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, hardware.ErrNoDevice) {
		return fmt.Errorf("%s: no answer within instruments.connect_timeout = %v: %w: %w", what, c.Instruments.ConnectTimeout.Duration, hardware.ErrNoDevice, err)
	}
	return err
}

// NewEmitter returns Alice's emitter: the simulated link's when
// simulation.enabled, else the SCPI emitter on [instruments.alice], reached
// and identified within instruments.connect_timeout. A missing address is a
// *FieldError; an instrument that cannot be reached or does not identify is
// an *InstrumentError wrapping hardware.ErrNoDevice.
func (c *Config) NewEmitter(ctx context.Context) (hardware.Emitter, error) {
	if c.Simulation.Enabled {
		return sim.NewEmitter(c.SimConfig())
	}
	ec, err := c.AliceInstruments()
	if err != nil {
		return nil, err
	}
	var em *scpi.Emitter
	err = c.startup(ctx, "emitter", func(ctx context.Context) (err error) {
		em, err = scpi.NewEmitter(ctx, ec)
		return err
	})
	if err != nil {
		return nil, instrumentErr(err, [2]string{"instruments.alice.awg", ec.AWG}, [2]string{"instruments.alice.power_meter", ec.PowerMeter})
	}
	return em, nil
}

// Receiver is Bob's hardware built from the configuration: the receiver and
// the polarisation controller (nil when none is configured).
type Receiver struct {
	hardware.Receiver
	Polarisation hardware.PolarisationController
	closers      []func() error
}

// Close closes the receiver and the polarisation controller.
func (r *Receiver) Close() error {
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// NewReceiver returns Bob's receiver and polarisation controller: the
// simulated link's when simulation.enabled, else the SCPI receiver on
// [instruments.bob] and, when configured, the SCPI polarisation controller,
// each reached and identified within instruments.connect_timeout. Errors
// as NewEmitter.
func (c *Config) NewReceiver(ctx context.Context) (*Receiver, error) {
	if c.Simulation.Enabled {
		rx, err := sim.NewReceiver(c.SimConfig())
		if err != nil {
			return nil, err
		}
		return &Receiver{Receiver: rx, Polarisation: rx, closers: []func() error{rx.Close}}, nil
	}
	rc, pcAddr, err := c.BobInstruments()
	if err != nil {
		return nil, err
	}
	var rx *scpi.Receiver
	err = c.startup(ctx, "receiver", func(ctx context.Context) (err error) {
		rx, err = scpi.NewReceiver(ctx, rc)
		return err
	})
	if err != nil {
		return nil, instrumentErr(err, [2]string{"instruments.bob.digitizer", rc.Digitizer}, [2]string{"instruments.bob.local_oscillator", rc.LocalOscillator})
	}
	out := &Receiver{Receiver: rx, closers: []func() error{rx.Close}}
	if pcAddr == "" {
		return out, nil
	}
	var pc *scpi.Polariser
	err = c.startup(ctx, "polarisation controller", func(ctx context.Context) (err error) {
		pc, err = scpi.NewPolariser(ctx, pcAddr, rc.Limits)
		return err
	})
	if err != nil {
		rx.Close()
		return nil, &InstrumentError{Key: "instruments.bob.polarisation_controller", Address: pcAddr, Err: err}
	}
	out.Polarisation = pc
	out.closers = append(out.closers, pc.Close)
	return out, nil
}
