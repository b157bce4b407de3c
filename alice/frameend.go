package alice

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
	"github.com/qosst/qosst-go/transport/auth"
)

// End of frame and key recovery.
//
// In pa_done, FRAME_ENDED with the frame's UUID writes the final key with
// the keystore (the key file, fsync'd, then the key database when one is
// attached) and only then answers FRAME_ENDED_ACK with the UUID; a wrong
// UUID or a key that cannot be written (file or database) is answered
// ABORT, and a key file whose database write failed is put into the
// database when Bob asks again, before FRAME_ENDED_ACK.
//
// Bob holds his key as pending until he reads FRAME_ENDED_ACK. When that
// answer is lost he asks again later, on this or a new session, with
// FRAME_ENDED for that UUID in state identified: Alice answers
// FRAME_ENDED_ACK when she holds the key, and otherwise ABORT naming the
// frame (AbortContent.FrameUUID), which promises that she never will: from
// then on a FRAME_ENDED for that frame still in flight on an older session
// is refused too. The check and the write share one lock, so the answer to
// the question and the fate of a late write always agree. After a restart no
// older session survives, and the key file is the whole truth.
func (s *session) registerFrameEnd(m *fsm.Mux) {
	m.HandleIn(states.PADone, messages.FrameEnded, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.FrameEndedContent)
		if c.FrameUUID != f.id {
			return fsm.Answer{}, fmt.Errorf("FRAME_ENDED for frame %s, but the frame in progress is %s", c.FrameUUID, f.id)
		}
		e := &s.srv.ends
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.isRefused(f.id) {
			s.log.Warn().Str("frame", f.id.String()).Msg("FRAME_ENDED for a frame already declared keyless: no key written")
			return answer(messages.Abort, &messages.AbortContent{FrameUUID: f.id,
				AbortMessage: fmt.Sprintf("Frame %s was declared without a key; no key is written.", f.id)})
		}
		key := keystore.PackBits(f.keying.finalKey)
		refill, _ := s.srv.opts.Authenticator.(auth.Refiller)
		if refill != nil {
			// The authenticator's pool takes its pads from the key first.
			if key, err = refill.Refill(f.id, key); err != nil {
				return fsm.Answer{}, fmt.Errorf("refilling the authentication pool: %w", err)
			}
		}
		path, err := s.srv.opts.Keys.WriteFinal(ctx, f.id, key, peEstimates(f.pe))
		if err != nil {
			return fsm.Answer{}, fmt.Errorf("writing the final key: %w", err)
		}
		if refill != nil {
			// Bob holds the key too (he wrote it before FRAME_ENDED).
			if err := refill.Confirm(f.id); err != nil {
				return fsm.Answer{}, fmt.Errorf("confirming the authentication pool's segment: %w", err)
			}
		}
		s.log.Info().Str("frame", f.id.String()).Str("key_file", path).Int("key_bits", len(f.keying.finalKey)/8*8).Msg("final key written")
		return answer(messages.FrameEndedAck, &messages.FrameEndedAckContent{FrameUUID: f.id})
	})
	m.HandleIn(states.Identified, messages.FrameEnded, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		id := req.Content.(*messages.FrameEndedContent).FrameUUID
		e := &s.srv.ends
		e.mu.Lock()
		defer e.mu.Unlock()
		held, err := s.srv.opts.Keys.Settle(ctx, id) // the key database follows the key file
		if err != nil {
			// Neither answer can be given: a plain ABORT promises nothing,
			// and Bob asks again later.
			return fsm.Answer{}, fmt.Errorf("looking for the key of frame %s: %w", id, err)
		}
		if held {
			if refill, ok := s.srv.opts.Authenticator.(auth.Refiller); ok {
				// Bob holds it too; a crash may have come between the key
				// write and the confirmation.
				if err := refill.Confirm(id); err != nil {
					return fsm.Answer{}, fmt.Errorf("confirming the authentication pool's segment of %s: %w", id, err)
				}
			}
			s.log.Info().Str("frame", id.String()).Msg("key recovery: Alice holds the key")
			return answer(messages.FrameEndedAck, &messages.FrameEndedAckContent{FrameUUID: id})
		}
		if s.srv.wasClaimed(id) {
			e.refuse(id)
		}
		s.log.Info().Str("frame", id.String()).Msg("key recovery: Alice holds no key for this frame")
		return answer(messages.Abort, &messages.AbortContent{FrameUUID: id,
			AbortMessage: fmt.Sprintf("Alice holds no key for frame %s and will not write one.", id)})
	})
}

// frameEnds serializes key writes with recovery answers and remembers the
// frames Alice declared keyless (only frames claimed since start can still
// be written, so only those are remembered; the oldest are forgotten past
// maxUsedFrames, long after any session of theirs timed out).
type frameEnds struct {
	mu      sync.Mutex
	refused map[uuid.UUID]struct{}
	order   []uuid.UUID
}

func (e *frameEnds) isRefused(id uuid.UUID) bool {
	_, ok := e.refused[id]
	return ok
}

func (e *frameEnds) refuse(id uuid.UUID) {
	if e.isRefused(id) {
		return
	}
	if e.refused == nil {
		e.refused = map[uuid.UUID]struct{}{}
	}
	if len(e.order) >= maxUsedFrames {
		delete(e.refused, e.order[0])
		e.order = e.order[1:]
	}
	e.refused[id] = struct{}{}
	e.order = append(e.order, id)
}

// wasClaimed reports whether a frame with this UUID was initialized since
// start (and is still remembered).
func (s *Server) wasClaimed(id uuid.UUID) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	_, ok := s.used[id]
	return ok
}

// peEstimates are the frame's estimates stored with its key (nil before
// PE_FINISHED).
func peEstimates(pe *messages.PEFinishedContent) map[string]float64 {
	if pe == nil {
		return nil
	}
	return map[string]float64{"n_photon": pe.NPhoton, "transmittance": pe.Transmittance, "excess_noise": pe.ExcessNoise,
		"electronic_noise": pe.ElectronicNoise, "eta": pe.Eta, "key_rate": pe.KeyRate}
}
