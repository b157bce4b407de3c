package states

// End of communication (codes 222-223).
const (
	// Closed: the session ended (DISCONNECTION, or man-in-the-middle suspected); nothing is legal.
	Closed State = "closed"
)

var sessionEndPhase = []info{
	{
		state: Closed,
		phase: "end",
		doc:   "session over: no request is legal, the connection closes",
	},
}
