package monitor

import (
	"math"
	"time"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/bob"
)

// Stations.
const (
	Alice = "alice"
	Bob   = "bob"
)

// Frame is one frame's record as the monitor keeps, serves (/api/frames,
// /events) and prints it (qosst-bob --json). A value the frame never
// measured (it was dropped before parameter estimation, or before error
// correction) is null; non-finite values are null too.
type Frame struct {
	Seq     uint64    `json:"seq"`     // position in this station's history, from 1
	Station string    `json:"station"` // "alice" or "bob"
	Frame   string    `json:"frame"`   // frame UUID
	Session string    `json:"session,omitempty"`
	Peer    string    `json:"peer,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Outcome string    `json:"outcome"` // completed, denied, aborted, dropped
	Reason  string    `json:"reason,omitempty"`

	Transmittance       *float64 `json:"transmittance"`
	TransmittanceStdErr *float64 `json:"transmittance_stderr,omitempty"`
	ExcessNoise         *float64 `json:"excess_noise"` // SNU, referred to the channel input
	ExcessNoiseStdErr   *float64 `json:"excess_noise_stderr,omitempty"`
	ElectronicNoise     *float64 `json:"electronic_noise"` // SNU
	NPhoton             *float64 `json:"n_photon"`
	KeyRate             *float64 `json:"key_rate_bits_per_second"`
	PESymbols           int      `json:"pe_symbols,omitempty"`
	KeySymbols          int      `json:"key_symbols,omitempty"`

	Reconciliation   string   `json:"reconciliation,omitempty"`
	CodeFamily       int      `json:"code_family,omitempty"` // Bob: the quasi-cyclic code family Alice accepted
	ECDenied         int      `json:"ec_denied,omitempty"`   // Bob: plans Alice denied before (each without the family before)
	ECBlocks         int      `json:"ec_blocks"`
	ECBlocksOK       int      `json:"ec_blocks_ok"`
	ECBlocksFailed   int      `json:"ec_blocks_failed"`
	ECFrameErrorRate *float64 `json:"ec_frame_error_rate"`
	Beta             *float64 `json:"beta"`
	ReconciledBits   int      `json:"reconciled_bits,omitempty"`
	KeyBits          int      `json:"key_bits"`
	KeyFile          string   `json:"key_file,omitempty"`

	Phases       []PhaseTime `json:"phases"`
	TotalSeconds float64     `json:"total_seconds"`
}

// PhaseTime is the time a frame spent in one phase.
type PhaseTime struct {
	Phase   string  `json:"phase"`
	Seconds float64 `json:"seconds"`
}

// num returns a pointer to v, or nil when v is not finite.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// FromBob is the record of one of Bob's frames.
func FromBob(s *bob.Summary) Frame {
	f := Frame{Station: Bob, Frame: s.Frame.String(), Start: s.Start, End: s.Start.Add(s.Total),
		Outcome: s.Outcome(), PESymbols: s.PESymbols, KeySymbols: s.KeySymbols, Reconciliation: s.Reconciliation,
		CodeFamily: s.CodeFamily, ECDenied: s.ECDenied, ECBlocks: s.ECBlocks, ECBlocksOK: s.ECBlocksOK, ECBlocksFailed: s.ECBlocksFailed,
		ReconciledBits: s.ReconciledBits, KeyBits: s.KeyBits, KeyFile: s.KeyFile, TotalSeconds: s.Total.Seconds(),
		Phases: []PhaseTime{}}
	if s.Err != nil {
		f.Reason = s.Err.Error()
	}
	if s.ElectronicNoise != 0 || s.Transmittance != 0 {
		f.ElectronicNoise = num(s.ElectronicNoise)
	}
	if s.Transmittance != 0 { // estimated (an estimate of exactly 0 has probability 0)
		f.Transmittance, f.TransmittanceStdErr = num(s.Transmittance), num(s.TransmittanceStdErr)
		f.ExcessNoise, f.ExcessNoiseStdErr = num(s.ExcessNoise), num(s.ExcessNoiseStdErr)
		f.NPhoton, f.KeyRate = num(s.NPhoton), num(s.KeyRate)
	}
	if tried := s.ECBlocksOK + s.ECBlocksFailed; tried > 0 {
		f.ECFrameErrorRate = num(float64(s.ECBlocksFailed) / float64(tried))
		f.Beta = num(s.Beta)
	}
	for _, p := range s.Phases {
		f.addPhase(string(p.Phase), p.Duration)
	}
	return f
}

// FromAlice is the record of one of Alice's frames.
func FromAlice(r alice.FrameReport) Frame {
	f := Frame{Station: Alice, Frame: r.Frame.String(), Session: r.Session, Peer: r.Peer, Start: r.Start,
		End: r.Start.Add(r.Total), Outcome: r.Outcome, Reason: r.Reason, Reconciliation: r.Reconciliation,
		ECBlocks: r.ECBlocks, ECBlocksOK: r.ECBlocksOK, ECBlocksFailed: r.ECBlocksFailed, KeyBits: r.KeyBits,
		TotalSeconds: r.Total.Seconds(), Phases: []PhaseTime{}}
	if r.HasEstimates {
		f.Transmittance, f.ExcessNoise, f.ElectronicNoise = num(r.Transmittance), num(r.ExcessNoise), num(r.ElectronicNoise)
		f.NPhoton, f.KeyRate = num(r.NPhoton), num(r.KeyRate)
	}
	if r.ECBlocksOK+r.ECBlocksFailed > 0 {
		f.ECFrameErrorRate, f.Beta = num(r.ECFrameErrorRate), num(r.Beta)
	}
	for _, p := range r.Phases {
		f.addPhase(p.Phase, p.Duration)
	}
	return f
}

// addPhase adds d to the phase's time (a phase may be entered twice).
func (f *Frame) addPhase(p string, d time.Duration) {
	for i := range f.Phases {
		if f.Phases[i].Phase == p {
			f.Phases[i].Seconds += d.Seconds()
			return
		}
	}
	f.Phases = append(f.Phases, PhaseTime{Phase: p, Seconds: d.Seconds()})
}
