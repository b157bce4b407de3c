package alice

import (
	"context"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
)

// Identification: IDENTIFICATION_REQUEST → IDENTIFICATION_RESPONSE with
// Alice's serial number, or INVALID_QOSST_VERSION unless the version string
// is exactly QOSST/0.2 (as the reference does).
func (s *session) registerIdentification(m *fsm.Mux) {
	m.Handle(messages.IdentificationRequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		c := req.Content.(*messages.IdentificationRequestContent)
		s.log.Info().Str("peer_serial_number", c.SerialNumber).Str("qosst_version", c.QOSSTVersion).Msg("identification")
		if c.QOSSTVersion != messages.QOSSTVersion {
			return answer(messages.InvalidQOSSTVersion, &messages.InvalidQOSSTVersionContent{QOSSTVersion: messages.QOSSTVersion})
		}
		return answer(messages.IdentificationResponse, &messages.IdentificationResponseContent{SerialNumber: s.cfg.SerialNumber})
	})
}
