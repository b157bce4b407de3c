package alice

import (
	"context"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
)

// Identification: IDENTIFICATION_REQUEST → IDENTIFICATION_RESPONSE with
// Alice's serial number, or INVALID_QOSST_VERSION unless the version string
// is exactly QOSST/0.2 (as the reference does). A session that identifies
// takes an identified slot (alice.max_sessions); when none is free the
// answer is ABORT "server busy" (see admission).
func (s *session) registerIdentification(m *fsm.Mux) {
	m.Handle(messages.IdentificationRequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		c := req.Content.(*messages.IdentificationRequestContent)
		if c.QOSSTVersion != messages.QOSSTVersion {
			s.peerWarn("invalid QOSST version").Str("qosst_version", logging.Truncate(c.QOSSTVersion)).Msg("identification")
			return answer(messages.InvalidQOSSTVersion, &messages.InvalidQOSSTVersionContent{QOSSTVersion: messages.QOSSTVersion})
		}
		if err := s.identified(); err != nil {
			return fsm.Answer{}, err // logged in the aggregated warning
		}
		s.log.Info().Str("peer_serial_number", logging.Truncate(c.SerialNumber)).
			Str("qosst_version", logging.Truncate(c.QOSSTVersion)).Msg("identification")
		return answer(messages.IdentificationResponse, &messages.IdentificationResponseContent{SerialNumber: s.cfg.SerialNumber})
	})
}
