// Package hardware owns the contract between the QOSST stations and their
// optical instruments: Alice's emitter (prepare a frame's symbols, start and
// stop the emission, measure the mean photon number, switch the polarisation
// recovery signal) and Bob's receiver (arm, acquire, stop, electronic-noise
// and shot-noise calibration records) with his polarisation controller.
//
// It knows nothing of the protocol: the stations translate QOSST requests
// into these calls. Backends live below it: hardware/sim (a simulated optical
// link with known ground truth) and hardware/real (drivers for instruments).
//
// Units. Alice's symbols are complex128 in shot-noise units (SNU): real part
// q, imaginary part p, each quadrature ~ N(0, Va) with Va = 2<n>. Bob's
// receiver returns raw measurements in detector units (real = q, imag = p;
// homodyne measures q only and leaves imag 0) and two calibration records
// taken with the same gain: electronic noise only, and electronic + shot
// noise. Parameter estimation turns them into SNU:
// V_shot = Var(el+shot) − Var(el), v_el = Var(el)/V_shot, y = raw/sqrt(V_shot).
//
// Sequencing. Every backend enforces the same order and reports mistakes with
// the sentinel errors below, so a station can tell a programming error
// (ErrNotPrepared, ErrNotArmed, ErrBusy) from a missing or failing
// instrument (ErrNoDevice, ErrDevice) with errors.Is.
//
//	Alice: Prepare → StartEmission → StopEmission (the prepared frame is
//	       consumed: a frame is emitted once). StopEmission is idempotent.
//	Bob:   Arm → Acquire (once) ; Stop disarms and is idempotent.
//	       Calibrations are refused while armed or acquiring.
//
// All methods take a context and return promptly with an error wrapping
// ctx.Err() when it ends. Implementations are safe for concurrent use.
package hardware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/quantum"
)

// Sentinel errors. Backends wrap them with %w and add detail.
var (
	// ErrNotPrepared: StartEmission without a prepared frame (never
	// prepared, or already emitted and stopped).
	ErrNotPrepared = errors.New("hardware: no frame prepared")
	// ErrNotArmed: Acquire without Arm (never armed, stopped, or the
	// acquisition for this arm was already returned).
	ErrNotArmed = errors.New("hardware: receiver not armed")
	// ErrBusy: the device is in a state that forbids the call (Prepare
	// while emitting, Arm while armed, calibration while armed...).
	ErrBusy = errors.New("hardware: device busy")
	// ErrNoDevice: the instrument is not there (not configured, cannot be
	// reached, or does not identify as expected).
	ErrNoDevice = errors.New("hardware: no such device")
	// ErrDevice: the instrument answered but failed (error status,
	// malformed or oversized reply, injected fault).
	ErrDevice = errors.New("hardware: device error")
	// ErrClosed: the backend was closed.
	ErrClosed = errors.New("hardware: closed")
	// ErrInvalidSpec: the FrameSpec is out of range; the error also
	// carries a *SpecError naming the field.
	ErrInvalidSpec = errors.New("hardware: invalid frame spec")
)

// MaxSymbols bounds FrameSpec.NumSymbols (2^24 symbols is 256 MiB of
// complex128 per copy). A backend may impose a smaller bound.
const MaxSymbols = 1 << 24

// Detection is the receiver's measurement scheme, the one definition of
// package quantum.
type Detection = quantum.Detection

// The two schemes of the QOSST key-rate formulas (see package quantum).
const (
	Heterodyne = quantum.Heterodyne // both quadratures, each with half the signal
	Homodyne   = quantum.Homodyne   // q only; imag parts are 0
)

// ParseDetection reads "heterodyne" or "homodyne" (quantum.ParseDetection).
func ParseDetection(s string) (Detection, error) { return quantum.ParseDetection(s) }

// FrameSpec is what the stations agreed for one frame (INITIALIZATION) and
// hand to the hardware: Alice's Prepare and Bob's Arm get the same value.
type FrameSpec struct {
	UUID       uuid.UUID // the frame UUID (frame_uuid on the wire)
	NumSymbols int       // symbols in the frame, 1..MaxSymbols
	SymbolRate float64   // symbols per second (Bd), > 0
	Detection  Detection // Bob's scheme
	Va         float64   // Alice's modulation variance per quadrature, SNU (Va = 2<n>), > 0
}

