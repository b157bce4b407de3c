package bob

import (
	"errors"

	"github.com/google/uuid"
)

// Observer receives what Bob's driver reports as it runs: the progress of
// the frame in progress, the summary of every frame that ends, and each
// authentication failure (monitor and qosst-bob's status line implement
// it). Its methods are called on the driver's goroutine and must return
// quickly.
type Observer interface {
	FrameProgress(Progress)
	FrameEnded(*Summary)
	AuthenticationFailed()
}

// Progress is where the frame in progress stands: the phase it is in and,
// for the phases made of steps (QIE: ready, emitting, acquired, ended; PE:
// the PE_SYMBOLS_REQUESTs; EC: the blocks; PA: the request), how many of
// Total are done. Total is 0 when the phase is not counted in steps.
type Progress struct {
	Frame uuid.UUID // uuid.Nil before INITIALIZATION
	Phase Phase
	Done  int
	Total int
}

// Frame outcomes (Summary.Outcome).
const (
	OutcomeCompleted = "completed" // FRAME_ENDED_ACK received, key written
	OutcomeDenied    = "denied"    // PE_DENIED or INITIALIZATION_DENIED
	OutcomeAborted   = "aborted"   // Alice's ABORT
	OutcomeDropped   = "dropped"   // anything else
)

// Outcome classifies how the frame ended.
func (s *Summary) Outcome() string {
	switch {
	case s.Completed():
		return OutcomeCompleted
	case errors.Is(s.Err, ErrPEDenied), errors.Is(s.Err, ErrInitializationDenied):
		return OutcomeDenied
	case errors.Is(s.Err, ErrAborted):
		return OutcomeAborted
	}
	return OutcomeDropped
}

// Observe installs o (nil: none) as the driver's observer.
func (d *Driver) Observe(o Observer) { d.obs = o }

// progress reports the frame's progress to the observer, if any.
func (f *frame) progress(p Phase, done, total int) {
	if f.d.obs != nil {
		f.d.obs.FrameProgress(Progress{Frame: f.id, Phase: p, Done: done, Total: total})
	}
}
