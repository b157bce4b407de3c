package bob

import (
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
)

// PhaseTime is the wall-clock time one phase of a frame took.
type PhaseTime struct {
	Phase    Phase
	Duration time.Duration
}

// Summary describes one frame as Bob saw it: the agreed parameters, what
// parameter estimation measured, how error correction and privacy
// amplification went, the key written, and the time each phase took. A
// dropped frame has Err set and no key.
type Summary struct {
	Frame  uuid.UUID
	Params FrameParams // the parameters Alice accepted
	Start  time.Time

	// Parameter estimation (SNU; key rates from the SKR formulas): the
	// point estimates with their standard errors.
	Transmittance       float64 // channel T (detector efficiency excluded)
	TransmittanceStdErr float64
	ExcessNoise         float64 // ξ referred to the channel input
	ExcessNoiseStdErr   float64
	ElectronicNoise     float64 // v_el
	NPhoton             float64 // Alice's mean photon number <n>
	Eta                 float64 // Bob's detector efficiency (configured)
	KeyRate             float64 // asymptotic key rate announced in PE_FINISHED, bit/s
	PESymbols           int     // symbols disclosed for PE
	KeySymbols          int     // symbols kept for the key

	// Error correction and privacy amplification.
	Reconciliation string  // scheme announced in EC_INITIALIZATION ("sign", "multidimensional")
	CodeFamily     int     // quasi-cyclic code family of the plan Alice accepted (0: another code); with slices, the first slice's
	Slices         string  // with slice reconciliation, "bits/disclosed" of the accepted plan (6/1: 6 slices, 1 disclosed); "" otherwise
	ECDenied       int     // plans Alice answered EC_DENIED to before accepting one (each in shorter blocks or without the family before)
	ECBlocks       int     // blocks sent
	ECBlocksOK     int     // blocks Alice decoded
	ECBlocksFailed int     // blocks discarded on both sides
	Beta           float64 // reconciliation efficiency achieved
	ReconciledBits int     // key bits after EC (successful blocks)
	KeyBits        int     // final key length after PA
	KeyFile        string  // where the final key was written

	Phases []PhaseTime
	Total  time.Duration
	Err    error // why the frame was dropped; nil for a completed frame
}

// PhaseDuration returns the time spent in phase p (0 if it did not run).
func (s *Summary) PhaseDuration(p Phase) time.Duration {
	var d time.Duration
	for _, pt := range s.Phases {
		if pt.Phase == p {
			d += pt.Duration
		}
	}
	return d
}

// Completed reports whether the frame ran to FRAME_ENDED_ACK with a key.
func (s *Summary) Completed() bool { return s.Err == nil && s.KeyBits > 0 }

// MarshalZerologObject writes the summary as log fields.
func (s *Summary) MarshalZerologObject(e *zerolog.Event) {
	e.Str("frame", s.Frame.String()).
		Float64("T", s.Transmittance).
		Float64("xi", s.ExcessNoise).
		Float64("v_el", s.ElectronicNoise).
		Float64("n_photon", s.NPhoton).
		Float64("key_rate_bps", s.KeyRate).
		Int("pe_symbols", s.PESymbols).
		Int("key_symbols", s.KeySymbols).
		Str("reconciliation", s.Reconciliation).
		Int("code_family", s.CodeFamily)
	if s.Slices != "" {
		e.Str("slices", s.Slices)
	}
	e.Int("ec_denied", s.ECDenied).
		Int("ec_blocks_ok", s.ECBlocksOK).
		Int("ec_blocks_failed", s.ECBlocksFailed).
		Float64("beta", s.Beta).
		Int("key_bits", s.KeyBits).
		Dur("total", s.Total)
	d := zerolog.Dict()
	for _, pt := range s.Phases {
		d.Dur(string(pt.Phase), pt.Duration)
	}
	e.Dict("phases", d)
	if s.Err != nil {
		e.AnErr("dropped", s.Err)
	}
}

// estimates are the frame's estimates stored with its key in the key
// database.
func (s *Summary) estimates() map[string]float64 {
	return map[string]float64{"n_photon": s.NPhoton, "transmittance": s.Transmittance, "excess_noise": s.ExcessNoise,
		"electronic_noise": s.ElectronicNoise, "eta": s.Eta, "key_rate": s.KeyRate, "beta": s.Beta}
}
