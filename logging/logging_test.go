package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// code stands for a messages.Code: its String is the wire name.
type code string

func (c code) String() string { return string(c) }

func TestJSONSessionFields(t *testing.T) {
	var buf bytes.Buffer
	base, err := New(&buf, JSON, "info", "alice")
	if err != nil {
		t.Fatal(err)
	}
	l := Session(base, "s1", "127.0.0.1:5000")
	Event(l.Info(), "pe", code("PE_FINISHED")).Msg("phase done")
	Event(l.Debug(), "pe", code("PE_FINISHED")).Msg("not shown at info")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got %q", buf.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"session": "s1", "peer": "127.0.0.1:5000", "state": "pe", "code": "PE_FINISHED", "role": "alice", "message": "phase done", "level": "info"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if _, ok := m["time"]; !ok {
		t.Error("no timestamp")
	}
}

func TestConsoleIsNotJSON(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, Console, "warning", "bob")
	if err != nil {
		t.Fatal(err)
	}
	l.Info().Msg("hidden")
	Event(l.Warn(), "ec", code("EC_BLOCK")).Msg("visible")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, "visible") || strings.HasPrefix(out, "{") {
		t.Fatalf("console output %q", out)
	}
	if !strings.Contains(out, "EC_BLOCK") {
		t.Fatalf("code missing: %q", out)
	}
}

func TestBadSettings(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "xml", "info", ""); err == nil {
		t.Fatal("unknown format accepted")
	}
	if _, err := New(&bytes.Buffer{}, JSON, "loud", ""); err == nil {
		t.Fatal("unknown level accepted")
	}
}

// A console log written to a file carries no color escape codes, at every
// level (zerolog colors levels, field names and errors on a terminal).
func TestConsoleToFileHasNoColor(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "station.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Fatal("a regular file taken for a terminal")
	}
	l, err := New(f, Console, "trace", "bob")
	if err != nil {
		t.Fatal(err)
	}
	l.Trace().Msg("t")
	l.Debug().Msg("d")
	Event(l.Info(), "pe", code("PE_FINISHED")).Float64("T", 0.9).Msg("i")
	l.Warn().Err(errors.New("boom")).Msg("w")
	l.Error().Msg("e")
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || !strings.Contains(string(b), "PE_FINISHED") || !strings.Contains(string(b), "boom") {
		t.Fatalf("log file: %q", b)
	}
	if bytes.ContainsRune(b, 0x1b) {
		t.Fatalf("escape code in a log file: %q", b)
	}
}

// The same console writer does color when it believes it writes to a
// terminal: the test above can fail.
func TestConsoleColorsOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	w := zerolog.ConsoleWriter{Out: &buf, NoColor: false}
	l := zerolog.New(w)
	l.Warn().Msg("x")
	if !bytes.ContainsRune(buf.Bytes(), 0x1b) {
		t.Fatalf("the console writer with color did not color a warning: %q", buf.String())
	}
	if Colorful(&buf) {
		t.Fatal("a bytes.Buffer taken for a terminal")
	}
}
