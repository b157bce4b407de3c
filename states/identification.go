package states

// Identification phase (codes 100-119): the peer proves its version and
// starts the challenge chain.
const (
	// Connected: a transport session is open and the peer has not identified (yet, or again after an authentication failure).
	Connected State = "connected"
	// Identified: the peer is identified; no frame is in progress.
	Identified State = "identified"
)

var identificationPhase = []info{
	{
		state: Connected,
		phase: "identification",
		doc:   "session open, peer not identified: only IDENTIFICATION_REQUEST starts the chain",
	},
	{
		state: Identified,
		phase: "identification",
		doc:   "peer identified, no frame in progress: a frame may be initialized, parameters changed, and the key of an earlier frame confirmed (FRAME_ENDED)",
	},
}
