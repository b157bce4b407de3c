package transport

import (
	"strconv"

	"github.com/qosst/qosst-go/messages"
)

// SetLimits replaces the limits of the frames received from now on (zero
// fields take the defaults). It waits for a receive in progress to end; a
// server calls it between receives, for example to raise the content bound
// once the peer has identified.
func (s *Session) SetLimits(l messages.Limits) {
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	s.opts.Limits = l
	s.dec.SetLimits(l)
}

// maxQuoted bounds a peer's string quoted in an error (and so in a log).
const maxQuoted = 64

// clip cuts a peer's string to maxQuoted bytes for an error message, with a
// marker; errors quote it with %q, which escapes what remains.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
