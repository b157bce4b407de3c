package alice

import (
	"context"
	"fmt"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
)

// End of frame: FRAME_ENDED with the frame's UUID writes the final key with
// the keystore (fsync'd) and only then answers FRAME_ENDED_ACK with the
// UUID; a wrong UUID or a key that cannot be written is answered ABORT.
func (s *session) registerFrameEnd(m *fsm.Mux) {
	m.Handle(messages.FrameEnded, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.FrameEndedContent)
		if c.FrameUUID != f.id {
			return fsm.Answer{}, fmt.Errorf("FRAME_ENDED for frame %s, but the frame in progress is %s", c.FrameUUID, f.id)
		}
		if f.keying == nil || f.keying.finalKey == nil {
			return fsm.Answer{}, fmt.Errorf("frame %s has no final key", f.id)
		}
		path, err := s.srv.opts.Keys.Write(f.id, keystore.PackBits(f.keying.finalKey))
		if err != nil {
			return fsm.Answer{}, fmt.Errorf("writing the final key: %w", err)
		}
		s.log.Info().Str("frame", f.id.String()).Str("key_file", path).Int("key_bits", len(f.keying.finalKey)/8*8).Msg("final key written")
		return answer(messages.FrameEndedAck, &messages.FrameEndedAckContent{FrameUUID: f.id})
	})
}
