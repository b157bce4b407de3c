package alice

import (
	"time"

	"github.com/google/uuid"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// Observer receives what Alice reports as she serves: the report of every
// frame that ends, the number of sessions served and each authentication
// failure (monitor implements it). Its methods are called from the
// sessions' goroutines, concurrently, and must return quickly.
type Observer interface {
	FrameEnded(FrameReport)
	SessionsChanged(active int)
	AuthenticationFailed()
}

// Frame outcomes of a FrameReport.
const (
	OutcomeCompleted = "completed" // FRAME_ENDED_ACK sent, key written
	OutcomeDenied    = "denied"    // PE_DENIED: the frame would give no key
	OutcomeAborted   = "aborted"   // Bob's ABORT
	OutcomeDropped   = "dropped"   // anything else: new identification, authentication failure, session lost, handler error
)

// PhaseTime is the time a frame spent in one protocol phase (states.Phase
// names: initialization, qie, pe, ec, pa, ...), from Alice's side: from the
// answer that entered the phase to the answer that left it.
type PhaseTime struct {
	Phase    string
	Duration time.Duration
}

// FrameReport describes one frame as Alice saw it. The physics are Bob's
// estimates as announced in PE_FINISHED (the worst case in finite-size
// mode), present when HasEstimates (also for a frame she denied); the error-correction figures are
// Alice's decoder's, present when ECBlocks > 0.
type FrameReport struct {
	Frame   uuid.UUID
	Session string
	Peer    string
	Start   time.Time
	Total   time.Duration
	Outcome string
	Reason  string // why the frame was dropped, when it was
	Phases  []PhaseTime

	HasEstimates    bool
	Transmittance   float64
	ExcessNoise     float64
	ElectronicNoise float64
	NPhoton         float64
	KeyRate         float64 // bit/s, as announced in PE_FINISHED

	Reconciliation   string
	ECBlocks         int
	ECBlocksOK       int
	ECBlocksFailed   int
	ECFrameErrorRate float64
	Beta             float64 // reconciliation efficiency achieved
	KeyBits          int     // final key bits written (whole bytes)
}

// outcomeOf classifies the change that dropped a frame.
func outcomeOf(c fsm.Change) string {
	switch {
	case c.Response == messages.PEDenied:
		return OutcomeDenied
	case c.Request == messages.Abort:
		return OutcomeAborted
	}
	return OutcomeDropped
}

// phaseEnded records the time the frame spent in the phase of from (a
// state without a frame, where the frame began, counts for nothing).
func (f *frame) phaseEnded(from states.State, d time.Duration) {
	if !qosst.HasFrame(from) {
		return
	}
	p := states.Phase(from)
	for i := range f.phases {
		if f.phases[i].Phase == p {
			f.phases[i].Duration += d
			return
		}
	}
	f.phases = append(f.phases, PhaseTime{Phase: p, Duration: d})
}

// report hands the frame's report to the observer, if any.
func (s *session) report(f *frame, outcome, reason string) {
	obs := s.srv.opts.Observer
	if obs == nil || f == nil {
		return
	}
	r := FrameReport{Frame: f.id, Session: s.id, Peer: s.ts.RemoteAddr().String(), Start: f.began,
		Total: time.Since(f.began), Outcome: outcome, Phases: append([]PhaseTime(nil), f.phases...)}
	if outcome != OutcomeCompleted {
		r.Reason = reason
	}
	if pe := f.announced; pe != nil {
		r.HasEstimates = true
		r.Transmittance, r.ExcessNoise, r.ElectronicNoise = pe.Transmittance, pe.ExcessNoise, pe.ElectronicNoise
		r.NPhoton, r.KeyRate = pe.NPhoton, pe.KeyRate
	}
	if k := f.keying; k != nil {
		st := k.stats()
		r.Reconciliation = k.plan.Scheme
		r.ECBlocks, r.ECBlocksOK, r.ECBlocksFailed = st.Blocks, st.Decoded, st.Failed
		if st.Decoded+st.Failed > 0 {
			r.ECFrameErrorRate = st.FER()
			r.Beta = st.Efficiency(k.snr)
		}
		if outcome == OutcomeCompleted {
			r.KeyBits = len(k.finalKey) / 8 * 8
		}
	}
	obs.FrameEnded(r)
}

// sessionsChanged tells the observer how many sessions are served.
func (s *Server) sessionsChanged(n int) {
	if s.opts.Observer != nil {
		s.opts.Observer.SessionsChanged(n)
	}
}

// authFailed tells the observer of an authentication failure.
func (s *Server) authFailed() {
	if s.opts.Observer != nil {
		s.opts.Observer.AuthenticationFailed()
	}
}
