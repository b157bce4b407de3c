package states

import "github.com/qosst/qosst-go/messages"

// End of communication (codes 222-223) and the requests legal in every open
// state (codes 10-49).
const (
	// Closed: the session ended (DISCONNECTION, or man-in-the-middle suspected); nothing is legal.
	Closed State = "closed"
)

// always lists the requests legal in every state but closed.
var always = []messages.Code{
	messages.InvalidResponse,
	messages.Abort,
	messages.Disconnection,
}

// Always returns the request codes legal in every state but closed:
// INVALID_RESPONSE, ABORT and DISCONNECTION.
func Always() []messages.Code { return append([]messages.Code(nil), always...) }

var sessionEndPhase = []info{
	{
		state: Closed,
		phase: "end",
		doc:   "session over: no request is legal, the connection closes",
	},
}
