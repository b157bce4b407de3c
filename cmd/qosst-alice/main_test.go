package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
)

// --help lists every flag the command has, with its built-in default.
func TestHelpListsEveryFlag(t *testing.T) {
	help, cmd := help(t)
	for _, f := range []string{"--config", "--set", "--listen", "--log-format", "--log-level", "--keys", "--serial-number",
		"--auth", "--auth-key", "--auth-peer-key", "--max-sessions", "--emitter-wait", "--link-seed", "--monitor-listen", "--kme-listen"} {
		if !strings.Contains(help, f) {
			t.Errorf("--help lacks %s", f)
		}
	}
	if !strings.Contains(help, "127.0.0.1:8181") {
		t.Errorf("--help does not show the default listen address:\n%s", help)
	}
	n := 0
	cmd.Flags().VisitAll(func(f *pflagFlag) { n++ })
	if n != 16 { // the 15 above and --help
		t.Errorf("%d flags; update this test and docs/alice.md when adding one", n)
	}
}

// A configuration error names the key and the reason, and Alice does not start.
func TestConfigErrorNamesKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(p, []byte("[simulation]\ntransmittance = 2.0\n"), 0o600)
	cmd := newCommand(&bytes.Buffer{})
	cmd.SetArgs([]string{"--config", p, "--listen", "127.0.0.1:0"})
	err := cmd.Execute()
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Key != "simulation.transmittance" || !strings.Contains(err.Error(), "(0, 1]") {
		t.Fatalf("error %v", err)
	}
}

// With built-in defaults (but an ephemeral port and a temporary key
// directory), qosst-alice serves Bob over TCP, logs JSON with --log-format
// json, and stops gracefully when its context ends.
func TestRunsAndStops(t *testing.T) {
	var logs safeBuffer
	addr, stop := serve(t, &logs, "--listen", "127.0.0.1:0", "--log-format", "json", "--keys", t.TempDir(), "--serial-number", "alice-1")
	ep, err := transport.ParseEndpoint(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := transport.Dial(ctx, ep, transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := messages.EncodeContent(&messages.IdentificationRequestContent{SerialNumber: "bob", QOSSTVersion: "QOSST/0.2"})
	if err := s.Send(messages.IdentificationRequest, req); err != nil {
		t.Fatal(err)
	}
	m, err := s.Recv()
	if err != nil || m.Code != messages.IdentificationResponse || !strings.Contains(string(m.Content), "alice-1") {
		t.Fatalf("identification: %v %s %s", err, m.Code, m.Content)
	}
	stop()
	if _, err := s.Recv(); err == nil {
		t.Fatal("session still open after stop")
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
	}
	if !strings.Contains(logs.String(), `"message":"alice stopped"`) {
		t.Fatalf("no stop line in the logs:\n%s", logs.String())
	}
}
