package bob

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/transport/auth"
)

// hmacConfig returns c with the HMAC-SHA256 authenticator on a fresh key.
func hmacConfig(t *testing.T, c *config.Config) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "link.key")
	if err := auth.WriteHMACKey(path, false); err != nil {
		t.Fatal(err)
	}
	c = c.Clone()
	c.Authentication.Scheme = config.AuthHMACSHA256
	c.Authentication.KeyFile = path
	return c
}

// A station built from its configuration (NewStation) with HMAC-SHA256
// runs a frame over TCP against Alice holding the same key; against Alice
// holding another key, every frame fails authentication and Bob concludes
// man-in-the-middle after authentication.max_failures attempts.
func TestStationHMAC(t *testing.T) {
	base := stationConfig()
	for _, same := range []bool{true, false} {
		name := map[bool]string{true: "same key", false: "other key"}[same]
		t.Run(name, func(t *testing.T) {
			bc := hmacConfig(t, base)
			ac := bc
			if !same {
				ac = hmacConfig(t, base)
			}
			aauth, err := auth.New(ac.AuthConfig())
			if err != nil {
				t.Fatal(err)
			}
			l, d := listen(t, "tcp")
			aliceKeys := startAliceAuth(t, ac, l, aauth)
			bc.Keys.OutputDir = t.TempDir()
			st, err := NewStation(bc, testLogger(t), d)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			sums, err := st.Driver.Run(runCtx(t), 2)
			if same {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				for _, s := range sums {
					checkKeys(t, s, aliceKeys, st.Keys)
				}
				return
			}
			if !errors.Is(err, ErrManInTheMiddle) {
				t.Fatalf("Run with another key: %v, want ErrManInTheMiddle", err)
			}
			noKeys(t, "Bob", st.Keys)
		})
	}
}

// NewStation refuses what it cannot run: real instruments are not wired,
// and a missing key file is named.
func TestNewStationErrors(t *testing.T) {
	c := stationConfig()
	c.Simulation.Enabled = false
	if _, err := NewStation(c, testLogger(t), nil); err == nil {
		t.Error("station without the simulation started")
	}
	c = stationConfig()
	c.Authentication.Scheme = config.AuthHMACSHA256
	c.Authentication.KeyFile = filepath.Join(t.TempDir(), "absent.key")
	if _, err := NewStation(c, testLogger(t), nil); err == nil {
		t.Error("station with a missing key file started")
	}
}
