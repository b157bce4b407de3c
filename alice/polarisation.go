package alice

import (
	"context"
	"fmt"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
)

// Polarisation recovery: REQUEST_POLARISATION_RECOVERY takes the emitter
// (waiting like QIE_REQUEST) and switches the recovery signal on →
// POLARISATION_RECOVERY_ACK; END_POLARISATION_RECOVERY →
// POLARISATION_RECOVERY_ENDED. Leaving polarising, whatever the request
// (or the end of the session), switches the signal off and gives the
// emitter back (session callbacks).
func (s *session) registerPolarisation(m *fsm.Mux) {
	m.Handle(messages.RequestPolarisationRecovery, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		if err := s.holdEmitter(ctx); err != nil {
			return fsm.Answer{}, err
		}
		if err := s.srv.opts.Emitter.SetPolarisationSignal(ctx, true); err != nil {
			return fsm.Answer{}, fmt.Errorf("polarisation recovery signal: %w", err)
		}
		return answer(messages.PolarisationRecoveryAck, nil)
	})
	m.Handle(messages.EndPolarisationRecovery, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		return answer(messages.PolarisationRecoveryEnded, nil)
	})
}
