// Package logging owns the station logger on github.com/rs/zerolog: console
// output for people or JSON lines for machines, and one logger per session
// carrying the session id and the peer address, with the protocol state and
// code added per line.
package logging

import (
	"fmt"
	"io"
	"strings"
	"time"

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
// the station role ("alice", "bob") on every line.
func New(w io.Writer, format, level, role string) (zerolog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	switch format {
	case JSON:
	case Console, "":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
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
