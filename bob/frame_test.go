package bob

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/states"
)

// A whole frame against our Alice, in memory and over loopback TCP: both
// stations end with byte-identical key files of mode 0600.
func TestFullFrameAgainstAlice(t *testing.T) {
	t.Parallel() // its own Alice, link and key stores
	for _, network := range []string{"pipe", "tcp"} {
		t.Run(network, func(t *testing.T) {
			c := stationConfig()
			c.Bob.Run.PolarisationRecovery = network == "tcp"
			l, d := listen(t, network)
			aliceKeys := startAlice(t, c, l)
			drv, bobKeys := newBob(t, c, d)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			sums, err := drv.Run(ctx, 1)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(sums) != 1 {
				t.Fatalf("%d summaries", len(sums))
			}
			s := sums[0]
			if s.Err != nil || !s.Completed() {
				t.Fatalf("frame not completed: %v", s.Err)
			}
			checkKeys(t, s, aliceKeys, bobKeys)
			if drv.State() != states.Closed {
				t.Errorf("state after Run = %s, want closed (DISCONNECTION_ACK)", drv.State())
			}
			for _, p := range []Phase{PhaseIdentification, PhaseInitialization, PhaseQIE, PhaseCalibration, PhasePE, PhaseEC, PhasePA, PhaseFrameEnd} {
				if s.PhaseDuration(p) <= 0 {
					t.Errorf("phase %s not timed", p)
				}
			}
			if c.Bob.Run.PolarisationRecovery && s.PhaseDuration(PhasePolarisation) <= 0 {
				t.Error("polarisation recovery did not run")
			}
			// The estimates recover the simulated link within statistical
			// error: T's standard error is about 0.01 on this frame's PE
			// symbols (measured over repeated frames), so 5 of them.
			sc := c.Simulation
			if d := s.Transmittance - sc.Transmittance; d > 0.05 || d < -0.05 {
				t.Errorf("T = %.4f, simulated %.4f", s.Transmittance, sc.Transmittance)
			}
			if d := s.ElectronicNoise - sc.ElectronicNoise; d > 0.01 || d < -0.01 {
				t.Errorf("v_el = %.4f, simulated %.4f", s.ElectronicNoise, sc.ElectronicNoise)
			}
			if s.KeyRate <= 0 || s.Beta <= 0 || s.ECBlocksOK == 0 {
				t.Errorf("key rate %g, β %g, blocks ok %d", s.KeyRate, s.Beta, s.ECBlocksOK)
			}
			t.Logf("T=%.4f ξ=%.4f v_el=%.4f rate=%.3g bit/s β=%.3f blocks %d/%d key %d bits",
				s.Transmittance, s.ExcessNoise, s.ElectronicNoise, s.KeyRate, s.Beta, s.ECBlocksOK, s.ECBlocks, s.KeyBits)
		})
	}
}

// checkKeys asserts that the frame's key exists on both sides, byte for
// byte the same, with mode 0600, and as long as the summary says.
func checkKeys(t *testing.T, s *Summary, aliceKeys, bobKeys *keystore.Store) {
	t.Helper()
	ak, err := aliceKeys.Read(s.Frame)
	if err != nil {
		t.Fatalf("Alice's key: %v", err)
	}
	bk, err := bobKeys.Read(s.Frame)
	if err != nil {
		t.Fatalf("Bob's key: %v", err)
	}
	if !bytes.Equal(ak, bk) {
		t.Fatalf("keys differ (%d and %d bytes)", len(ak), len(bk))
	}
	if want := (s.KeyBits + 7) / 8; len(bk) != want {
		t.Errorf("key of %d bytes for %d bits", len(bk), s.KeyBits)
	}
	st, err := os.Stat(bobKeys.Path(s.Frame))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("Bob's key file mode %v", st.Mode().Perm())
	}
	if s.KeyFile != bobKeys.Path(s.Frame) {
		t.Errorf("summary key file %q, want %q", s.KeyFile, bobKeys.Path(s.Frame))
	}
}

// Homodyne detection end to end: Bob measures q only, and the frame still
// ends with identical keys.
func TestFullFrameHomodyne(t *testing.T) {
	c := stationConfig()
	c.Frame.Quantum.Detection = "homodyne"
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	drv, bobKeys := newBob(t, c, d)
	s, err := drv.RunFrame(runCtx(t))
	if err != nil {
		t.Fatalf("RunFrame: %v", err)
	}
	if s.Params.Detection != "homodyne" {
		t.Errorf("frame ran with %q detection", s.Params.Detection)
	}
	checkKeys(t, s, aliceKeys, bobKeys)
}
