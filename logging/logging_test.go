package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
