package states

// Privacy amplification phase (codes 200-219) and end of frame (220-221).
const (
	// PADone: the final key is computed on both sides; FRAME_ENDED closes the frame.
	PADone State = "pa_done"
)

var privacyAmplificationPhase = []info{
	{
		state: PADone,
		phase: "pa",
		doc:   "final key computed, waiting for FRAME_ENDED",
	},
}
