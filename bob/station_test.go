package bob

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/fsm"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/station"
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
	t.Parallel() // its own Alice, link and key stores
	base := stationConfig()
	for _, same := range []bool{true, false} {
		name := map[bool]string{true: "same key", false: "other key"}[same]
		t.Run(name, func(t *testing.T) {
			bc := hmacConfig(t, base)
			ac := bc
			if !same {
				ac = hmacConfig(t, base)
			}
			aauth, err := station.Authenticator(ac)
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
			if !errors.Is(err, fsm.ErrManInTheMiddle) {
				t.Fatalf("Run with another key: %v, want ErrManInTheMiddle", err)
			}
			noKeys(t, "Bob", st.Keys)
		})
	}
}

// NewStation refuses what it cannot run: real instruments without their
// addresses (the missing key named), and a missing key file.
func TestNewStationErrors(t *testing.T) {
	c := stationConfig()
	c.Simulation.Enabled = false
	c.Instruments.Bob.Digitizer = ""
	_, err := NewStation(c, testLogger(t), nil)
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Key != "instruments.bob.digitizer" {
		t.Errorf("station on instruments without a digitizer address: %v, want a *config.FieldError for instruments.bob.digitizer", err)
	}
	c = stationConfig()
	c.Authentication.Scheme = config.AuthHMACSHA256
	c.Authentication.KeyFile = filepath.Join(t.TempDir(), "absent.key")
	if _, err := NewStation(c, testLogger(t), nil); err == nil {
		t.Error("station with a missing key file started")
	}
}

// bob.error_correction.reconciliation of the station file selects the
// scheme of a station built with NewStation: the frame announces it in
// EC_INITIALIZATION (Summary.Reconciliation and the summary line), Alice
// decodes with it and both keys are equal.
func TestStationReconciliationScheme(t *testing.T) {
	t.Parallel() // its own Alice, link and key stores
	for _, scheme := range []string{pp.SchemeSign, pp.SchemeMultidimensional} {
		t.Run(scheme, func(t *testing.T) {
			c := stationConfig()
			c.Bob.ErrorCorrection.Reconciliation = scheme
			if scheme == pp.SchemeSign {
				// At sign reconciliation's β (0.385) the key vanishes from
				// an estimated excess noise of about 0.05; from 60 000
				// symbols it reached 0.059 in one CI-like run (PE_DENIED).
				// 240 000 halve the spread.
				c.Frame.Quantum.NumSymbols = 240_000
			}
			c.Keys.OutputDir = t.TempDir()
			st, aliceKeys := stationWithAlice(t, c)
			sums, err := st.Driver.Run(runCtx(t), 1)
			if err != nil || len(sums) != 1 {
				t.Fatalf("Run: %d frames, %v", len(sums), err)
			}
			s := sums[0]
			if s.Reconciliation != scheme {
				t.Errorf("EC_INITIALIZATION announced %q, want %q", s.Reconciliation, scheme)
			}
			if line := FormatSummary(1, s); !strings.Contains(line, " reconciliation="+scheme+" ") {
				t.Errorf("summary line lacks reconciliation=%s: %s", scheme, line)
			}
			checkKeys(t, s, aliceKeys, st.Keys)
		})
	}
}
