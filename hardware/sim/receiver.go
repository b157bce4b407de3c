package sim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/qosst/qosst-go/hardware"
)

type receiverState int

const (
	rxIdle receiverState = iota
	rxArmed
	rxAcquiring
	rxCalibrating
)

// errStopped is the cause of an acquisition abandoned by Stop or Close.
var errStopped = errors.New("sim: acquisition stopped")

// Receiver is Bob's simulated coherent receiver. It implements
// hardware.Receiver and hardware.PolarisationController.
type Receiver struct {
	cfg       Config
	faults    *injector
	noiseBase uint64

	mu        sync.Mutex
	state     receiverState
	spec      hardware.FrameSpec // armed frame
	detection hardware.Detection // of the last armed frame, for calibrations
	symbols   int                // of the last armed frame, for calibrations
	cancel    context.CancelCauseFunc
	calibEl   uint64 // calibration counters (distinct noise streams)
	calibShot uint64
	closed    bool
}

var (
	_ hardware.Receiver               = (*Receiver)(nil)
	_ hardware.PolarisationController = (*Receiver)(nil)
)

// NewReceiver returns Bob's side of the simulated link.
func NewReceiver(cfg Config) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base := cfg.NoiseSeed
	if base == 0 {
		base = rand.Uint64() // randomly seeded by the runtime
	}
	return &Receiver{cfg: cfg, faults: newInjector(cfg.Faults), noiseBase: base, detection: cfg.Detection}, nil
}

func (r *Receiver) begin(ctx context.Context, op Op) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: %s: %w", op, err)
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return fmt.Errorf("sim: %s: %w", op, hardware.ErrClosed)
	}
	return r.faults.check(ctx, op)
}

// Arm readies the acquisition of spec's frame.
func (r *Receiver) Arm(ctx context.Context, spec hardware.FrameSpec) error {
	if err := r.begin(ctx, OpArm); err != nil {
		return err
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return fmt.Errorf("sim: arm: %w", hardware.ErrClosed)
	case r.state != rxIdle:
		return fmt.Errorf("sim: arm: receiver is %s: %w", r.stateName(), hardware.ErrBusy)
	}
	r.state, r.spec, r.detection, r.symbols = rxArmed, spec, spec.Detection, spec.NumSymbols
	return nil
}

// Acquire measures the armed frame: gain·y per symbol, detector units.
// With Config.Realtime it first lasts NumSymbols/SymbolRate.
// A fault injected on Acquire fires after the receiver left the armed
// state (a hanging fault is an acquisition that never completes), so a
// failed Acquire always leaves the receiver disarmed.
func (r *Receiver) Acquire(ctx context.Context) ([]complex128, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: %s: %w", OpAcquire, err)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("sim: %s: %w", OpAcquire, hardware.ErrClosed)
	}
	if r.state != rxArmed {
		st := r.stateName()
		r.mu.Unlock()
		if st == "acquiring" {
			return nil, fmt.Errorf("sim: acquire: already acquiring: %w", hardware.ErrBusy)
		}
		return nil, fmt.Errorf("sim: acquire: receiver is %s: %w", st, hardware.ErrNotArmed)
	}
	spec := r.spec
	actx, cancel := context.WithCancelCause(ctx)
	r.state, r.cancel = rxAcquiring, cancel
	r.mu.Unlock()

	y, err := func() ([]complex128, error) {
		if err := r.faults.check(actx, OpAcquire); err != nil {
			return nil, err
		}
		return r.acquire(actx, spec)
	}()

	r.mu.Lock()
	if r.state == rxAcquiring {
		r.state = rxIdle
	}
	r.cancel = nil
	r.mu.Unlock()
	cancel(nil)
	if err != nil {
		if cause := context.Cause(actx); errors.Is(cause, errStopped) {
			return nil, fmt.Errorf("sim: acquire: %w: %w", hardware.ErrNotArmed, cause)
		}
		return nil, err
	}
	return y, nil
}

