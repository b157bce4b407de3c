package alice

import (
	"context"
	"fmt"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
)

// Polarisation recovery: REQUEST_POLARISATION_RECOVERY takes the emitter
// (waiting like QIE_REQUEST) and switches the recovery signal on →
// POLARISATION_RECOVERY_ACK; END_POLARISATION_RECOVERY switches it off and
// gives the emitter back → POLARISATION_RECOVERY_ENDED.
func (s *session) registerPolarisation(m *fsm.Mux) {
	m.Handle(messages.RequestPolarisationRecovery, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		if err := s.holdEmitter(ctx); err != nil {
			return fsm.Answer{}, err
		}
		if err := s.srv.opts.Emitter.SetPolarisationSignal(ctx, true); err != nil {
			return fsm.Answer{}, fmt.Errorf("polarisation recovery signal: %w", err)
		}
		s.polarising = true
		return answer(messages.PolarisationRecoveryAck, nil)
	})
	m.Handle(messages.EndPolarisationRecovery, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		if err := s.srv.opts.Emitter.SetPolarisationSignal(ctx, false); err != nil {
			return fsm.Answer{}, fmt.Errorf("polarisation recovery signal: %w", err)
		}
		s.polarising = false
		s.releaseEmitter()
		return answer(messages.PolarisationRecoveryEnded, nil)
	})
}
