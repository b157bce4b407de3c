package states

// Polarisation recovery phase (codes 70-79): Alice emits a classical signal
// while Bob aligns his polarisation controller.
const (
	// Polarising: Alice emits the polarisation-recovery signal until Bob ends the recovery.
	Polarising State = "polarising"
)

var polarisationPhase = []info{
	{
		state: Polarising,
		phase: "polarisation",
		doc:   "Alice emits the recovery signal until END_POLARISATION_RECOVERY",
	},
}
