package scpi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/qosst/qosst-go/hardware"
)

// ReceiverConfig configures Bob's receiver on a SCPI digitizer. The
// digitizer samples once per symbol on an external sample clock (the
// symbol clock recovered from Alice), channel 1 carrying q and, for
// heterodyne, channel 2 carrying p; its trigger is external (Alice's
// frame start).
type ReceiverConfig struct {
	Digitizer          string             `toml:"digitizer"`           // host[:port] of the digitizer
	LocalOscillator    string             `toml:"local_oscillator"`    // host[:port] of Bob's local-oscillator laser; "" = none (no calibrations)
	Detection          hardware.Detection `toml:"detection"`           // the receiver's scheme (default heterodyne); frames must match it
	CalibrationSamples int                `toml:"calibration_samples"` // samples per calibration record (default 2^18)
	PollInterval       time.Duration      `toml:"poll_interval"`       // acquisition-done polling (default 10 ms)
	Limits             Limits             `toml:"limits"`
}

// Receiver is Bob's hardware.Receiver on a SCPI digitizer (command set in
// docs/hardware.md: Keysight Infiniium style :ACQuire, :TRIGger, :SINGle,
// :ADER?, :WAVeform; the LO laser answers :OUTPut:STATe).
type Receiver struct {
	cfg ReceiverConfig
	dig *Conn
	lo  *Conn

	mu     sync.Mutex
	state  int // rxIdle, rxArmed, rxBusy
	spec   hardware.FrameSpec
	cancel context.CancelCauseFunc // ends a running Acquire (Stop, Close)
	closed bool
}

// errStopped is the cause of an acquisition abandoned by Stop or Close.
var errStopped = errors.New("scpi: acquisition stopped")

const (
	rxIdle = iota
	rxArmed
	rxBusy // acquiring or calibrating
)

var _ hardware.Receiver = (*Receiver)(nil)

