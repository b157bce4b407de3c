package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// Both stations' shared flags exist, name the station and its peer, and
// override their keys.
func TestBindStation(t *testing.T) {
	fs := pflag.NewFlagSet("alice", pflag.ContinueOnError)
	fl := NewFlags(fs)
	fl.BindStation("Alice", "Bob")
	for _, name := range []string{"log-format", "log-level", "keys", "serial-number", "auth", "auth-key", "auth-peer-key", "link-seed"} {
		if fs.Lookup(name) == nil {
			t.Errorf("no --%s", name)
		}
	}
	if u := fs.Lookup("serial-number").Usage; !strings.HasPrefix(u, "Alice's ") {
		t.Errorf("--serial-number: %q", u)
	}
	if u := fs.Lookup("auth-peer-key").Usage; !strings.HasPrefix(u, "Bob's ") {
		t.Errorf("--auth-peer-key: %q", u)
	}
	if u := fs.Lookup("link-seed").Usage; !strings.Contains(u, "Bob must use the same") {
		t.Errorf("--link-seed: %q", u)
	}
	if err := fs.Parse([]string{"--serial-number", "a-1", "--log-format", "json", "--link-seed", "42"}); err != nil {
		t.Fatal(err)
	}
	c, err := fl.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.SerialNumber != "a-1" || c.Logging.Format != "json" || c.Simulation.LinkSeed != 42 {
		t.Fatalf("flags not applied: serial %q format %q link seed %v", c.SerialNumber, c.Logging.Format, c.Simulation.LinkSeed)
	}
}

// The station logger carries the role and names the ignored reference keys
// once; a bad format is an error.
func TestStationLogger(t *testing.T) {
	c := Default()
	c.Logging.Format = "json"
	c.Ignored = []string{"reference.key"}
	var out bytes.Buffer
	log, err := c.Logger(&out, "bob")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("hello")
	s := out.String()
	if strings.Count(s, `"role":"bob"`) != 2 || !strings.Contains(s, `"keys":["reference.key"]`) || !strings.Contains(s, "accepted without effect") {
		t.Fatalf("logs:\n%s", s)
	}
	c.Ignored = nil
	out.Reset()
	if _, err := c.Logger(&out, "bob"); err != nil || out.Len() != 0 {
		t.Fatalf("no ignored keys: %v, %q", err, out.String())
	}
	c.Logging.Format = "xml"
	if _, err := c.Logger(&out, "bob"); err == nil {
		t.Fatal("format xml accepted")
	}
}
