package states

// Error correction phase (codes 180-199): Bob sends syndromes block by block
// and the two keys are compared by hash.
const (
	// EC: error correction runs block by block.
	EC State = "ec"
	// ECDone: the corrected keys verified equal; privacy amplification may start.
	ECDone State = "ec_done"
)

var errorCorrectionPhase = []info{
	{
		state: EC,
		phase: "ec",
		doc:   "syndromes block by block, remaining errors, then hash verification",
	},
	{
		state: ECDone,
		phase: "ec",
		doc:   "corrected keys verified equal, waiting for PA_REQUEST",
	},
}
