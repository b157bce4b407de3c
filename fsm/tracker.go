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
	tab     *qosst.Table
	machine *lfsm.FSM
}

// NewTracker returns a tracker of the protocol's table in state connected.
func NewTracker() *Tracker { return NewTrackerOf(qosst.Protocol()) }

// NewTrackerOf returns a tracker of tab in state connected.
func NewTrackerOf(tab *qosst.Table) *Tracker {
	return &Tracker{tab: tab, machine: newMachine(tab, nil)}
}

// State returns Bob's view of the session state.
func (t *Tracker) State() states.State { return states.State(t.machine.Current()) }

// CanSend returns nil when req is legal in the current state, else an
// *UnexpectedError (wrapping ErrUnexpected) saying what is legal.
func (t *Tracker) CanSend(req messages.Code) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.State()
	if !t.tab.IsLegal(s, req) {
		return &UnexpectedError{State: s, Request: req, legal: t.tab.Legal(s)}
	}
	return nil
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
	if t.machine.Can(eventName(req, resp)) {
		tr, _ := t.tab.Lookup(s, req, resp)
		return tr, t.fire(tr)
	}
	switch {
	case resp == messages.AuthenticationInvalid && s != states.Closed:
		tr := t.tab.AuthFailure(s)
		err := t.fire(tr)
		tr.Request = req
		return tr, err
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
	tr := t.tab.AuthFailure(s)
	if err := t.fire(tr); err != nil {
		// The machine is built from the table: an impossible refusal.
		panic(err)
	}
	return tr
}

// fire moves the machine along tr.
func (t *Tracker) fire(tr qosst.Transition) error {
	return fire(context.Background(), t.machine, tr, Change{From: tr.From, To: tr.Next, Request: tr.Request, Response: tr.Response, Frame: tr.Frame})
}

// Reset puts the tracker back to connected (a new connection after the
// transport reconnected).
func (t *Tracker) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.machine.SetState(string(states.Connected))
}
