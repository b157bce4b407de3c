package fsm

import (
	"errors"
	"fmt"

	qosst "github.com/qosst/qosst-go"
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
}

func (e *UnexpectedError) Error() string {
	return unexpectedMessage(e.State, e.Request)
}

// Unwrap returns ErrUnexpected.
func (e *UnexpectedError) Unwrap() error { return ErrUnexpected }

// HandlerError reports a handler that failed as a program: it panicked,
// was missing, or answered bad content. Err wraps the sentinel.
type HandlerError struct {
	State   states.State
	Request messages.Code
	Err     error
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("handler for %s in state %s: %v", e.Request, e.State, e.Err)
}

// Unwrap returns the cause.
func (e *HandlerError) Unwrap() error { return e.Err }

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

func unexpectedMessage(s states.State, req messages.Code) string {
	msg := fmt.Sprintf("%s in state %s; legal here:", req, s)
	legal := qosst.Legal(s)
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
