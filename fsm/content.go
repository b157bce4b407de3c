package fsm

import (
	"errors"
	"fmt"

	"github.com/qosst/qosst-go/messages"
)

// DecodeFunc turns the raw content of a request into its typed content; raw
// empty means the content is absent. Failures are answered INVALID_CONTENT
// with the error's message. The engine uses messages.DecodeContent unless
// Config.Decode says otherwise.
type DecodeFunc func(code messages.Code, raw []byte) (messages.Content, error)

// contentMessage returns the text for INVALID_CONTENT's error_message: the
// *messages.ContentError's text ("field x: reason") when there is one, else
// the error's text.
func contentMessage(err error) string {
	var ce *messages.ContentError
	if errors.As(err, &ce) {
		return ce.Error()
	}
	return err.Error()
}

// abortReason wraps free text as ABORT content.
func abortReason(format string, args ...any) messages.Content {
	return &messages.AbortContent{AbortMessage: fmt.Sprintf(format, args...)}
}
