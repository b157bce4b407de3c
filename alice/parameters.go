package alice

import (
	"context"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
)

// Parameter change: CHANGE_PARAMETER_REQUEST against the registry, with its
// four answers. A change applies from the next INITIALIZATION.
func (s *session) registerParameters(m *fsm.Mux) {
	m.Handle(messages.ChangeParameterRequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		c := req.Content.(*messages.ChangeParameterRequestContent)
		ch := s.srv.registry.Change(c.Parameter, c.Value)
		s.log.Info().Str("parameter", c.Parameter).Stringer("answer", ch.Code).Interface("old_value", ch.OldValue).
			Interface("new_value", ch.NewValue).Str("reason", ch.Message).Msg("parameter change")
		switch ch.Code {
		case messages.ParameterChanged:
			return answer(ch.Code, &messages.ParameterChangedContent{Parameter: ch.Parameter, OldValue: ch.OldValue, NewValue: ch.NewValue})
		case messages.ParameterInvalidValue:
			return answer(ch.Code, &messages.ParameterInvalidValueContent{Parameter: ch.Parameter, OldValue: ch.OldValue, ErrorMessage: ch.Message})
		case messages.ParameterUnchanged:
			return answer(ch.Code, &messages.ParameterUnchangedContent{Parameter: ch.Parameter, OldValue: ch.OldValue, ErrorMessage: ch.Message})
		}
		return answer(messages.ParameterUnkown, &messages.ParameterUnkownContent{Parameter: ch.Parameter})
	})
}
