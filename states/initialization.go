package states

// Initialization phase (codes 120-139, with parameter change 50-69): a frame
// is agreed on.
const (
	// Initialized: a frame is agreed on and waits for its quantum information exchange.
	Initialized State = "initialized"
)

var initializationPhase = []info{
	{
		state: Initialized,
		phase: "initialization",
		doc:   "frame agreed on: QIE may start, polarisation be recovered, or the frame replaced",
	},
}
