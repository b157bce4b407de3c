package main

import (
	"net"
	"strings"
	"testing"
)

// The lockout of the audit: idle connections that never identify, more
// than alice.max_sessions of them, do not keep qosst-bob out.
func TestIdleConnectionsDoNotLockBobOut(t *testing.T) {
	a := startAlice(t, 60_000, 0.99, 0.001, 0.95, 0.005)
	defer a.Stop()
	for range 3 * a.Config.Alice.MaxSessions {
		c, err := net.Dial("tcp", a.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	bobDir := t.TempDir()
	out, _ := runBob(t, a, "--frames", "1", "--keys", bobDir,
		"--symbols", "60000", "--pe-ratio", "0.3", "--noise-seed", "5",
		"--set", "bob.parameters_estimation.mode=asymptotic")
	if !strings.Contains(out, "1 of 1 frames completed") {
		t.Fatalf("report:\n%s", out)
	}
}
