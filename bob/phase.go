package bob

// Phase names one step of a frame, as it appears in logs, errors and the
// per-phase timings of a Summary.
type Phase string

// The phases of a frame, in the order RunFrame goes through them.
const (
	PhaseIdentification Phase = "identification"
	PhaseInitialization Phase = "initialization"
	PhasePolarisation   Phase = "polarisation"
	PhaseQIE            Phase = "qie"
	PhaseCalibration    Phase = "calibration"
	PhasePE             Phase = "pe"
	PhaseEC             Phase = "ec"
	PhasePA             Phase = "pa"
	PhaseFrameEnd       Phase = "frame_end"
)

// Phases lists every phase in frame order.
func Phases() []Phase {
	return []Phase{PhaseIdentification, PhaseInitialization, PhasePolarisation, PhaseQIE,
		PhaseCalibration, PhasePE, PhaseEC, PhasePA, PhaseFrameEnd}
}
