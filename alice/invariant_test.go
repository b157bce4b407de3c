package alice

import (
	"errors"
	"testing"

	"github.com/qosst/qosst-go/fsm"
)

// A handler asking for the frame in a session that holds none (which the
// table rules out in every state where handlers ask) gets a programming
// error, never an ordinary error that the engine would answer ABORT to.
func TestMissingFrameIsAProgrammingError(t *testing.T) {
	s := &session{eng: fsm.New(fsm.Config{})}
	_, err := s.current()
	var inv *fsm.InvariantError
	if !errors.As(err, &inv) || !errors.Is(err, fsm.ErrInvariant) {
		t.Fatalf("current() without a frame: %v, want an *fsm.InvariantError", err)
	}
}
