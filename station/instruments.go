package station

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/real/scpi"
	"github.com/qosst/qosst-go/hardware/sim"
)

// fieldErr is a *config.FieldError: the configuration key a station lacks.
func fieldErr(key, format string, args ...any) error {
	return &config.FieldError{Key: key, Reason: fmt.Sprintf(format, args...)}
}

func limits(in config.Instruments) scpi.Limits {
	return scpi.Limits{MaxLine: in.Limits.MaxLine, MaxBlock: in.Limits.MaxBlock, Timeout: in.Limits.Timeout.Duration}
}

// EmitterConfig returns the driver configuration of Alice's emitter, or
// one *FieldError per key a real emitter needs and lacks, joined
// (errors.As finds the first): instruments.alice.awg;
// instruments.alice.power_meter, which answers PE_NPHOTON_REQUEST;
// instruments.alice.output_ratio with it.
func EmitterConfig(c *config.Config) (scpi.EmitterConfig, error) {
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
		OutputRatio: a.OutputRatio, Limits: limits(c.Instruments),
	}, nil
}

// ReceiverConfig returns the driver configuration of Bob's receiver and the
// polarisation controller's address ("" when none is configured), or one
// *FieldError per key a real receiver needs and lacks, joined:
// instruments.bob.digitizer; instruments.bob.local_oscillator, which Bob
// switches for the calibrations of every frame;
// instruments.bob.polarisation_controller when
// bob.run.polarisation_recovery is set.
func ReceiverConfig(c *config.Config) (scpi.ReceiverConfig, string, error) {
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
		Limits: limits(c.Instruments),
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
func startup(ctx context.Context, c *config.Config, what string, open func(context.Context) error) error {
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
func NewEmitter(ctx context.Context, c *config.Config) (hardware.Emitter, error) {
	if c.Simulation.Enabled {
		return sim.NewEmitter(SimConfig(c))
	}
	ec, err := EmitterConfig(c)
	if err != nil {
		return nil, err
	}
	var em *scpi.Emitter
	err = startup(ctx, c, "emitter", func(ctx context.Context) (err error) {
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
func NewReceiver(ctx context.Context, c *config.Config) (*Receiver, error) {
	if c.Simulation.Enabled {
		rx, err := sim.NewReceiver(SimConfig(c))
		if err != nil {
			return nil, err
		}
		return &Receiver{Receiver: rx, Polarisation: rx, closers: []func() error{rx.Close}}, nil
	}
	rc, pcAddr, err := ReceiverConfig(c)
	if err != nil {
		return nil, err
	}
	var rx *scpi.Receiver
	err = startup(ctx, c, "receiver", func(ctx context.Context) (err error) {
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
	err = startup(ctx, c, "polarisation controller", func(ctx context.Context) (err error) {
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
