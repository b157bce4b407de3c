package states

// Quantum information exchange phase (codes 140-159): Alice emits the
// frame's symbols while Bob acquires.
const (
	// QIEReady: Alice's emitter holds the frame's symbols and waits for the trigger.
	QIEReady State = "qie_ready"
	// Emitting: Alice emits while Bob acquires.
	Emitting State = "emitting"
)

var qiePhase = []info{
	{
		state: QIEReady,
		phase: "qie",
		doc:   "emitter ready with the frame's symbols, waiting for QIE_TRIGGER",
	},
	{
		state: Emitting,
		phase: "qie",
		doc:   "Alice emits while Bob acquires, until QIE_ACQUISITION_ENDED",
	},
}
