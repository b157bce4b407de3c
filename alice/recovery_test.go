package alice

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
)

// Key recovery in state identified: FRAME_ENDED for a frame whose key Alice
// holds is acknowledged with its UUID (on any session, any number of
// times); for a frame she holds no key of, she answers ABORT naming it, and
// the session stays identified.
func TestKeyRecoveryAnswers(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	b.fullFrame()
	done := b.frame

	other := h.bob()
	other.identify()
	for range 2 {
		ack := other.want(messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: done}, messages.FrameEndedAck).(*messages.FrameEndedAckContent)
		if ack.FrameUUID != done {
			t.Fatalf("FRAME_ENDED_ACK for %s, want %s", ack.FrameUUID, done)
		}
	}
	unknown := uuid.New()
	ab := other.want(messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: unknown}, messages.Abort).(*messages.AbortContent)
	if ab.FrameUUID != unknown {
		t.Fatalf("ABORT names %s, want %s", ab.FrameUUID, unknown)
	}
	// Still identified: a new frame starts.
	other.initialize()
}

// Once Alice has declared a frame keyless, a FRAME_ENDED for it arriving
// late on the frame's own session writes no key: it is answered ABORT naming
// the frame. Her answer to the recovery question and her key store agree.
func TestKeylessDeclarationBindsLateFrameEnd(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	toECDone(b)
	req, _ := b.paRequest(0)
	b.want(messages.PARequest, req, messages.PASuccess) // pa_done

	other := h.bob()
	other.identify()
	ab := other.want(messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: b.frame}, messages.Abort).(*messages.AbortContent)
	if ab.FrameUUID != b.frame {
		t.Fatalf("recovery ABORT names %s, want %s", ab.FrameUUID, b.frame)
	}
	late := b.want(messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: b.frame}, messages.Abort).(*messages.AbortContent)
	if late.FrameUUID != b.frame {
		t.Fatalf("late FRAME_ENDED: ABORT names %s, want %s", late.FrameUUID, b.frame)
	}
	if _, err := h.keys.Read(b.frame); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("a key was written for a frame declared keyless: %v", err)
	}
	// And the answer stays the same.
	other.want(messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: b.frame}, messages.Abort)
}
