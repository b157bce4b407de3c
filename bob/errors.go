package bob

import (
	"errors"
	"fmt"
	"time"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
)

// Sentinel errors the callers of the driver branch on with errors.Is.
var (
	// ErrAborted: Alice answered ABORT; the frame is dropped.
	ErrAborted = errors.New("bob: frame aborted by Alice")
	// ErrInvalidResponse: Alice's answer was not a row of the table for
	// Bob's request (or its content was malformed); Bob answered
	// INVALID_RESPONSE and dropped the frame.
	ErrInvalidResponse = errors.New("bob: invalid response from Alice")
	// ErrPeerLacksEC: Alice does not implement error correction (she
	// answered UNEXPECTED_COMMAND to EC_INITIALIZATION, as qosst-alice does).
	ErrPeerLacksEC = errors.New("bob: peer lacks error correction")
	// ErrVersion: Alice speaks another QOSST version.
	ErrVersion = errors.New("bob: incompatible QOSST version")
	// ErrInitializationDenied: Alice denied the frame parameters and the
	// negotiation found no acceptable configuration.
	ErrInitializationDenied = errors.New("bob: initialization denied")
	// ErrPEDenied: Alice denied the frame after parameter estimation.
	ErrPEDenied = errors.New("bob: parameter estimation denied")
	// ErrNoKey: the frame ran to its end but leaves no secret key (key rate
	// or final key length not positive, or every EC block failed).
	ErrNoKey = errors.New("bob: no secret key in this frame")
	// ErrECFailed: error correction failed (verification hash mismatch or
	// refused by Alice).
	ErrECFailed = errors.New("bob: error correction failed")
	// ErrNoAnswer: Alice did not answer a request within the request
	// timeout (timeouts.response); the run ends.
	ErrNoAnswer = errors.New("bob: Alice stopped answering")
	// ErrServerBusy: Alice serves as many identified sessions as she
	// allows and answered the identification ABORT "server busy".
	ErrServerBusy = errors.New("bob: server busy")
	// ErrPeerRefused: Alice refused a request with an error answer
	// (UNEXPECTED_COMMAND, INVALID_CONTENT, UNKOWN_COMMAND, EC_DENIED,
	// PA_ERROR, PE_SYMBOLS_ERROR...).
	ErrPeerRefused = errors.New("bob: request refused by Alice")
)

// PhaseError is the error of a dropped frame: the phase it was dropped in,
// the request and answer codes involved, and Alice's message if any. It wraps
// one of the sentinels above (and possibly a lower-level cause).
type PhaseError struct {
	Phase    Phase
	Request  messages.Code
	Response messages.Code // 0 when no answer was received
	Message  string        // Alice's message (abort_message, deny_message, error_message), if any
	Err      error
}

func (e *PhaseError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Phase, e.Err)
	if e.Request != 0 {
		s += fmt.Sprintf(" (request %s", e.Request)
		if e.Response != 0 {
			s += fmt.Sprintf(", answer %s", e.Response)
		}
		s += ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *PhaseError) Unwrap() error { return e.Err }

// Fatal reports whether err ends the whole run rather than a single frame:
// suspected man-in-the-middle, an incompatible version, a peer without error
// correction, a peer that stopped answering, a closed connection or a busy server (which Run rides out
// Config.Reconnects times first), a cancelled context. Other frame errors
// (abort, denial, failed reconciliation, no key) drop the frame and the run
// goes on with the next one.
func Fatal(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, fsm.ErrManInTheMiddle),
		errors.Is(err, ErrVersion),
		errors.Is(err, ErrPeerLacksEC),
		errors.Is(err, ErrInitializationDenied),
		errors.Is(err, ErrInvalidResponse),
		errors.Is(err, ErrServerBusy),
		errors.Is(err, ErrNoAnswer),
		errors.Is(err, messages.ErrDisconnected),
		errors.Is(err, errContext):
		return true
	}
	return false
}

// errContext marks errors caused by the caller's context.
var errContext = errors.New("bob: stopped")

// stopGrace is how long a request in flight may still take once Bob is
// asked to stop.
const stopGrace = 2 * time.Second
