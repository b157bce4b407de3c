package alice

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/messages"
)

// Initialization with negotiation. Alice compares the frame parameters Bob
// sends (num_symbols, symbol_rate, detection, variance; others are ignored)
// with her own configuration: all equal (absent ones take her value) →
// INITIALIZATION_ACCEPTED and the frame begins; otherwise, by
// alice.negotiation.mode, INITIALIZATION_PROPOSAL with her values or
// INITIALIZATION_DENIED, both with a deny_message naming the parameter.
// INITIALIZATION_REQUEST_CONFIG → INITIALIZATION_CONFIG with
// {"frame": {"quantum": {...her values...}}}.
func (s *session) registerInitialization(m *fsm.Mux) {
	m.Handle(messages.InitializationRequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		c := req.Content.(*messages.InitializationRequestContent)
		// A frame in progress is dropped by the transition: replaced when
		// this answer begins a new one, dropped when it refuses in
		// initialized.
		cfg := s.srv.registry.Snapshot()
		s.cfg = cfg
		deny := func(msg string) (fsm.Answer, error) {
			s.log.Info().Str("frame", c.FrameUUID.String()).Str("deny_message", msg).Msg("initialization refused")
			if cfg.Alice.Negotiation.Mode == config.NegotiateDeny {
				return answer(messages.InitializationDenied, &messages.InitializationDeniedContent{DenyMessage: msg})
			}
			return answer(messages.InitializationProposal, &messages.InitializationProposalContent{
				DenyMessage: msg, Config: cfg.FrameParameterValues()})
		}
		if err := s.srv.opts.Keys.CheckNew(c.FrameUUID); err != nil {
			return answer(messages.InitializationDenied, &messages.InitializationDeniedContent{
				DenyMessage: fmt.Sprintf("frame_uuid %s was already used", c.FrameUUID)})
		}
		if msg := checkFrameParameters(cfg, c.Parameters); msg != "" {
			return deny(msg)
		}
		sec, msg := frameSecurity(c.Parameters)
		if msg != "" {
			// Not a frame parameter Alice could propose: Bob must fix his own.
			s.log.Info().Str("frame", c.FrameUUID.String()).Str("deny_message", msg).Msg("initialization refused")
			return answer(messages.InitializationDenied, &messages.InitializationDeniedContent{DenyMessage: msg})
		}
		spec := hardware.FrameSpec{
			UUID:       c.FrameUUID,
			NumSymbols: cfg.Frame.Quantum.NumSymbols,
			SymbolRate: cfg.Frame.Quantum.SymbolRate,
			Detection:  cfg.Detection(),
			Va:         cfg.Frame.Quantum.ModulationVariance,
		}
		if err := spec.Validate(); err != nil {
			return deny(err.Error())
		}
		if !s.srv.claimFrame(c.FrameUUID) {
			return answer(messages.InitializationDenied, &messages.InitializationDeniedContent{
				DenyMessage: fmt.Sprintf("frame_uuid %s was already used", c.FrameUUID)})
		}
		now := time.Now()
		f := &frame{id: c.FrameUUID, spec: spec, sec: sec, cfg: cfg, began: now, phaseStart: now}
		s.log.Info().Str("frame", c.FrameUUID.String()).Int("num_symbols", spec.NumSymbols).
			Float64("symbol_rate", spec.SymbolRate).Stringer("detection", spec.Detection).Float64("va", spec.Va).
			Str("pe_mode", sec.peMode).Float64("epsilon_pa", sec.epsilonPA).Bool("trusted_detector", sec.trusted).
			Msg("frame initialized")
		return fsm.Answer{Code: messages.InitializationAccepted, NewFrame: f}, nil
	})
	m.Handle(messages.InitializationRequestConfig, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		cfg := s.srv.registry.Snapshot()
		return answer(messages.InitializationConfig, &messages.InitializationConfigContent{Config: cfg.QuantumConfig()})
	})
}

// checkFrameParameters returns "" when Bob's parameters agree with Alice's
// configuration, else a deny message naming the first disagreement.
func checkFrameParameters(cfg *config.Config, params map[string]any) string {
	own := cfg.FrameParameterValues()
	for _, name := range cfg.Alice.Negotiation.Required {
		if _, ok := params[name]; !ok {
			return fmt.Sprintf("The %s parameter is missing.", name)
		}
	}
	for _, name := range config.FrameParameters() {
		v, ok := params[name]
		if !ok {
			continue
		}
		switch want := own[name].(type) {
		case string:
			got, ok := v.(string)
			if !ok {
				return fmt.Sprintf("The %s parameter must be a string.", name)
			}
			if !strings.EqualFold(got, want) {
				return fmt.Sprintf("The %s parameter is %q; Alice uses %q.", name, got, want)
			}
		default:
			got, ok := number(v)
			if !ok {
				return fmt.Sprintf("The %s parameter must be a number.", name)
			}
			w, _ := number(want)
			if name == config.ParamNumSymbols && got > float64(cfg.Limits.MaxSymbols) {
				return fmt.Sprintf("The num_symbols parameter %v exceeds Alice's limit %d.", got, cfg.Limits.MaxSymbols)
			}
			if math.Abs(got-w) > 1e-9*math.Max(math.Abs(w), 1) {
				return fmt.Sprintf("The %s parameter is %v; Alice uses %v.", name, got, w)
			}
		}
	}
	return ""
}

// number reads a numeric frame parameter as Bob's station does
// (config.ParamNumber).
func number(v any) (float64, bool) { return config.ParamNumber(v) }
