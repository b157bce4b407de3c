package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/monitor"
)

// --json: one JSON object per frame on stdout and nothing else; its values
// are the frame's (key bits = the key file's size); the monitor starts on
// request; logs to a non-terminal carry no escape codes or carriage returns.
func TestJSONSummaryPerFrame(t *testing.T) {
	a := startAlice(t, 60_000, 0.99, 0.001, 0.95, 0.005)
	defer a.Stop()
	bobDir := t.TempDir()
	out, logs := runBob(t, a, "--frames", "2", "--json", "--keys", bobDir, "--monitor-listen", "127.0.0.1:0",
		"--symbols", "60000", "--pe-ratio", "0.3", "--noise-seed", "5", "--set", "bob.parameters_estimation.mode=asymptotic")
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		n++
		var f monitor.Frame
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("line %d is not a frame object: %v\n%s", n, err, sc.Text())
		}
		if f.Seq != uint64(n) || f.Station != "bob" || f.Outcome != "completed" || f.Transmittance == nil ||
			f.Beta == nil || f.KeyRate == nil || len(f.Phases) < 7 || f.TotalSeconds <= 0 {
			t.Errorf("frame %d: %+v", n, f)
		}
		if _, err := uuid.Parse(f.Frame); err != nil {
			t.Errorf("frame %d: uuid %q", n, f.Frame)
		}
		if *f.Transmittance < 0.9 || *f.Transmittance > 1.1 {
			t.Errorf("frame %d: T = %v on a link of T = 0.99", n, *f.Transmittance)
		}
		st, err := os.Stat(filepath.Join(bobDir, f.Frame+".key"))
		if err != nil || int(8*st.Size()) != f.KeyBits {
			t.Errorf("frame %d: key_bits %d, key file %v (%v)", n, f.KeyBits, st, err)
		}
	}
	if n != 2 {
		t.Fatalf("%d JSON lines for 2 frames:\n%s", n, out)
	}
	if !strings.Contains(logs, "monitor listening") {
		t.Errorf("no monitor in the logs:\n%s", logs)
	}
	if strings.ContainsAny(logs+out, "\x1b\r") {
		t.Errorf("escape codes or carriage returns off a terminal:\n%q", logs)
	}
}

// Off a terminal the status writer passes log lines through unchanged and
// draws nothing.
func TestStatusOffTerminal(t *testing.T) {
	var term, out bytes.Buffer
	s := newStatus(&term, false)
	s.FrameProgress(bob.Progress{Phase: bob.PhaseEC, Done: 3, Total: 16})
	s.Write([]byte("log line\n"))
	s.print(&out, "frame 1 ...")
	if term.String() != "log line\n" || out.String() != "frame 1 ...\n" {
		t.Fatalf("terminal %q, out %q", term.String(), out.String())
	}
}

// On a terminal: the status line shows frame, phase, bar and steps; a log
// line clears it, is written whole, and the line is drawn again; the end
// of the frame clears it.
func TestStatusOnTerminal(t *testing.T) {
	var term bytes.Buffer
	s := newStatus(&term, true)
	id := uuid.MustParse("1c0e2a4b-0000-4000-8000-000000000000")
	s.FrameProgress(bob.Progress{Phase: bob.PhaseInitialization})
	s.FrameProgress(bob.Progress{Frame: id, Phase: bob.PhaseEC, Done: 8, Total: 16})
	want := "frame 1 1c0e2a4b  ec             [##########----------] 8/16"
	if !strings.HasPrefix(s.line, want) {
		t.Fatalf("status line %q, want prefix %q", s.line, want)
	}
	term.Reset()
	s.Write([]byte("a log line\n"))
	if got := term.String(); got != clearLine+"a log line\n"+s.line {
		t.Fatalf("log write on a terminal: %q", got)
	}
	term.Reset()
	s.print(&term, "frame 1 summary")
	if got := term.String(); got != clearLine+"frame 1 summary\n"+s.line {
		t.Fatalf("report line: %q", got)
	}
	s.FrameEnded(&bob.Summary{})
	s.FrameProgress(bob.Progress{Phase: bob.PhaseInitialization})
	if !strings.HasPrefix(s.line, "frame 2  initialization") {
		t.Fatalf("second frame: %q", s.line)
	}
	if got := progressLine(3, "", bob.Progress{Phase: bob.PhasePE, Done: 5, Total: 4}, 0); !strings.Contains(got, "[####################] 5/4") {
		t.Fatalf("overfull bar: %q", got)
	}
}
