package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/real/scpi/scpitest"
)

// stationFile writes the station file of a fake lab whose link leaves a
// key in frames of 60 000 symbols; Alice and Bob read the same file.
func stationFile(t *testing.T, keys string, lab *scpitest.Lab, lc scpitest.LabConfig) string {
	t.Helper()
	text := fmt.Sprintf(`[bob]
eta = %v
[bob.parameters_estimation]
ratio = 0.3
mode = "asymptotic"
[bob.error_correction]
reconciliation = "multidimensional"
[bob.run]
polarisation_recovery = true
[frame.quantum]
num_symbols = 60000
modulation_variance = 4
[simulation]
enabled = false
[keys]
output_dir = %q
%s`, lc.Efficiency, keys, lab.InstrumentsTOML())
	p := filepath.Join(t.TempDir(), "station.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func startLab(t *testing.T) (*scpitest.Lab, scpitest.LabConfig) {
	t.Helper()
	lc := scpitest.StationLinkConfig(0, 9)
	lab, err := scpitest.NewLab(lc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab, lc
}

// qosst-alice configured for real instruments drives the fake lab's AWG and
// power meter; Bob's station from the same file drives its digitizer, LO
// and polarisation controller. Two frames go through polarisation
// recovery, QIE, PE (the lab's link and Alice's measured photon number
// recovered) and EC (blocks decoded), and both complete with identical
// keys: both stations size the key with Va = 2<n>, <n> from Alice's power
// meter (not the nominal modulation variance, which the lab's emitted
// variance departs from).
func TestServesOnInstruments(t *testing.T) {
	lab, lc := startLab(t)
	aliceDir, bobDir := t.TempDir(), t.TempDir()
	var logs safeBuffer
	addr, stop := serve(t, &logs, "--config", stationFile(t, aliceDir, lab, lc), "--listen", "127.0.0.1:0", "--log-format", "json")
	defer stop()
	if !strings.Contains(logs.String(), `"message":"emitter: SCPI instruments"`) {
		t.Errorf("no log line for the instruments:\n%s", logs.String())
	}

	bc, err := config.LoadFile(stationFile(t, bobDir, lab, lc))
	if err != nil {
		t.Fatal(err)
	}
	bc.Bob.Network.ServerAddress, bc.Bob.Network.ServerPort = splitAddr(t, addr)
	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	st, err := bob.NewStationContext(rctx, bc, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sums, runErr := st.Driver.Run(rctx, 2)
	if len(sums) != 2 {
		t.Fatalf("%d frames run (%v)", len(sums), runErr)
	}
	for i, s := range sums {
		line := bob.FormatSummary(i+1, s)
		if math.Abs(s.Transmittance-lc.Transmittance) > 0.05 || math.Abs(s.ElectronicNoise-lc.ElectronicNoise) > 0.002 ||
			math.Abs(s.NPhoton-2) > 0.05 {
			t.Errorf("estimates off the lab's link (T=%v, v_el=%v, <n>=2): %s", lc.Transmittance, lc.ElectronicNoise, line)
		}
		if s.ECBlocksOK == 0 { // a block the decoder misses is dropped by both; the frame goes on
			t.Errorf("error correction: %s", line)
		}
		if s.PhaseDuration(bob.PhasePolarisation) == 0 {
			t.Errorf("no polarisation recovery: %s", line)
		}
		if !s.Completed() {
			t.Errorf("frame dropped: %s", line)
			continue
		}
		b, _ := os.ReadFile(s.KeyFile)
		a, err := os.ReadFile(filepath.Join(aliceDir, filepath.Base(s.KeyFile)))
		if err != nil || len(b) == 0 || !bytes.Equal(a, b) {
			t.Errorf("frame %d: Alice's and Bob's keys differ (%v)", i+1, err)
		}
	}
	if runErr != nil {
		t.Errorf("run: %v", runErr)
	}
	if n := lab.Acquisitions(); n != 6 {
		t.Errorf("%d digitizer records, want 6 (per frame: the frame and two calibrations)", n)
	}
	if n := lab.AWG.Count(":INITiate:IMMediate"); n != 2 {
		t.Errorf("AWG started %d times, want 2", n)
	}
	if n := lab.PowerMeter.Count(":MEASure:POWer?"); n < 2 {
		t.Errorf("power measured %d times, want at least 2", n)
	}
	if lab.Emitting() || lab.PilotOn() {
		t.Error("the AWG was left emitting or with its pilot on")
	}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var port int
	fmt.Sscan(p, &port)
	return h, port
}

// qosst-alice does not start without its instruments: an unreachable or
// silent AWG or power meter fails in bounded time with the key named and
// hardware.ErrNoDevice; a missing address or a bad value names its key.
func TestInstrumentErrors(t *testing.T) {
	lab, lc := startLab(t)
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	goneAddr := gone.Addr().String()
	gone.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	cases := []struct {
		name, set, key string
		noDevice       bool
	}{
		{"AWG unreachable", "instruments.alice.awg=" + goneAddr, "instruments.alice.awg", true},
		{"power meter silent", "instruments.alice.power_meter=" + silent.Addr().String(), "instruments.alice.power_meter", true},
		{"no AWG", "instruments.alice.awg=", "instruments.alice.awg", false},
		{"no power meter", "instruments.alice.power_meter=", "instruments.alice.power_meter", false},
		{"bad address", "instruments.alice.awg=host:99999", "instruments.alice.awg", false},
		{"bad wavelength", "instruments.alice.wavelength=1550", "instruments.alice.wavelength", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := newCommand(&bytes.Buffer{})
			cmd.SetArgs([]string{"--config", stationFile(t, t.TempDir(), lab, lc), "--set", c.set,
				"--set", "instruments.connect_timeout=300ms", "--listen", "127.0.0.1:0"})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			err := cmd.ExecuteContext(ctx)
			if err == nil || !strings.Contains(err.Error(), c.key) {
				t.Fatalf("got %v, want an error naming %s", err, c.key)
			}
			if c.noDevice != errors.Is(err, hardware.ErrNoDevice) {
				t.Fatalf("errors.Is(%v, ErrNoDevice) = %v", err, !c.noDevice)
			}
			var fe *config.FieldError
			if !c.noDevice && (!errors.As(err, &fe) || fe.Key != c.key) {
				t.Fatalf("got %v, want a *config.FieldError for %s", err, c.key)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("start-up failure took %v", d)
			}
		})
	}
}

// --help says how the hardware is chosen, truthfully: the flags are
// unchanged and the instruments are configured by keys.
func TestHelpNamesHardware(t *testing.T) {
	out, _ := help(t)
	for _, want := range []string{"simulation.enabled = false", "[instruments.alice]", "awg, power_meter", "instruments.connect_timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
	for _, key := range []string{"simulation.enabled", "instruments.alice.awg", "instruments.alice.power_meter", "instruments.connect_timeout"} {
		if _, err := config.Default().Get(key); err != nil {
			t.Errorf("--help names %s: %v", key, err)
		}
	}
}
