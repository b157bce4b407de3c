package alice

import (
	"context"
	"fmt"
	"math"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
)

// Parameter estimation. PE_SYMBOLS_REQUEST → PE_SYMBOLS_RESPONSE with the
// requested symbols (they are then disclosed and excluded from the key), or
// PE_SYMBOLS_ERROR for an index out of range; PE_NPHOTON_REQUEST →
// PE_NPHOTON_RESPONSE with <n> measured during QIE; PE_FINISHED →
// PE_DENIED when the <n> Alice's emitter measured for the frame is not
// positive (no modulation variance to size a key with) or when
// key_rate <= 0; else PE_APPROVED.
func (s *session) registerPE(m *fsm.Mux) {
	m.Handle(messages.PESymbolsRequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.PESymbolsRequestContent)
		n := len(f.symbols)
		if len(c.Indices) > n {
			return answer(messages.PESymbolsError, &messages.PESymbolsErrorContent{
				ErrorMessage: fmt.Sprintf("%d indices requested for a frame of %d symbols.", len(c.Indices), n)})
		}
		for _, idx := range c.Indices {
			if idx < 0 || idx >= n {
				return answer(messages.PESymbolsError, &messages.PESymbolsErrorContent{
					ErrorMessage: fmt.Sprintf("Indice %d is out of bound for array of size %d.", idx, n)})
			}
		}
		// The answer's two arrays are filled straight from the frame's
		// symbols (no intermediate complex array), rounded to float32 (see
		// messages.PESymbolsResponseContent).
		out := &messages.PESymbolsResponseContent{
			SymbolsReal: make([]float32, len(c.Indices)),
			SymbolsImag: make([]float32, len(c.Indices)),
		}
		for i, idx := range c.Indices {
			out.SymbolsReal[i], out.SymbolsImag[i] = float32(real(f.symbols[idx])), float32(imag(f.symbols[idx]))
		}
		for _, idx := range c.Indices {
			if !f.disclosed[idx] {
				f.disclosed[idx] = true
				f.nDisclosed++
			}
		}
		s.log.Debug().Int("indices", len(c.Indices)).Int("disclosed", f.nDisclosed).Msg("symbols disclosed")
		return answer(messages.PESymbolsResponse, out)
	})
	m.Handle(messages.PENphotonRequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		return answer(messages.PENphotonResponse, &messages.PENphotonResponseContent{NPhoton: f.nPhoton})
	})
	m.Handle(messages.PEFinished, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.PEFinishedContent)
		s.log.Info().Str("frame", f.id.String()).Float64("transmittance", c.Transmittance).
			Float64("excess_noise", c.ExcessNoise).Float64("electronic_noise", c.ElectronicNoise).
			Float64("eta", c.Eta).Float64("n_photon", c.NPhoton).Float64("key_rate", c.KeyRate).
			Int("disclosed", f.nDisclosed).Msg("parameters estimated")
		f.announced = c
		// Both stations size the key with Va = 2<n>, <n> as Alice's emitter
		// measured it for this frame. Alice computes with her own value
		// whatever Bob announces; an n_photon that is not hers (Bob's key
		// length then differs from hers, and privacy amplification fails
		// when he asks for more) is logged. Bob's T, ξ and v_el do not
		// depend on it.
		if c.NPhoton != f.nPhoton {
			s.log.Warn().Str("frame", f.id.String()).Float64("n_photon", c.NPhoton).Float64("measured", f.nPhoton).
				Msg("PE_FINISHED announces an n_photon that is not Alice's: the key is sized with hers")
		}
		if !(f.nPhoton > 0) || math.IsInf(f.nPhoton, 0) {
			return answer(messages.PEDenied, &messages.PEDeniedContent{
				DenyMessage: fmt.Sprintf("Alice measured a mean photon number of %v: no modulation variance to size a key with.", f.nPhoton)})
		}
		if !(c.KeyRate > 0) {
			return answer(messages.PEDenied, &messages.PEDeniedContent{
				DenyMessage: fmt.Sprintf("Key rate is null (%v bit/s).", c.KeyRate)})
		}
		if f.nDisclosed >= len(f.symbols) {
			return answer(messages.PEDenied, &messages.PEDeniedContent{DenyMessage: "Every symbol was disclosed: no key symbols left."})
		}
		f.pe = c
		return answer(messages.PEApproved, nil)
	})
}

// keySymbols returns the symbols not disclosed in parameter estimation, in
// ascending index order: the frame's key symbols.
func (f *frame) keySymbols() []complex128 {
	out := make([]complex128, 0, len(f.symbols)-f.nDisclosed)
	for i, x := range f.symbols {
		if !f.disclosed[i] {
			out = append(out, x)
		}
	}
	return out
}
