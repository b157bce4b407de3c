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
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/real/scpi/scpitest"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/station"
)

// labConfig is a fake lab with a link good enough for frames of 60 000
// symbols to leave a key, and the station file that drives it: both
// stations read the same file, as in a lab.
func labConfig(t *testing.T, keys string, lab *scpitest.Lab, lc scpitest.LabConfig, extra string) string {
	t.Helper()
	text := fmt.Sprintf(`serial_number = "lab-station"
[bob]
eta = %v
[bob.parameters_estimation]
ratio = 0.3
mode = "asymptotic"
[bob.error_correction]
reconciliation = "multidimensional"
[frame.quantum]
num_symbols = 60000
modulation_variance = 4
detection = %q
[simulation]
enabled = false
[keys]
output_dir = %q
%s%s`, lc.Efficiency, lc.Detection.String(), keys, lab.InstrumentsTOML(), extra)
	p := filepath.Join(t.TempDir(), "station.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newLab(t *testing.T, d ...hardware.Detection) (*scpitest.Lab, scpitest.LabConfig) {
	t.Helper()
	var det hardware.Detection
	if len(d) > 0 {
		det = d[0]
	}
	lc := scpitest.StationLinkConfig(det, 7)
	lab, err := scpitest.NewLab(lc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab, lc
}

// qosst-bob configured for real instruments (simulation.enabled = false)
// drives the SCPI digitizer, LO laser and polarisation controller of the
// fake lab, against our Alice driving the lab's AWG and power meter from
// the same file: two whole frames with polarisation recovery, identical key
// files, and the instruments used as the protocol says; heterodyne and
// homodyne (frame.quantum.detection sets the receiver's scheme).
func TestRunOnInstruments(t *testing.T) {
	for _, d := range []hardware.Detection{hardware.Heterodyne, hardware.Homodyne} {
		t.Run(d.String(), func(t *testing.T) { runOnInstruments(t, d) })
	}
}

func runOnInstruments(t *testing.T, d hardware.Detection) {
	lab, lc := newLab(t, d)
	aliceDir, bobDir := t.TempDir(), t.TempDir()
	ac, err := config.LoadFile(labConfig(t, aliceDir, lab, lc, ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	em, err := station.NewEmitter(ctx, ac)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	aliceKeys, err := keystore.Open(aliceDir)
	if err != nil {
		t.Fatal(err)
	}
	a := alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: ac, Emitter: em, Keys: aliceKeys}})
	defer a.Stop()

	var out, logs bytes.Buffer
	cmd := newCommand(&logs, &out)
	cmd.SetArgs([]string{"--config", labConfig(t, bobDir, lab, lc, ""), "--connect", a.Addr, "--frames", "2",
		"--polarisation-recovery=true", "--log-format", "json"})
	err = cmd.ExecuteContext(ctx)
	if !strings.Contains(logs.String(), `"message":"receiver: SCPI instruments"`) {
		t.Errorf("no log line for the instruments:\n%s", logs.String())
	}
	completed := checkFrames(t, out.String(), lc)
	if err != nil || completed != 2 {
		t.Fatalf("qosst-bob: %v with %d of 2 frames completed\n%s\n%s", err, completed, out.String(), logs.String())
	}
	sameKeys(t, bobDir, aliceDir, completed)
	// Per frame: one triggered frame record and two calibrations; two
	// uploads of two traces; the pilot switched on and off around each
	// polarisation recovery; the LO off once per frame and left on.
	if n := lab.Acquisitions(); n != 6 {
		t.Errorf("%d digitizer records, want 6", n)
	}
	for cmd, want := range map[string]int{
		":TRIGger:SOURce EXTernal": 2, ":INITiate:IMMediate": 2, ":OUTPut3 ON": 2, ":OUTPut3 OFF": 2,
	} {
		got := lab.AWG.Count(cmd) + lab.Digitizer.Count(cmd)
		if got != want {
			t.Errorf("%q sent %d times, want %d", cmd, got, want)
		}
	}
	if n := lab.LocalOscillator.Count(":OUTPut:STATe OFF"); n != 2 {
		t.Errorf("LO switched off %d times, want 2", n)
	}
	if n := lab.Polariser.Count(":POLarisation:OPTimize"); n != 2 {
		t.Errorf("polarisation optimised %d times, want 2", n)
	}
	if lab.Emitting() || lab.PilotOn() {
		t.Error("the AWG was left emitting or with its pilot on")
	}
}

// A receiver that cannot be reached stops qosst-bob at start, in bounded
// time, naming the key and wrapping hardware.ErrNoDevice; a missing
// address names its key.
func TestInstrumentErrors(t *testing.T) {
	lab, lc := newLab(t)
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
		{"digitizer unreachable", "instruments.bob.digitizer=" + goneAddr, "instruments.bob.digitizer", true},
		{"LO silent", "instruments.bob.local_oscillator=" + silent.Addr().String(), "instruments.bob.local_oscillator", true},
		{"controller unreachable", "instruments.bob.polarisation_controller=" + goneAddr, "instruments.bob.polarisation_controller", true},
		{"no digitizer", "instruments.bob.digitizer=", "instruments.bob.digitizer", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := newCommand(&bytes.Buffer{}, &bytes.Buffer{})
			cmd.SetArgs([]string{"--config", labConfig(t, t.TempDir(), lab, lc, ""), "--set", c.set,
				"--set", "instruments.connect_timeout=300ms", "--connect", goneAddr})
			start := time.Now()
			err := cmd.Execute()
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

var frameLine = regexp.MustCompile(`^frame \d+ \S+: T=(\S+) xi=(\S+) v_el=(\S+) .* ec_blocks=(\d+)/(\d+) key_bits=(\d+)`)

// checkFrames checks qosst-bob's report of frames measured on the fake
// lab: every frame went through QIE, parameter estimation (T and v_el of
// the lab recovered), error correction (blocks decoded) and privacy
// amplification: no frame may be dropped, since both stations size the key
// with Va = 2<n>, <n> measured by Alice's power meter. It returns the
// number of completed frames.
func checkFrames(t *testing.T, report string, lc scpitest.LabConfig) int {
	t.Helper()
	frames, completed := 0, 0
	for _, line := range strings.Split(report, "\n") {
		if !strings.HasPrefix(line, "frame ") {
			continue
		}
		frames++
		m := frameLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("frame did not reach error correction: %s", line)
			continue
		}
		T, _ := strconv.ParseFloat(m[1], 64)
		vel, _ := strconv.ParseFloat(m[3], 64)
		if math.Abs(T-lc.Transmittance) > 0.05 || math.Abs(vel-lc.ElectronicNoise) > 0.002 {
			t.Errorf("estimates T=%v v_el=%v, the lab has T=%v v_el=%v: %s", T, vel, lc.Transmittance, lc.ElectronicNoise, line)
		}
		if m[4] == "0" { // a block the decoder misses is dropped by both; the frame goes on
			t.Errorf("error correction decoded no block: %s", line)
		}
		if strings.Contains(line, "DROPPED") {
			t.Errorf("frame dropped: %s", line)
			continue
		}
		completed++
		if m[6] == "0" {
			t.Errorf("completed frame without key bits: %s", line)
		}
	}
	if frames != 2 {
		t.Fatalf("%d frames in the report, want 2:\n%s", frames, report)
	}
	return completed
}

// --help says how the hardware is chosen, and the keys it names exist.
func TestHelpNamesHardware(t *testing.T) {
	out, _ := help(t)
	for _, want := range []string{"simulation.enabled = false", "[instruments.bob]", "digitizer, local_oscillator, polarisation_controller", "instruments.connect_timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
	for _, key := range []string{"simulation.enabled", "instruments.bob.digitizer", "instruments.bob.local_oscillator",
		"instruments.bob.polarisation_controller", "instruments.connect_timeout"} {
		if _, err := config.Default().Get(key); err != nil {
			t.Errorf("--help names %s: %v", key, err)
		}
	}
}
