package transport

import (
	"context"
	"fmt"

	"github.com/qosst/qosst-go/messages"
)

// Decode decodes and validates the message's content with
// messages.DecodeContent: nil for an absent content of a code that allows
// it; errors wrap messages.ErrInvalidContent (the text to answer
// INVALID_CONTENT with) or messages.ErrUnknownCode.
func (m Message) Decode() (messages.Content, error) {
	return messages.DecodeContent(m.Code, m.Content)
}

// encode turns a typed content (nil for none) into the bytes of a frame of
// the given code.
func encode(code messages.Code, c messages.Content) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	if c.Code() != code {
		return nil, fmt.Errorf("transport: send %s: content of %s", code, c.Code())
	}
	raw, err := messages.EncodeContent(c)
	if err != nil {
		return nil, fmt.Errorf("transport: send %s: %w", code, err)
	}
	return raw, nil
}

// SendContent sends a frame of the given code whose content is c encoded
// with messages.EncodeContent (c nil: no content). c must be of code's type.
func (s *Session) SendContent(ctx context.Context, code messages.Code, c messages.Content) error {
	raw, err := encode(code, c)
	if err != nil {
		return err
	}
	return s.SendContext(ctx, code, raw)
}

// RequestContent is Request with a typed content (nil: no content).
func (c *Client) RequestContent(ctx context.Context, code messages.Code, content messages.Content) (Message, error) {
	raw, err := encode(code, content)
	if err != nil {
		return Message{}, err
	}
	return c.Request(ctx, code, raw)
}
