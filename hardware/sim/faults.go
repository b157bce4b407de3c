package sim

import (
	"context"
	"fmt"
	"sync"

	"github.com/qosst/qosst-go/hardware"
)

// Op names a simulated hardware operation for fault injection.
type Op string

// The operations of the simulated emitter and receiver.
const (
	OpPrepare             Op = "prepare"
	OpStartEmission       Op = "start_emission"
	OpStopEmission        Op = "stop_emission"
	OpMeanPhotonNumber    Op = "mean_photon_number"
	OpPolarisationSignal  Op = "polarisation_signal"
	OpArm                 Op = "arm"
	OpAcquire             Op = "acquire"
	OpStop                Op = "stop"
	OpCalibrateElectronic Op = "calibrate_electronic"
	OpCalibrateShot       Op = "calibrate_shot"
	OpRecover             Op = "recover"
)

func (o Op) valid() bool {
	switch o {
	case OpPrepare, OpStartEmission, OpStopEmission, OpMeanPhotonNumber, OpPolarisationSignal,
		OpArm, OpAcquire, OpStop, OpCalibrateElectronic, OpCalibrateShot, OpRecover:
		return true
	}
	return false
}

// ErrInjected is returned (wrapped) by an injected fault without its own
// error. It wraps hardware.ErrDevice, as a failing instrument would.
var ErrInjected = fmt.Errorf("sim: injected fault: %w", hardware.ErrDevice)

// Fault makes one operation fail. A faulted call changes no state.
type Fault struct {
	Op   Op    // the operation
	Call int   // 1-based call number of Op that fails; 0 = every call
	Hang bool  // block until the context ends (the call returns ctx.Err())
	Err  error // the error returned (wrapped); nil = ErrInjected
}

// injector counts calls per operation and fires the configured faults.
type injector struct {
	mu     sync.Mutex
	faults []Fault
	calls  map[Op]int
}

func newInjector(faults []Fault) *injector {
	return &injector{faults: append([]Fault(nil), faults...), calls: make(map[Op]int)}
}

// check counts a call of op and returns the fault's error, or nil. For a
// hanging fault it blocks until ctx ends.
func (in *injector) check(ctx context.Context, op Op) error {
	in.mu.Lock()
	in.calls[op]++
	n := in.calls[op]
	var hit *Fault
	for i := range in.faults {
		f := &in.faults[i]
		if f.Op == op && (f.Call == 0 || f.Call == n) {
			hit = f
			break
		}
	}
	in.mu.Unlock()
	if hit == nil {
		return nil
	}
	if hit.Hang {
		<-ctx.Done()
		return fmt.Errorf("sim: %s (call %d) hung: %w", op, n, ctx.Err())
	}
	if hit.Err != nil {
		return fmt.Errorf("sim: %s (call %d): %w", op, n, hit.Err)
	}
	return fmt.Errorf("sim: %s (call %d): %w", op, n, ErrInjected)
}

// Calls returns how many times op was called (faulted calls included).
func (in *injector) count(op Op) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.calls[op]
}
