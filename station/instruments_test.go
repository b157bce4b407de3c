package station

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/real/scpi"
	"github.com/qosst/qosst-go/hardware/real/scpi/scpitest"
	"github.com/qosst/qosst-go/hardware/sim"
)

// Every key of [instruments] is read from TOML and reaches the drivers'
// configurations; durations are Go duration strings and --set works on
// them.
func TestInstrumentsFromTOML(t *testing.T) {
	c := config.Default()
	err := config.Decode(c, `
[simulation]
enabled = false
detection = "homodyne"
[instruments]
connect_timeout = "750ms"
[instruments.limits]
max_line = 1024
max_block = 8388608
timeout = "2s"
[instruments.alice]
awg = "10.0.0.7"
power_meter = "10.0.0.8:5026"
full_scale = 12.5
wavelength = 1.31e-6
output_ratio = 1e-7
[instruments.bob]
digitizer = "10.0.0.5"
local_oscillator = "[fe80::1]:5025"
polarisation_controller = "pc.lab"
calibration_samples = 65536
poll_interval = "5ms"
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.SetString("instruments.bob.poll_interval", "7ms"); err != nil {
		t.Fatal(err)
	}
	lim := scpi.Limits{MaxLine: 1024, MaxBlock: 8 << 20, Timeout: 2 * time.Second}
	ec, err := EmitterConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if ec != (scpi.EmitterConfig{AWG: "10.0.0.7", PowerMeter: "10.0.0.8:5026", FullScale: 12.5, Wavelength: 1.31e-6, OutputRatio: 1e-7, Limits: lim}) {
		t.Errorf("emitter config %+v", ec)
	}
	rc, pc, err := ReceiverConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	want := scpi.ReceiverConfig{Digitizer: "10.0.0.5", LocalOscillator: "[fe80::1]:5025", Detection: hardware.Homodyne,
		CalibrationSamples: 65536, PollInterval: 7 * time.Millisecond, Limits: lim}
	if rc != want || pc != "pc.lab" {
		t.Errorf("receiver config %+v, controller %q", rc, pc)
	}
	if c.Instruments.ConnectTimeout.Duration != 750*time.Millisecond {
		t.Errorf("connect timeout %v", c.Instruments.ConnectTimeout)
	}
}

// Errors in [instruments] name the key and the reason.
func TestInstrumentsErrorsNameKey(t *testing.T) {
	c := config.Default()
	var fe *config.FieldError
	if err := config.Decode(c, "[instruments.bob]\ndigitiser = \"10.0.0.5\"\n"); !errors.As(err, &fe) || fe.Key != "instruments.bob.digitiser" || fe.Reason != "unknown key" {
		t.Fatalf("misspelt key: %v", err)
	}
	cases := []struct{ key, value, reason string }{
		{"instruments.connect_timeout", "0s", "positive duration"},
		{"instruments.limits.timeout", "-1s", "positive duration"},
		{"instruments.limits.max_line", "10", "64..1048576"},
		{"instruments.limits.max_block", "100", "1024..1073741824"},
		{"instruments.bob.calibration_samples", "0", "1..16777216"},
		{"instruments.bob.poll_interval", "0s", "positive duration"},
		{"instruments.alice.full_scale", "-1", ">= 0"},
		{"instruments.alice.wavelength", "1550", "metres"},
		{"instruments.alice.output_ratio", "-1e-7", "[0, 1000]"},
		{"instruments.alice.awg", "10.0.0.7:0", "port must be in 1..65535"},
		{"instruments.alice.power_meter", ":5025", "no host"},
		{"instruments.bob.digitizer", "host:port:x", "host or host:port"},
		{"instruments.bob.local_oscillator", "lo laser", "host or host:port"},
		{"instruments.bob.polarisation_controller", "tcp://pc", "host or host:port"},
	}
	for _, tc := range cases {
		c := config.Default()
		if err := c.SetString(tc.key, tc.value); err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		err := c.Validate()
		if !errors.As(err, &fe) || fe.Key != tc.key || !strings.Contains(fe.Reason, tc.reason) || !errors.Is(err, config.ErrInvalid) {
			t.Errorf("%s = %s: got %v, want the key and %q", tc.key, tc.value, err, tc.reason)
		}
	}
	// A calibration record must fit in a block.
	c = config.Default()
	c.Instruments.Limits.MaxBlock = 4096
	if err := c.Validate(); !errors.As(err, &fe) || fe.Key != "instruments.bob.calibration_samples" || !strings.Contains(fe.Reason, "max_block") {
		t.Errorf("calibration record larger than max_block: %v", err)
	}
}

// Each station names the instruments it needs and lacks.
func TestInstrumentsRequiredPerStation(t *testing.T) {
	c := config.Default()
	c.Simulation.Enabled = false
	keysOf := func(err error) []string {
		var out []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var fe *config.FieldError
			if errors.As(e, &fe) {
				out = append(out, fe.Key)
			}
		}
		return out
	}
	_, err := EmitterConfig(c)
	if got := strings.Join(keysOf(err), " "); got != "instruments.alice.awg instruments.alice.power_meter instruments.alice.output_ratio" {
		t.Errorf("Alice lacks %q", got)
	}
	_, _, err = ReceiverConfig(c)
	if got := strings.Join(keysOf(err), " "); got != "instruments.bob.digitizer instruments.bob.local_oscillator" {
		t.Errorf("Bob lacks %q", got)
	}
	c.Bob.Run.PolarisationRecovery = true
	_, _, err = ReceiverConfig(c)
	if got := strings.Join(keysOf(err), " "); !strings.HasSuffix(got, "instruments.bob.polarisation_controller") {
		t.Errorf("Bob with polarisation recovery lacks %q", got)
	}
	for _, f := range []func(context.Context) error{
		func(ctx context.Context) error { _, err := NewEmitter(ctx, c); return err },
		func(ctx context.Context) error { _, err := NewReceiver(ctx, c); return err },
	} {
		var fe *config.FieldError
		if err := f(context.Background()); !errors.As(err, &fe) || !errors.Is(err, config.ErrInvalid) {
			t.Errorf("station without instruments: %v, want a *config.FieldError", err)
		}
	}
}

// simulation.enabled selects the simulated link.
func TestSimulationSelected(t *testing.T) {
	c := config.Default()
	em, err := NewEmitter(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	if _, ok := em.(*sim.Emitter); !ok {
		t.Errorf("emitter %T, want *sim.Emitter", em)
	}
	rx, err := NewReceiver(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if _, ok := rx.Receiver.(*sim.Receiver); !ok || rx.Polarisation == nil {
		t.Errorf("receiver %T, controller %T", rx.Receiver, rx.Polarisation)
	}
}

// With simulation.enabled = false the SCPI drivers are built on the
// configured instruments; the receiver measures the station's detection.
func TestInstrumentsSelected(t *testing.T) {
	lab, err := scpitest.NewLab(scpitest.DefaultLabConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	c := config.Default()
	c.Simulation.Enabled = false
	c.Instruments.Alice = config.AliceInstruments{AWG: lab.AWG.Addr(), PowerMeter: lab.PowerMeter.Addr(), Wavelength: 1550e-9, OutputRatio: 1e-7}
	c.Instruments.Bob.Digitizer, c.Instruments.Bob.LocalOscillator = lab.Digitizer.Addr(), lab.LocalOscillator.Addr()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	em, err := NewEmitter(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	if _, ok := em.(*scpi.Emitter); !ok {
		t.Errorf("emitter %T, want *scpi.Emitter", em)
	}
	rx, err := NewReceiver(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rx.Receiver.(*scpi.Receiver); !ok || rx.Polarisation != nil {
		t.Errorf("receiver %T, controller %T (none configured)", rx.Receiver, rx.Polarisation)
	}
	spec := hardware.FrameSpec{UUID: uuid.New(), NumSymbols: 10, SymbolRate: 1e6, Detection: hardware.Homodyne, Va: 2}
	if err := rx.Arm(ctx, spec); !errors.Is(err, hardware.ErrInvalidSpec) {
		t.Errorf("homodyne frame on the heterodyne station: %v, want ErrInvalidSpec", err)
	}
	rx.Close()

	c.Instruments.Bob.PolarisationController = lab.Polariser.Addr()
	rx, err = NewReceiver(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if _, ok := rx.Polarisation.(*scpi.Polariser); !ok {
		t.Errorf("controller %T, want *scpi.Polariser", rx.Polarisation)
	}
}

// An instrument that cannot be reached, or accepts the connection and
// never answers, fails the start within instruments.connect_timeout with
// an *InstrumentError naming the key and wrapping hardware.ErrNoDevice.
func TestInstrumentStartupBounded(t *testing.T) {
	lab, err := scpitest.NewLab(scpitest.DefaultLabConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	goneAddr := gone.Addr().String()
	gone.Close()

	base := config.Default()
	base.Simulation.Enabled = false
	base.Instruments.ConnectTimeout = config.Duration{Duration: 150 * time.Millisecond}
	base.Instruments.Alice = config.AliceInstruments{AWG: lab.AWG.Addr(), PowerMeter: lab.PowerMeter.Addr(), Wavelength: 1550e-9, OutputRatio: 1e-7}
	base.Instruments.Bob.Digitizer, base.Instruments.Bob.LocalOscillator = lab.Digitizer.Addr(), lab.LocalOscillator.Addr()
	base.Instruments.Bob.PolarisationController = lab.Polariser.Addr()
	cases := []struct {
		key  string
		edit func(c *config.Config, addr string)
	}{
		{"instruments.alice.awg", func(c *config.Config, a string) { c.Instruments.Alice.AWG = a }},
		{"instruments.alice.power_meter", func(c *config.Config, a string) { c.Instruments.Alice.PowerMeter = a }},
		{"instruments.bob.digitizer", func(c *config.Config, a string) { c.Instruments.Bob.Digitizer = a }},
		{"instruments.bob.local_oscillator", func(c *config.Config, a string) { c.Instruments.Bob.LocalOscillator = a }},
		{"instruments.bob.polarisation_controller", func(c *config.Config, a string) { c.Instruments.Bob.PolarisationController = a }},
	}
	for _, tc := range cases {
		for what, addr := range map[string]string{"silent": silent.Addr().String(), "unreachable": goneAddr} {
			c := base.Clone()
			tc.edit(c, addr)
			start := time.Now()
			var err error
			if strings.HasPrefix(tc.key, "instruments.alice") {
				_, err = NewEmitter(context.Background(), c)
			} else {
				_, err = NewReceiver(context.Background(), c)
			}
			var ie *InstrumentError
			if !errors.As(err, &ie) || ie.Key != tc.key || ie.Address != addr || !errors.Is(err, hardware.ErrNoDevice) {
				t.Errorf("%s %s: got %v, want an *InstrumentError for the key wrapping ErrNoDevice", tc.key, what, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s %s: start-up took %v with a 150 ms connect timeout", tc.key, what, d)
			}
		}
	}
}

// The example of docs/hardware.md is a valid station file for both
// stations.
func TestHardwareDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "hardware.md"))
	if err != nil {
		t.Fatal(err)
	}
	var example string
	for _, part := range strings.Split(string(doc), "```toml\n")[1:] {
		if block, _, ok := strings.Cut(part, "```"); ok && strings.Contains(block, "[instruments.alice]") {
			example = block
			break
		}
	}
	if example == "" {
		t.Fatal("docs/hardware.md has no ```toml example with [instruments.alice]")
	}
	c := config.Default()
	if err := config.Decode(c, example); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Simulation.Enabled {
		t.Error("the example does not disable the simulation")
	}
	if _, err := EmitterConfig(c); err != nil {
		t.Error(err)
	}
	c.Bob.Run.PolarisationRecovery = true
	if _, _, err := ReceiverConfig(c); err != nil {
		t.Error(err)
	}
	d := config.DefaultInstruments()
	if c.Instruments.Limits != d.Limits || c.Instruments.ConnectTimeout != d.ConnectTimeout ||
		c.Instruments.Bob.CalibrationSamples != d.Bob.CalibrationSamples || c.Instruments.Bob.PollInterval != d.Bob.PollInterval {
		t.Errorf("the example's limits and timings are not the defaults it claims: %+v", c.Instruments)
	}
}

// A driver error is attributed to the instrument whose address it names,
// not to one whose address is a prefix of it.
func TestInstrumentErrAttribution(t *testing.T) {
	keys := [][2]string{{"instruments.alice.awg", "10.0.0.1:502"}, {"instruments.alice.power_meter", "10.0.0.1"}}
	for msg, want := range map[string]string{
		"scpi: dial 10.0.0.1:5025: hardware: no such device":   "instruments.alice.power_meter",
		"scpi: 10.0.0.1:502 does not identify: no such device": "instruments.alice.awg",
		"scpi: 10.0.0.1:502: *IDN?: timed out":                 "instruments.alice.awg",
	} {
		var ie *InstrumentError
		if err := instrumentErr(errors.New(msg), keys...); !errors.As(err, &ie) || ie.Key != want {
			t.Errorf("%q: got %v, want %s", msg, err, want)
		}
	}
}
