package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/monitor"
)

// status keeps one status line (the phase and progress of the frame in
// progress) at the bottom of a terminal. Log lines written through it
// (Write) and report lines (print) go above it: the line is cleared, the
// text written, the line drawn again. On a writer that is not a terminal
// it draws nothing and passes writes through unchanged.
type status struct {
	mu     sync.Mutex
	w      io.Writer // the terminal
	on     bool      // w is a terminal: draw the line
	line   string
	frame  int  // frames begun in this run
	active bool // a frame is in progress
	id     string
	since  time.Time // start of the current phase
	phase  bob.Phase
}

func newStatus(w io.Writer, terminal bool) *status { return &status{w: w, on: terminal} }

const clearLine = "\r\x1b[K"

// Write writes a log line above the status line.
func (s *status) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on || s.line == "" {
		return s.w.Write(p)
	}
	io.WriteString(s.w, clearLine)
	n, err := s.w.Write(p)
	io.WriteString(s.w, s.line)
	return n, err
}

// Fd is the terminal's descriptor, so that the logger colors its output
// on a terminal only.
func (s *status) Fd() uintptr {
	if f, ok := s.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// print writes one report line to out above the status line.
func (s *status) print(out io.Writer, line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on && s.line != "" {
		io.WriteString(s.w, clearLine)
	}
	fmt.Fprintln(out, line)
	if s.on && s.line != "" {
		io.WriteString(s.w, s.line)
	}
}

// FrameProgress redraws the status line: frame number and UUID, phase,
// a bar and the steps done for the counted phases, time in the phase.
func (s *status) FrameProgress(p bob.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on {
		return
	}
	if !s.active {
		s.active = true
		s.frame++
	}
	if p.Frame != [16]byte{} {
		s.id = p.Frame.String()
	}
	if p.Phase != s.phase {
		s.phase, s.since = p.Phase, time.Now()
	}
	s.line = progressLine(s.frame, s.id, p, time.Since(s.since))
	io.WriteString(s.w, clearLine+s.line)
}

// progressLine renders the status line, e.g.
// "frame 3 1c0e2a4b  ec   [########------------]  7/16  0.2s".
func progressLine(n int, id string, p bob.Progress, in time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame %d", n)
	if len(id) >= 8 {
		fmt.Fprintf(&b, " %s", id[:8])
	}
	fmt.Fprintf(&b, "  %-14s", p.Phase)
	if p.Total > 0 {
		const width = 20
		done := min(width, width*p.Done/p.Total)
		fmt.Fprintf(&b, " [%s%s] %d/%d", strings.Repeat("#", done), strings.Repeat("-", width-done), p.Done, p.Total)
	}
	fmt.Fprintf(&b, "  %.1fs", in.Seconds())
	return b.String()
}

// FrameEnded clears the status line (the report line follows).
func (s *status) FrameEnded(*bob.Summary) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on && s.line != "" {
		io.WriteString(s.w, clearLine)
	}
	s.line, s.id, s.active = "", "", false
}

func (s *status) AuthenticationFailed() {}

// reporter prints each frame as it ends: one line for people, or one JSON
// object (monitor.Frame, seq the frame's number in this run) for scripts.
type reporter struct {
	out    io.Writer
	json   bool
	status *status
	n      int
}

func (r *reporter) FrameProgress(bob.Progress) {}
func (r *reporter) AuthenticationFailed()      {}
func (r *reporter) FrameEnded(s *bob.Summary) {
	r.n++
	if !r.json {
		r.status.print(r.out, bob.FormatSummary(r.n, s))
		return
	}
	f := monitor.FromBob(s)
	f.Seq = uint64(r.n)
	b, err := json.Marshal(f)
	if err != nil {
		b = fmt.Appendf(nil, `{"seq":%d,"frame":%q,"error":%q}`, r.n, s.Frame, err)
	}
	r.status.print(r.out, string(b))
}

// observers hands each report to every observer in turn.
type observers []bob.Observer

func (o observers) FrameProgress(p bob.Progress) {
	for _, x := range o {
		x.FrameProgress(p)
	}
}

func (o observers) FrameEnded(s *bob.Summary) {
	for _, x := range o {
		x.FrameEnded(s)
	}
}

func (o observers) AuthenticationFailed() {
	for _, x := range o {
		x.AuthenticationFailed()
	}
}
