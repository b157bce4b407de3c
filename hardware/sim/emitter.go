package sim

import (
	"context"
	"fmt"
	"sync"

	"github.com/qosst/qosst-go/hardware"
)

type emitterState int

const (
	emIdle emitterState = iota
	emPrepared
	emEmitting
)

// Emitter is Alice's simulated transmitter. It implements hardware.Emitter.
type Emitter struct {
	cfg    Config
	faults *injector

	mu           sync.Mutex
	state        emitterState
	spec         hardware.FrameSpec // last prepared frame
	hasSpec      bool
	polarisation bool
	closed       bool
}

var _ hardware.Emitter = (*Emitter)(nil)

// NewEmitter returns Alice's side of the simulated link.
func NewEmitter(cfg Config) (*Emitter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Emitter{cfg: cfg, faults: newInjector(cfg.Faults)}, nil
}

// begin runs the checks common to every call: context, closed, fault.
func (e *Emitter) begin(ctx context.Context, op Op) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: %s: %w", op, err)
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return fmt.Errorf("sim: %s: %w", op, hardware.ErrClosed)
	}
	return e.faults.check(ctx, op)
}

// Prepare derives the frame's symbols from the link seed and spec.UUID.
func (e *Emitter) Prepare(ctx context.Context, spec hardware.FrameSpec) ([]complex128, error) {
	if err := e.begin(ctx, OpPrepare); err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	busy := e.state == emEmitting
	e.mu.Unlock()
	if busy {
		return nil, fmt.Errorf("sim: prepare while emitting: %w", hardware.ErrBusy)
	}
	x, err := Symbols(ctx, e.cfg.LinkSeed, spec)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return nil, fmt.Errorf("sim: prepare: %w", hardware.ErrClosed)
	case e.state == emEmitting: // started concurrently
		return nil, fmt.Errorf("sim: prepare while emitting: %w", hardware.ErrBusy)
	}
	e.state, e.spec, e.hasSpec = emPrepared, spec, true
	return x, nil
}

// StartEmission starts emitting the prepared frame.
func (e *Emitter) StartEmission(ctx context.Context) error {
	if err := e.begin(ctx, OpStartEmission); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.state == emEmitting:
		return fmt.Errorf("sim: start emission: already emitting: %w", hardware.ErrBusy)
	case e.state != emPrepared:
		return fmt.Errorf("sim: start emission: %w", hardware.ErrNotPrepared)
	case e.polarisation:
		return fmt.Errorf("sim: start emission: polarisation signal is on: %w", hardware.ErrBusy)
	}
	e.state = emEmitting
	return nil
}

// StopEmission stops the emission and consumes the prepared frame.
func (e *Emitter) StopEmission(ctx context.Context) error {
	if err := e.begin(ctx, OpStopEmission); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state = emIdle
	return nil
}

// MeanPhotonNumber returns the calibrated mean photon number per symbol:
// Va/2 of the last prepared frame (the configured Va before any frame).
func (e *Emitter) MeanPhotonNumber(ctx context.Context) (float64, error) {
	if err := e.begin(ctx, OpMeanPhotonNumber); err != nil {
		return 0, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hasSpec {
		return e.spec.MeanPhotonNumber(), nil
	}
	return e.cfg.Va / 2, nil
}

// SetPolarisationSignal switches the polarisation recovery signal.
func (e *Emitter) SetPolarisationSignal(ctx context.Context, on bool) error {
	if err := e.begin(ctx, OpPolarisationSignal); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if on && e.state == emEmitting {
		return fmt.Errorf("sim: polarisation signal while emitting: %w", hardware.ErrBusy)
	}
	e.polarisation = on
	return nil
}

// Close releases the emitter; later calls fail with hardware.ErrClosed.
func (e *Emitter) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed, e.state, e.polarisation = true, emIdle, false
	return nil
}

// Emitting reports whether the emitter is emitting (for tests of stations:
// a frame that ends or aborts must leave it false).
func (e *Emitter) Emitting() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state == emEmitting
}

// PolarisationSignal reports whether the polarisation signal is on.
func (e *Emitter) PolarisationSignal() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.polarisation
}

// Calls returns how many times op was called on this emitter (calls on a
// closed emitter or with an ended context are not counted).
func (e *Emitter) Calls(op Op) int { return e.faults.count(op) }
