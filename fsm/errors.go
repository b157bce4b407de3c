package fsm

import (
	"errors"
	"fmt"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// Sentinel errors; the typed errors below wrap them.
var (
	// ErrOffTable: an answer is not a row of the table for its request in
	// the current state. On Alice's side it is a programming error (the
	// engine answers ABORT instead); on Bob's side the peer misbehaved
	// (Bob answers INVALID_RESPONSE).
	ErrOffTable = errors.New("answer not in the protocol table")
	// ErrHandlerPanic: a handler panicked; the engine answered ABORT.
	ErrHandlerPanic = errors.New("handler panicked")
	// ErrNoHandler: a legal request has no handler; the engine answered ABORT.
	ErrNoHandler = errors.New("no handler")
	// ErrBadAnswer: a handler answered with content of the wrong code or
	// content that fails its own validation; the engine answered ABORT.
	ErrBadAnswer = errors.New("handler answer content invalid")
	// ErrInvariant: a handler found broken what the table guarantees (see
	// Invariant); the engine answered ABORT.
	ErrInvariant = errors.New("protocol invariant violated")
	// ErrClosed: the session is closed; nothing more may be dispatched.
	ErrClosed = errors.New("session closed")
	// ErrManInTheMiddle: too many authentication failures in a row; the
	// session must close.
	ErrManInTheMiddle = errors.New("authentication failed too many times in a row: man-in-the-middle suspected")
	// ErrUnexpected: a request not legal in the current state.
	ErrUnexpected = errors.New("request not legal in this state")
	// ErrRejected: the peer answered with a derived error (UNKOWN_COMMAND,
	// UNEXPECTED_COMMAND, INVALID_CONTENT): it did not act on the request.
	ErrRejected = errors.New("request rejected by the peer")
)

// OffTableError reports an answer that is not a row of the table.
type OffTableError struct {
	State    states.State
	Request  messages.Code
	Response messages.Code
}

func (e *OffTableError) Error() string {
	return fmt.Sprintf("%s is not an answer to %s in state %s", e.Response, e.Request, e.State)
}

// Unwrap returns ErrOffTable.
func (e *OffTableError) Unwrap() error { return ErrOffTable }

// UnexpectedError reports a request not legal in a state.
type UnexpectedError struct {
	State   states.State
	Request messages.Code
	legal   []messages.Code // what is legal in State, for the message
}

func (e *UnexpectedError) Error() string {
	return unexpectedMessage(e.State, e.Request, e.legal)
}

// Unwrap returns ErrUnexpected.
func (e *UnexpectedError) Unwrap() error { return ErrUnexpected }

// InvariantError reports a programming error on this side, never the
// peer's doing: a handler found broken what the table guarantees
// (ErrInvariant), panicked (ErrHandlerPanic), answered off the table (an
// *OffTableError) or with bad content (ErrBadAnswer), or a legal request
// has no handler (ErrNoHandler). The engine answers ABORT, logs it at error
// level and returns it from Dispatch; tests fail on it.
type InvariantError struct {
	State   states.State
	Request messages.Code
	Err     error
}

func (e *InvariantError) Error() string {
	return fmt.Sprintf("programming error: handler for %s in state %s: %v", e.Request, e.State, e.Err)
}

// Unwrap returns the cause.
func (e *InvariantError) Unwrap() error { return e.Err }

// Invariant returns the error a handler returns when it finds broken what
// the table guarantees (a frame missing in a state that holds one, data an
// earlier row must have left): an *InvariantError wrapping ErrInvariant,
// whose State and Request the engine fills in.
func Invariant(format string, args ...any) error {
	return &InvariantError{Err: fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...))}
}

// RejectedError reports a derived error answer from the peer.
type RejectedError struct {
	State    states.State
	Request  messages.Code
	Response messages.Code
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("peer answered %s to %s in state %s", e.Response, e.Request, e.State)
}

// Unwrap returns ErrRejected.
func (e *RejectedError) Unwrap() error { return ErrRejected }

func unexpectedMessage(s states.State, req messages.Code, legal []messages.Code) string {
	msg := fmt.Sprintf("%s in state %s; legal here:", req, s)
	if len(legal) == 0 {
		return msg + " nothing"
	}
	for i, c := range legal {
		if i > 0 {
			msg += ","
		}
		msg += " " + c.String()
	}
	return msg
}
