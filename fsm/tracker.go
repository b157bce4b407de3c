package fsm

import (
	"context"
	"sync"

	lfsm "github.com/looplab/fsm"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// Tracker is Bob's mirror of the session state. Bob asks CanSend before a
// request and hands Alice's response to Receive, which moves the state
// along the table or says why the response is not acceptable. Safe for
// concurrent use.
type Tracker struct {
	mu      sync.Mutex
	machine *lfsm.FSM
}

// NewTracker returns a tracker in state connected.
func NewTracker() *Tracker { return &Tracker{machine: newMachine()} }

// State returns Bob's view of the session state.
func (t *Tracker) State() states.State { return states.State(t.machine.Current()) }

// CanSend returns nil when req is legal in the current state, else an
// *UnexpectedError (wrapping ErrUnexpected) saying what is legal.
func (t *Tracker) CanSend(req messages.Code) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.State()
	if !qosst.IsLegal(s, req) {
		return &UnexpectedError{State: s, Request: req}
	}
	return nil
}

// Expected returns the responses the table allows to req in the current
// state (Alice's ABORT included, derived answers excluded).
func (t *Tracker) Expected(req messages.Code) []messages.Code {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []messages.Code
	for _, tr := range qosst.Answers(t.State(), req) {
		out = append(out, tr.Response)
	}
	return out
}

// Receive takes Alice's response resp to Bob's request req and returns the
// transition taken:
//   - a row of the table for req: the state moves to its Next (Frame says
//     whether Bob forgets the frame: FrameDropped on ABORT, PE_DENIED...);
//   - AUTHENTICATION_INVALID: the frame is dropped and the state is back
//     to connected (Bob identifies again);
//   - UNKOWN_COMMAND, UNEXPECTED_COMMAND, INVALID_CONTENT: the state stays,
//     and the error is a *RejectedError (ErrRejected): Alice did not act;
//   - anything else: the state stays and the error is an *OffTableError
//     (ErrOffTable): Bob answers INVALID_RESPONSE.
func (t *Tracker) Receive(req, resp messages.Code) (qosst.Transition, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.State()
	if tr, ok := qosst.Lookup(s, req, resp); ok {
		applyEvent(context.Background(), t.machine, eventName(req, resp))
		return tr, nil
	}
	switch {
	case resp == messages.AuthenticationInvalid && s != states.Closed:
		tr := qosst.AuthFailure(s)
		tr.Request = req
		applyEvent(context.Background(), t.machine, authEvent)
		return tr, nil
	case qosst.IsDerived(resp):
		return qosst.Transition{From: s, Request: req, Response: resp, Next: s}, &RejectedError{State: s, Request: req, Response: resp}
	}
	return qosst.Transition{From: s, Request: req, Response: resp, Next: s}, &OffTableError{State: s, Request: req, Response: resp}
}

// AuthFailed records that a frame from Alice failed its digest or
// challenge: Bob drops the frame and must identify again.
func (t *Tracker) AuthFailed() qosst.Transition {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.State()
	if s == states.Closed {
		return qosst.Transition{From: s, Next: s}
	}
	tr := qosst.AuthFailure(s)
	applyEvent(context.Background(), t.machine, authEvent)
	return tr
}

// Reset puts the tracker back to connected (a new connection after the
// transport reconnected).
func (t *Tracker) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.machine.SetState(string(states.Connected))
}
