// Package logging owns the station logger on github.com/rs/zerolog: console
// output for people or JSON lines for machines, and one logger per session
// carrying the session id and the peer address, with the protocol state and
// code added per line.
package logging

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Field names shared by both stations.
const (
	FieldSession = "session"
	FieldPeer    = "peer"
	FieldState   = "state"
	FieldCode    = "code"
	FieldFrame   = "frame"
	FieldPhase   = "phase"
	FieldRole    = "role"
)

// Formats.
const (
	Console = "console"
	JSON    = "json"
)

// New returns a logger writing to w in format (Console or JSON) at level
// (trace, debug, info, warn/warning, error, critical), with a timestamp and
// the station role ("alice", "bob") on every line. The console format is
// colored only when w is a terminal (see IsTerminal) and NO_COLOR is unset,
// so a log written to a file or a pipe carries no escape codes.
func New(w io.Writer, format, level, role string) (zerolog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	switch format {
	case JSON:
	case Console, "":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: !Colorful(w)}
	default:
		return zerolog.Nop(), fmt.Errorf("logging: unknown format %q (want console or json)", format)
	}
	l := zerolog.New(w).Level(lvl).With().Timestamp().Logger()
	if role != "" {
		l = l.With().Str(FieldRole, role).Logger()
	}
	return l, nil
}

// ParseLevel reads a level name, ours or the reference's (warning,
// critical).
func ParseLevel(s string) (zerolog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return zerolog.TraceLevel, nil
	case "debug":
		return zerolog.DebugLevel, nil
	case "", "info":
		return zerolog.InfoLevel, nil
	case "warn", "warning":
		return zerolog.WarnLevel, nil
	case "error", "critical", "fatal":
		return zerolog.ErrorLevel, nil
	}
	return zerolog.InfoLevel, fmt.Errorf("logging: unknown level %q", s)
}

// Session returns the logger of one session: base with the session id and
// the peer address.
func Session(base zerolog.Logger, session, peer string) zerolog.Logger {
	return base.With().Str(FieldSession, session).Str(FieldPeer, peer).Logger()
}

// Event adds the protocol state and the code of the message being handled
// (its wire name, e.g. "QIE_REQUEST"; code is a messages.Code, any
// fmt.Stringer) to one log event.
func Event(e *zerolog.Event, state string, code fmt.Stringer) *zerolog.Event {
	return e.Str(FieldState, state).Str(FieldCode, code.String())
}

// IsTerminal reports whether w writes to a terminal: an *os.File, or any
// writer with an Fd method (a wrapper that keeps a status line on a
// terminal), whose descriptor is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

// Colorful reports whether console output to w may use color: w is a
// terminal and the NO_COLOR convention (https://no-color.org) is not in
// force.
func Colorful(w io.Writer) bool {
	return IsTerminal(w) && os.Getenv("NO_COLOR") == ""
}

// MaxPeerString bounds the peer-supplied strings written to the log
// (serial numbers, messages): Truncate keeps at most this many bytes.
const MaxPeerString = 64

// Truncate returns a peer-supplied string fit for a log line: control and
// non-printable characters and invalid UTF-8 escaped as Go does in quoted
// strings (without the quotes), cut to MaxPeerString bytes with a marker
// giving the original length. A log line never grows with what a peer
// sends.
func Truncate(s string) string { return TruncateTo(s, MaxPeerString) }

// TruncateTo is Truncate with a bound of n bytes of the original string
// (the escaped form is at most 4n bytes plus the marker).
func TruncateTo(s string, n int) string {
	orig := len(s)
	cut := orig > n
	if cut {
		s = s[:n]
	}
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	if len(q) > 4*n {
		q = q[:4*n]
	}
	if cut {
		return q + "…(" + strconv.Itoa(orig) + " bytes)"
	}
	return q
}
