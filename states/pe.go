package states

// Parameters estimation phase (codes 160-179): Bob learns part of Alice's
// symbols and her photon number, estimates the channel and asks Alice to
// approve the key rate.
const (
	// PE: Bob estimates the channel from disclosed symbols.
	PE State = "pe"
	// PEApproved: Alice approved the estimated parameters; error correction may start.
	PEApproved State = "pe_approved"
)

var parametersEstimationPhase = []info{
	{
		state: PE,
		phase: "pe",
		doc:   "Bob requests symbols and the photon number, then reports his estimates",
	},
	{
		state: PEApproved,
		phase: "pe",
		doc:   "estimates approved, waiting for EC_INITIALIZATION",
	},
}
