package alice

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
)

// Quantum information exchange. QIE_REQUEST (with or without frame_uuid, as
// qosst-bob sends none) takes the emitter, waiting at most
// timeouts.emitter_wait for another session (else ABORT with the reason),
// and prepares the frame's symbols → QIE_READY. QIE_TRIGGER starts the
// emission → QIE_EMISSION_STARTED. QIE_ACQUISITION_ENDED measures <n> →
// QIE_ENDED. Leaving emitting (QIE_ENDED, ABORT, DISCONNECTION, the end of
// the session) stops the emission and gives the emitter back, and leaving
// qie_ready for any other state gives it back (session callbacks).
func (s *session) registerQIE(m *fsm.Mux) {
	m.Handle(messages.QIERequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		if c, ok := req.Content.(*messages.QIERequestContent); ok && c.FrameUUID != uuid.Nil && c.FrameUUID != f.id {
			return fsm.Answer{}, fmt.Errorf("QIE_REQUEST for frame %s, but the frame initialized is %s", c.FrameUUID, f.id)
		}
		// The emitter stays taken until the session leaves qie_ready (for
		// another state than emitting) or emitting; on ABORT the frame drop
		// gives it back.
		if err := s.holdEmitter(ctx); err != nil {
			return fsm.Answer{}, err
		}
		symbols, err := s.srv.opts.Emitter.Prepare(ctx, f.spec)
		if err != nil {
			return fsm.Answer{}, fmt.Errorf("preparing the frame: %w", err)
		}
		if len(symbols) != f.spec.NumSymbols {
			return fsm.Answer{}, fmt.Errorf("emitter prepared %d symbols, want %d", len(symbols), f.spec.NumSymbols)
		}
		f.symbols = symbols
		f.disclosed = make([]bool, len(symbols))
		return answer(messages.QIEReady, nil)
	})
	m.Handle(messages.QIETrigger, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		if err := s.srv.opts.Emitter.StartEmission(ctx); err != nil {
			return fsm.Answer{}, fmt.Errorf("starting the emission: %w", err)
		}
		return answer(messages.QIEEmissionStarted, nil)
	})
	m.Handle(messages.QIEAcquisitionEnded, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		n, err := s.srv.opts.Emitter.MeanPhotonNumber(ctx)
		if err != nil {
			return fsm.Answer{}, fmt.Errorf("measuring the mean photon number: %w", err)
		}
		f.nPhoton = n
		// Leaving emitting stops the emission and gives the emitter back.
		return answer(messages.QIEEnded, nil)
	})
}