// SpecError names the FrameSpec field that failed validation. Errors
// returned by Validate wrap ErrInvalidSpec and carry a *SpecError.
type SpecError struct {
	Field  string
	Reason string
}

func (e *SpecError) Error() string {
	return "hardware: invalid frame spec: " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidSpec) true.
func (e *SpecError) Unwrap() error { return ErrInvalidSpec }

// Validate checks every field.
func (s FrameSpec) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &SpecError{Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case s.UUID == uuid.Nil:
		return bad("uuid", "nil UUID")
	case s.NumSymbols <= 0 || s.NumSymbols > MaxSymbols:
		return bad("num_symbols", "%d not in [1, %d]", s.NumSymbols, MaxSymbols)
	case !(s.SymbolRate > 0) || math.IsInf(s.SymbolRate, 0):
		return bad("symbol_rate", "%v must be a positive finite number", s.SymbolRate)
	case !s.Detection.Valid():
		return bad("detection", "%v is not heterodyne or homodyne", s.Detection)
	case !(s.Va > 0) || math.IsInf(s.Va, 0):
		return bad("va", "%v must be a positive finite number", s.Va)
	}
	return nil
}

// MeanPhotonNumber returns <n> = Va/2, the mean photon number per symbol
// that the spec asks of Alice.
func (s FrameSpec) MeanPhotonNumber() float64 { return s.Va / 2 }

// Emitter is Alice's side: the transmitter that modulates and emits a frame
// of Gaussian-modulated coherent states.
type Emitter interface {
	// Prepare draws (or loads) the frame's symbols and readies the
	// modulator. It returns Alice's symbols, complex128 in SNU, one per
	// symbol, which the station keeps for parameter estimation and the
	// key. Prepare while emitting fails with ErrBusy; preparing again
	// while a frame is prepared but not emitted replaces it.
	Prepare(ctx context.Context, spec FrameSpec) ([]complex128, error)
	// StartEmission starts sending the prepared frame (ErrNotPrepared
	// if there is none, ErrBusy if already emitting).
	StartEmission(ctx context.Context) error
	// StopEmission stops the emission and consumes the prepared frame.
	// Stopping an idle emitter is not an error.
	StopEmission(ctx context.Context) error
	// MeanPhotonNumber measures the mean photon number per symbol at
	// Alice's output (<n>, the PE_NPHOTON_RESPONSE value).
	MeanPhotonNumber(ctx context.Context) (float64, error)
	// SetPolarisationSignal switches the polarisation recovery signal on
	// or off (REQUEST/END_POLARISATION_RECOVERY). It is refused with
	// ErrBusy while emitting.
	SetPolarisationSignal(ctx context.Context, on bool) error
	io.Closer
}

// Receiver is Bob's side: the coherent receiver and its digitizer.
type Receiver interface {
	// Arm readies an acquisition of the frame described by spec.
	// Arm while armed fails with ErrBusy (Stop first).
	Arm(ctx context.Context, spec FrameSpec) error
	// Acquire waits for the armed acquisition and returns the raw
	// measurements in detector units, one complex128 per symbol
	// (real = q, imag = p; homodyne leaves imag 0). It disarms the
	// receiver whether it succeeds or fails; a second Acquire fails with
	// ErrNotArmed.
	Acquire(ctx context.Context) ([]complex128, error)
	// Stop disarms the receiver (abandoning an armed acquisition).
	// Stopping an idle receiver is not an error.
	Stop(ctx context.Context) error
	// CalibrateElectronic returns a record of raw samples with the
	// detector's electronic noise only (no light), in detector units.
	CalibrateElectronic(ctx context.Context) ([]complex128, error)
	// CalibrateShot returns a record of raw samples with electronic and
	// shot noise (local oscillator on, no signal), same gain as
	// CalibrateElectronic.
	CalibrateShot(ctx context.Context) ([]complex128, error)
	io.Closer
}

// PolarisationController is Bob's polarisation controller.
type PolarisationController interface {
	// Recover aligns Bob's polarisation on Alice's recovery signal (which
	// the station has asked Alice to switch on) and returns when aligned.
	Recover(ctx context.Context) error
}
