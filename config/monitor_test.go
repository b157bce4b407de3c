package config

import (
	"strings"
	"testing"
)

// monitor.listen: off when empty, loopback for a port alone, an error
// naming the key otherwise.
func TestMonitorAddr(t *testing.T) {
	for in, want := range map[string]string{
		"": "", ":9100": "127.0.0.1:9100", "9100": "127.0.0.1:9100", "0.0.0.0:9100": "0.0.0.0:9100",
		"[::1]:0": "[::1]:0", "localhost:80": "localhost:80",
	} {
		got, err := Monitor{Listen: in}.Addr()
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"host", ":http", "1.2.3.4:70000", "99999", "a:b:c"} {
		if _, err := (Monitor{Listen: in}).Addr(); err == nil || !strings.Contains(err.Error(), "monitor.listen") {
			t.Errorf("%q: %v, want an error naming monitor.listen", in, err)
		}
	}
	c := Default()
	if err := c.SetString("monitor.listen", "nope"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "monitor.listen") {
		t.Fatalf("Validate: %v", err)
	}
}