// NewReceiver connects to the digitizer (and the LO laser when
// configured) and checks that they identify. An unreachable or
// unidentifiable instrument wraps hardware.ErrNoDevice.
func NewReceiver(ctx context.Context, cfg ReceiverConfig) (*Receiver, error) {
	if cfg.CalibrationSamples <= 0 {
		cfg.CalibrationSamples = 1 << 18
	}
	if cfg.CalibrationSamples > hardware.MaxSymbols {
		return nil, fmt.Errorf("scpi: calibration_samples %d > %d: %w", cfg.CalibrationSamples, hardware.MaxSymbols, hardware.ErrInvalidSpec)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	if cfg.Detection == 0 {
		cfg.Detection = hardware.Heterodyne
	}
	if !cfg.Detection.Valid() {
		return nil, fmt.Errorf("scpi: receiver detection %v: %w", cfg.Detection, hardware.ErrInvalidSpec)
	}
	if cfg.Digitizer == "" {
		return nil, fmt.Errorf("scpi: no digitizer address: %w", hardware.ErrNoDevice)
	}
	dig, err := open(ctx, cfg.Digitizer, cfg.Limits)
	if err != nil {
		return nil, err
	}
	r := &Receiver{cfg: cfg, dig: dig}
	if cfg.LocalOscillator != "" {
		if r.lo, err = open(ctx, cfg.LocalOscillator, cfg.Limits); err != nil {
			dig.Close()
			return nil, err
		}
	}
	return r, nil
}

// open dials, identifies and clears the status of an instrument. Whatever
// keeps it from identifying (no answer, a malformed or hostile reply, a
// refused connection) wraps hardware.ErrNoDevice: there is no usable
// instrument at addr.
func open(ctx context.Context, addr string, limits Limits) (*Conn, error) {
	c, err := Dial(ctx, addr, limits)
	if err != nil {
		return nil, err
	}
	if _, err := c.Identify(ctx); err != nil {
		c.Close()
		if errors.Is(err, hardware.ErrNoDevice) {
			return nil, err
		}
		return nil, fmt.Errorf("scpi: %s does not identify: %w: %w", c.Addr(), hardware.ErrNoDevice, err)
	}
	if err := c.Write(ctx, "*CLS"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// transition moves from one of the allowed states to next, or reports
// the sequencing error.
func (r *Receiver) transition(op string, from, next int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.transitionLocked(op, from, next)
}

func (r *Receiver) transitionLocked(op string, from, next int) error {
	switch {
	case r.closed:
		return fmt.Errorf("scpi: %s: %w", op, hardware.ErrClosed)
	case r.state == from:
		r.state = next
		return nil
	case r.state == rxBusy:
		return fmt.Errorf("scpi: %s: receiver busy: %w", op, hardware.ErrBusy)
	case from == rxArmed:
		return fmt.Errorf("scpi: %s: %w", op, hardware.ErrNotArmed)
	}
	return fmt.Errorf("scpi: %s: receiver armed: %w", op, hardware.ErrBusy)
}

func (r *Receiver) setState(s int) {
	r.mu.Lock()
	r.state = s
	r.mu.Unlock()
}

// Arm sets the record length and sample rate, selects the external
// trigger and arms a single acquisition.
func (r *Receiver) Arm(ctx context.Context, spec hardware.FrameSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if spec.Detection != r.cfg.Detection {
		return fmt.Errorf("scpi: arm: %w", &hardware.SpecError{Field: "detection",
			Reason: fmt.Sprintf("this receiver does %v, not %v", r.cfg.Detection, spec.Detection)})
	}
	if err := r.transition("arm", rxIdle, rxBusy); err != nil {
		return err
	}
	err := r.setup(ctx, spec.NumSymbols, strconv.FormatFloat(spec.SymbolRate, 'g', -1, 64), "EXTernal")
	if err != nil {
		r.setState(rxIdle)
		return err
	}
	r.mu.Lock()
	r.state, r.spec = rxArmed, spec
	r.mu.Unlock()
	return nil
}

func (r *Receiver) setup(ctx context.Context, points int, rate, trigger string) error {
	for _, cmd := range []string{
		":ACQuire:POINts " + strconv.Itoa(points),
		":ACQuire:SRATe " + rate,
		":TRIGger:SOURce " + trigger,
		":WAVeform:FORMat WORD",
		":WAVeform:BYTeorder LSBFirst",
		":SINGle",
	} {
		if err := r.dig.Command(ctx, cmd); err != nil {
			return err
		}
	}
	return nil
}

// Acquire waits for the acquisition to complete (:ADER? = 1) and reads
// channel 1 (q) and, for heterodyne, channel 2 (p), scaled to volts.
func (r *Receiver) Acquire(ctx context.Context) ([]complex128, error) {
	actx, cancel := context.WithCancelCause(ctx)
	r.mu.Lock()
	err := r.transitionLocked("acquire", rxArmed, rxBusy)
	if err == nil {
		r.cancel = cancel // with the state change, so that Stop always sees it
	}
	spec := r.spec
	r.mu.Unlock()
	if err != nil {
		cancel(nil)
		return nil, err
	}
	defer func() {
		r.mu.Lock()
		r.state, r.cancel = rxIdle, nil
		r.mu.Unlock()
		cancel(nil)
	}()
	if err := r.dig.PollUntil(actx, ":ADER?", "1", r.cfg.PollInterval); err != nil {
		_ = r.dig.Write(context.WithoutCancel(ctx), ":STOP")
		if cause := context.Cause(actx); errors.Is(cause, errStopped) {
			return nil, fmt.Errorf("scpi: acquire: %w: %w", hardware.ErrNotArmed, cause)
		}
		return nil, err
	}
	return r.readRecord(actx, spec.NumSymbols, spec.Detection)
}

func (r *Receiver) readRecord(ctx context.Context, n int, d hardware.Detection) ([]complex128, error) {
	q, err := r.readChannel(ctx, 1, n)
	if err != nil {
		return nil, err
	}
	var p []float64
	if d == hardware.Heterodyne {
		if p, err = r.readChannel(ctx, 2, n); err != nil {
			return nil, err
		}
	}
	y := make([]complex128, n)
	for i := range y {
		if p != nil {
			y[i] = complex(q[i], p[i])
		} else {
			y[i] = complex(q[i], 0)
		}
	}
	return y, nil
}

// readChannel reads n int16 samples of a channel and scales them:
// value = YORigin + YINCrement·code.
func (r *Receiver) readChannel(ctx context.Context, ch, n int) ([]float64, error) {
	if err := r.dig.Command(ctx, ":WAVeform:SOURce CHANnel"+strconv.Itoa(ch)); err != nil {
		return nil, err
	}
	inc, err := r.dig.QueryFloat(ctx, ":WAVeform:YINCrement?")
	if err != nil {
		return nil, err
	}
	org, err := r.dig.QueryFloat(ctx, ":WAVeform:YORigin?")
	if err != nil {
		return nil, err
	}
	if !(inc > 0) || math.IsInf(inc, 0) || math.IsNaN(org) || math.IsInf(org, 0) {
		return nil, fmt.Errorf("scpi: %s: channel %d scale: increment %v, origin %v: %w",
			r.dig.Addr(), ch, inc, org, malformed(false, "unusable vertical scale"))
	}
	raw, err := r.dig.QueryBlock(ctx, ":WAVeform:DATA?", 2*n)
	if err != nil {
		return nil, err
	}
	if len(raw) != 2*n {
		return nil, fmt.Errorf("scpi: %s: channel %d: %w", r.dig.Addr(), ch,
			malformed(false, "waveform of %d bytes, want %d (%d int16 samples)", len(raw), 2*n, n))
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = org + inc*float64(int16(binary.LittleEndian.Uint16(raw[2*i:])))
	}
	return v, nil
}

// Stop aborts the acquisition and disarms; a running Acquire returns
// (wrapping hardware.ErrNotArmed) at its next poll.
func (r *Receiver) Stop(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("scpi: stop: %w", hardware.ErrClosed)
	}
	if r.cancel != nil {
		r.cancel(errStopped) // Acquire sends :STOP itself
	}
	wasArmed := r.state == rxArmed
	r.mu.Unlock()
	if !wasArmed {
		return nil
	}
	if err := r.dig.Write(ctx, ":STOP"); err != nil {
		return err
	}
	r.mu.Lock()
	if r.state == rxArmed {
		r.state = rxIdle
	}
	r.mu.Unlock()
	return nil
}

// CalibrateElectronic switches the local oscillator off, records
// CalibrationSamples free-running samples, and switches it back on.
func (r *Receiver) CalibrateElectronic(ctx context.Context) ([]complex128, error) {
	return r.calibrate(ctx, "electronic calibration", false)
}

// CalibrateShot records CalibrationSamples free-running samples with the
// local oscillator on (Alice not emitting).
func (r *Receiver) CalibrateShot(ctx context.Context) ([]complex128, error) {
	return r.calibrate(ctx, "shot calibration", true)
}

func (r *Receiver) calibrate(ctx context.Context, what string, loOn bool) (rec []complex128, err error) {
	if r.lo == nil {
		return nil, fmt.Errorf("scpi: %s: no local-oscillator laser configured: %w", what, hardware.ErrNoDevice)
	}
	if err := r.transition(what, rxIdle, rxBusy); err != nil {
		return nil, err
	}
	defer r.setState(rxIdle)
	if !loOn {
		if err := r.lo.Command(ctx, ":OUTPut:STATe OFF"); err != nil {
			return nil, err
		}
		defer func() {
			// The LO must come back on even if the context ended.
			if lerr := r.lo.Command(context.WithoutCancel(ctx), ":OUTPut:STATe ON"); lerr != nil && err == nil {
				rec, err = nil, lerr
			}
		}()
	} else if err := r.lo.Command(ctx, ":OUTPut:STATe ON"); err != nil {
		return nil, err
	}
	n := r.cfg.CalibrationSamples
	if err := r.setup(ctx, n, "MAXimum", "IMMediate"); err != nil {
		return nil, err
	}
	if err := r.dig.PollUntil(ctx, ":ADER?", "1", r.cfg.PollInterval); err != nil {
		_ = r.dig.Write(context.WithoutCancel(ctx), ":STOP")
		return nil, err
	}
	return r.readRecord(ctx, n, r.cfg.Detection)
}

// Close closes the instrument connections.
func (r *Receiver) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	if r.cancel != nil {
		r.cancel(errStopped)
	}
	r.mu.Unlock()
	err := r.dig.Close()
	if r.lo != nil {
		if lerr := r.lo.Close(); err == nil {
			err = lerr
		}
	}
	return err
}