func (r *Receiver) acquire(ctx context.Context, spec hardware.FrameSpec) ([]complex128, error) {
	if r.cfg.Realtime {
		d := time.Duration(float64(spec.NumSymbols) / spec.SymbolRate * float64(time.Second))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("sim: acquiring: %w", ctx.Err())
		}
	}
	return measure(ctx, r.cfg, spec, noiseKey(r.noiseBase, "acquire", spec.UUID[:]))
}

// Stop disarms the receiver and abandons a running acquisition.
func (r *Receiver) Stop(ctx context.Context) error {
	if err := r.begin(ctx, OpStop); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked()
	return nil
}

func (r *Receiver) stopLocked() {
	if r.cancel != nil {
		r.cancel(errStopped)
	}
	if r.state == rxArmed || r.state == rxAcquiring {
		r.state = rxIdle
	}
}

// RecordLength is the number of samples of each calibration record: as
// many as the last frame armed has symbols, and at least
// Config.CalibrationSamples. The shot noise that turns a frame into
// shot-noise units is then known as precisely as the frame's own noise,
// which finite-size estimation needs: at 25 km the excess noise is a
// thousandth of the shot noise, and a record shorter than the frame would
// dominate the excess-noise bound.
func (r *Receiver) RecordLength() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recordLength()
}

func (r *Receiver) recordLength() int { return max(r.cfg.CalibrationSamples, r.symbols) }

// CalibrateElectronic returns g·sqrt(v_el)·N(0,1) samples (no light).
func (r *Receiver) CalibrateElectronic(ctx context.Context) ([]complex128, error) {
	if err := r.begin(ctx, OpCalibrateElectronic); err != nil {
		return nil, err
	}
	return r.calibrate(ctx, "electronic", &r.calibEl, r.cfg.Gain*math.Sqrt(r.cfg.ElectronicNoise))
}

// CalibrateShot returns g·sqrt(1+v_el)·N(0,1) samples (local oscillator
// on, no signal).
func (r *Receiver) CalibrateShot(ctx context.Context) ([]complex128, error) {
	if err := r.begin(ctx, OpCalibrateShot); err != nil {
		return nil, err
	}
	return r.calibrate(ctx, "shot", &r.calibShot, r.cfg.Gain*math.Sqrt(1+r.cfg.ElectronicNoise))
}

func (r *Receiver) calibrate(ctx context.Context, what string, counter *uint64, sigma float64) ([]complex128, error) {
	r.mu.Lock()
	if r.state != rxIdle {
		st := r.stateName()
		r.mu.Unlock()
		return nil, fmt.Errorf("sim: %s calibration: receiver is %s: %w", what, st, hardware.ErrBusy)
	}
	*counter++
	key := noiseKey(r.noiseBase, what, binary.BigEndian.AppendUint64(nil, *counter))
	hom := r.detection == hardware.Homodyne
	n := r.recordLength()
	r.state = rxCalibrating
	r.mu.Unlock()

	rec, err := record(ctx, n, sigma, hom, key)

	r.mu.Lock()
	if r.state == rxCalibrating {
		r.state = rxIdle
	}
	r.mu.Unlock()
	return rec, err
}

// Recover aligns the simulated polarisation (instantly). It is refused
// with hardware.ErrBusy while armed or acquiring.
func (r *Receiver) Recover(ctx context.Context) error {
	if err := r.begin(ctx, OpRecover); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != rxIdle {
		return fmt.Errorf("sim: polarisation recovery: receiver is %s: %w", r.stateName(), hardware.ErrBusy)
	}
	return nil
}

// Close abandons any acquisition; later calls fail with hardware.ErrClosed.
func (r *Receiver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked()
	r.closed = true
	return nil
}

// Armed reports whether an acquisition is armed or running (for tests of
// stations: an aborted frame must leave it false).
func (r *Receiver) Armed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state == rxArmed || r.state == rxAcquiring
}

// Calls returns how many times op reached the simulated device (calls on
// a closed receiver, with an ended context, or Acquire while not armed are
// not counted).
func (r *Receiver) Calls(op Op) int { return r.faults.count(op) }

func (r *Receiver) stateName() string {
	switch r.state {
	case rxArmed:
		return "armed"
	case rxAcquiring:
		return "acquiring"
	case rxCalibrating:
		return "calibrating"
	}
	return "idle"
}
