package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qosst.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := LoadFile("")
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if cfg.Alice.Network.Listen() != "127.0.0.1:8181" || cfg.Bob.Network.Connect() != "127.0.0.1:8181" {
		t.Fatalf("default addresses: %s %s", cfg.Alice.Network.Listen(), cfg.Bob.Network.Connect())
	}
	s := cfg.Simulation
	if s.Transmittance != 0.9 || s.ExcessNoise != 0.01 || s.Eta != 0.8 || s.ElectronicNoise != 0.05 ||
		cfg.Frame.Quantum.ModulationVariance != 4 || cfg.Frame.Quantum.Detection != Heterodyne || s.Detection != "" || cfg.Frame.Quantum.NumSymbols != 1_000_000 ||
		cfg.Frame.Quantum.SymbolRate != 100e6 || cfg.Authentication.Scheme != AuthNone {
		t.Fatalf("defaults differ from the default simulated link: %+v", cfg)
	}
	// Secure by default: finite-size estimation on half of the symbols,
	// multidimensional reconciliation.
	pe := cfg.Bob.ParametersEstimation
	if pe.Mode != PEFiniteSize || pe.Epsilon != 1e-10 || pe.Ratio != 0.5 ||
		cfg.Bob.ErrorCorrection.Reconciliation != ReconciliationMultidimensional {
		t.Fatalf("post-processing defaults: %+v %+v", pe, cfg.Bob.ErrorCorrection)
	}
}

// The example shipped in example.toml parses, sets exactly the defaults and
// is the one printed in docs/configuration.md.
func TestExampleParsesAndMatchesDocs(t *testing.T) {
	cfg, err := LoadFile("example.toml")
	if err != nil {
		t.Fatalf("example.toml: %v", err)
	}
	if len(cfg.Ignored) != 0 {
		t.Fatalf("example has keys without effect: %v", cfg.Ignored)
	}
	def := Default()
	cfg.Ignored, def.Ignored = nil, nil
	cfg.given = nil // the keys the file wrote
	if cfg.Alice.Negotiation.Required == nil {
		cfg.Alice.Negotiation.Required = nil
	}
	if len(cfg.Alice.Negotiation.Required) == 0 {
		cfg.Alice.Negotiation.Required = nil
	}
	if len(cfg.Alice.ErrorCorrection.Families) == 0 {
		cfg.Alice.ErrorCorrection.Families = nil
	}
	if len(cfg.Bob.ErrorCorrection.Families) == 0 {
		cfg.Bob.ErrorCorrection.Families = nil
	}
	if !reflect.DeepEqual(cfg, def) {
		t.Fatalf("example.toml differs from Default():\n%+v\n%+v", cfg, def)
	}
	example, _ := os.ReadFile("example.toml")
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatalf("docs/configuration.md: %v", err)
	}
	if !strings.Contains(string(doc), "```toml\n"+string(example)+"```") {
		t.Fatal("docs/configuration.md does not contain config/example.toml verbatim in a ```toml block")
	}
}

func TestReferenceLayoutIsRead(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("testdata", "reference.toml"))
	if err != nil {
		t.Fatalf("reference layout: %v", err)
	}
	if cfg.SerialNumber != "QOSST/0002" || cfg.Alice.Network.Listen() != "0.0.0.0:8282" ||
		cfg.Bob.Network.Connect() != "192.0.2.10:8282" || cfg.Bob.Eta != 0.7 ||
		cfg.Bob.ParametersEstimation.Ratio != 0.25 || cfg.Frame.Quantum.NumSymbols != 200000 ||
		cfg.Frame.Quantum.SymbolRate != 50e6 || cfg.Frame.Quantum.RollOff != 0.3 {
		t.Fatalf("reference keys not read: %+v", cfg)
	}
	if cfg.Logging.Level != "warning" {
		t.Fatalf("[logs] level not used: %q", cfg.Logging.Level)
	}
	want := []string{"alice.dac.rate", "bob.dsp.exclusion_zone_pilots", "frame.quantum.modulation_type", "frame.quantum.variance", "notifications.notify"}
	for _, w := range want {
		found := false
		for _, k := range cfg.Ignored {
			if k == w {
				found = true
			}
		}
		if !found {
			t.Errorf("ignored keys %v lack %s", cfg.Ignored, w)
		}
	}
}

// Every invalid file fails with the key and the reason.
func TestInvalidFilesNameKeyAndReason(t *testing.T) {
	cases := []struct {
		name, text, key, reason string
	}{
		{"unknown key in our section", "[simulation]\ntransmitance = 0.5\n", "simulation.transmitance", "unknown key"},
		{"unknown section", "[simulaton]\ntransmittance = 0.5\n", "simulaton", "unknown key"},
		{"unknown key in our subsection", "[alice.negotiation]\nmod = \"deny\"\n", "alice.negotiation.mod", "unknown key"},
		{"wrong type", "[frame.quantum]\nnum_symbols = \"many\"\n", "frame.quantum.num_symbols", "incompatible types"},
		{"wrong type string", "[simulation]\ndetection = 3\n", "simulation.detection", "incompatible types"},
		{"bad duration", "[timeouts]\nidle = \"soon\"\n", "timeouts.idle", "not a duration"},
		{"out of range", "[simulation]\ntransmittance = 1.5\n", "simulation.transmittance", "(0, 1]"},
		{"negative noise", "[simulation]\nexcess_noise = -0.1\n", "simulation.excess_noise", ">= 0"},
		{"bad port", "[alice.network]\nbind_port = 70000\n", "alice.network.bind_port", "0..65535"},
		{"bad server port", "[bob.network]\nserver_port = 0\n", "bob.network.server_port", "1..65535"},
		{"bad ratio", "[bob.parameters_estimation]\nratio = 1.0\n", "bob.parameters_estimation.ratio", "(0, 1)"},
		{"bad choice", "[frame.quantum]\ndetection = \"direct\"\n", "frame.quantum.detection", "heterodyne"},
		{"bad scheme", "[authentication]\nscheme = \"rot13\"\n", "authentication.scheme", "rot13"},
		{"missing key file", "[authentication]\nscheme = \"hmac-sha256\"\n", "authentication.key_file", "required"},
		{"reference falcon", "[authentication]\nauthentication_class = \"qosst_core.authentication.FalconAuthenticator\"\n", "authentication.authentication_class", "NoneAuthenticator"},
		{"zero timeout", "[timeouts]\nframe = \"0s\"\n", "timeouts.frame", "positive"},
		{"bad level", "[logging]\nlevel = \"loud\"\n", "logging.level", "loud"},
		{"syntax", "[simulation\n", "", "line"},
		{"required unknown", "[alice.negotiation]\nrequired = [\"colour\"]\n", "alice.negotiation.required", "colour"},
		{"too many symbols", "[frame.quantum]\nnum_symbols = 2000\n[limits]\nmax_symbols = 1000\n", "frame.quantum.num_symbols", "max_symbols"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFile(writeFile(t, tc.text))
			if err == nil {
				t.Fatal("invalid file accepted")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("no FieldError in %v", err)
			}
			if fe.Key != tc.key {
				t.Fatalf("key = %q, want %q (%v)", fe.Key, tc.key, err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %q lacks reason %q", err, tc.reason)
			}
		})
	}
}

func TestFlagsOverrideFile(t *testing.T) {
	path := writeFile(t, "[alice.network]\nbind_port = 9000\n[logging]\nformat = \"console\"\n[simulation]\ntransmittance = 0.5\n")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fl := NewFlags(fs)
	fl.Bind("log-format", "logging.format", "log format")
	fl.Bind("transmittance", "simulation.transmittance", "T")
	fl.HostPort("listen", "alice.network", "listen address")
	if err := fs.Parse([]string{"--config", path, "--log-format", "json", "--listen", "0.0.0.0:9100",
		"--set", "simulation.link_seed=42", "--set", "timeouts.idle=2s"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := fl.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logging.Format != LogJSON || cfg.Alice.Network.Listen() != "0.0.0.0:9100" ||
		cfg.Simulation.LinkSeed != 42 || cfg.Timeouts.Idle.Duration != 2*time.Second {
		t.Fatalf("flags not applied: %+v", cfg)
	}
	if cfg.Simulation.Transmittance != 0.5 {
		t.Fatalf("an unset flag overrode the file: T = %v", cfg.Simulation.Transmittance)
	}
	if d := fs.Lookup("transmittance").DefValue; d != "0.9" {
		t.Fatalf("--help default of --transmittance = %q, want the built-in 0.9", d)
	}
}

func TestFlagErrorsNameKey(t *testing.T) {
	for _, args := range [][]string{
		{"--transmittance", "abc"},
		{"--transmittance", "2"},
		{"--set", "simulation.nope=1"},
		{"--listen", "host:99999"},
	} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fl := NewFlags(fs)
		fl.Bind("transmittance", "simulation.transmittance", "T")
		fl.HostPort("listen", "alice.network", "listen address")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		_, err := fl.Load()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Key == "" {
			t.Fatalf("%v: error %v names no key", args, err)
		}
	}
}

func TestGetSetByKey(t *testing.T) {
	c := Default()
	if err := c.Set("frame.quantum.num_symbols", 2000.0); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("frame.quantum.num_symbols", 2000.5); err == nil {
		t.Fatal("fractional integer accepted")
	}
	if err := c.Set("frame.quantum.roll_off", "x"); err == nil {
		t.Fatal("string accepted for a number")
	}
	if err := c.Set("frame.quantum", 1.0); err == nil {
		t.Fatal("a section accepted a value")
	}
	if err := c.Set("nope.x", 1.0); err == nil {
		t.Fatal("unknown key accepted")
	}
	v, err := c.Get("frame.quantum.num_symbols")
	if err != nil || v.(int64) != 2000 {
		t.Fatalf("get: %v %v", v, err)
	}
	d := c.Clone()
	d.Alice.Negotiation.Required = append(d.Alice.Negotiation.Required, "x")
	d.Frame.Quantum.RollOff = 0.1
	if len(c.Alice.Negotiation.Required) != 0 || c.Frame.Quantum.RollOff != 0.5 {
		t.Fatal("Clone shares state")
	}
}

// bob.error_correction.reconciliation takes the three scheme names; anything
// else fails at load with the key named, and so does "slice" with the
// numbers encoding.
func TestReconciliationKey(t *testing.T) {
	for _, ok := range []string{ReconciliationMultidimensional, ReconciliationSign, ReconciliationSlice} {
		c := Default()
		c.Bob.ErrorCorrection.Reconciliation = ok
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	c := Default()
	c.Bob.ErrorCorrection.Reconciliation = "turbo"
	var fe *FieldError
	if err := c.Validate(); !errors.As(err, &fe) || fe.Key != "bob.error_correction.reconciliation" {
		t.Fatalf("unknown scheme: %v", err)
	}
	c = Default()
	c.Bob.ErrorCorrection.Reconciliation, c.Bob.ErrorCorrection.Encoding = ReconciliationSlice, EncodingNumbers
	if err := c.Validate(); !errors.As(err, &fe) || fe.Key != "bob.error_correction.reconciliation" || !strings.Contains(err.Error(), "encoding") {
		t.Fatalf("slice with numbers: %v", err)
	}
}

// simulation.detection, the former place of the frame's detection, is read
// as frame.quantum.detection with a deprecation note, from a file or --set,
// unless frame.quantum.detection is given too.
func TestDeprecatedSimulationDetection(t *testing.T) {
	cfg := Default()
	if err := Decode(cfg, "[simulation]\ndetection = \"homodyne\"\n"); err != nil {
		t.Fatal(err)
	}
	if cfg.Frame.Quantum.Detection != Homodyne || cfg.Detection().String() != Homodyne || len(cfg.Deprecated) != 1 ||
		!strings.Contains(cfg.Deprecated[0], "frame.quantum.detection") {
		t.Fatalf("detection %q, deprecated %v", cfg.Frame.Quantum.Detection, cfg.Deprecated)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg = Default()
	if err := Decode(cfg, "[simulation]\ndetection = \"homodyne\"\n[frame.quantum]\ndetection = \"heterodyne\"\n"); err != nil {
		t.Fatal(err)
	}
	if cfg.Frame.Quantum.Detection != Heterodyne || len(cfg.Deprecated) != 1 || !strings.Contains(cfg.Deprecated[0], "ignored") {
		t.Fatalf("both keys: detection %q, deprecated %v", cfg.Frame.Quantum.Detection, cfg.Deprecated)
	}
	cfg = Default()
	if err := cfg.SetString("simulation.detection", "homodyne"); err != nil {
		t.Fatal(err)
	}
	if cfg.Frame.Quantum.Detection != Homodyne || len(cfg.Deprecated) != 1 {
		t.Fatalf("--set: detection %q, deprecated %v", cfg.Frame.Quantum.Detection, cfg.Deprecated)
	}
	var buf strings.Builder
	if _, err := cfg.Logger(&buf, "bob"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "deprecated configuration key") {
		t.Fatalf("no deprecation line in the log: %s", buf.String())
	}
	cfg = Default()
	if err := Decode(cfg, "[frame.quantum]\ndetection = \"direct\"\n"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "frame.quantum.detection") {
		t.Fatalf("bad frame.quantum.detection: %v", err)
	}
}

// The fiber length sets T = 10^(−α·L/10) in a file, in an override and with
// a non-default attenuation; the defaults keep T = 0.9.
func TestDistanceSetsTransmittance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		sets  []string
		wantT float64
	}{
		{"default", "", nil, 0.9},
		{"file", "[simulation]\ndistance_km = 25\n", nil, 0.31622776601683794},
		{"override", "", []string{"simulation.distance_km=50"}, 0.1},
		{"attenuation", "", []string{"simulation.distance_km=10", "simulation.attenuation_db_per_km=0.3"}, 0.5011872336272722},
		{"zero km", "", []string{"simulation.distance_km=0"}, 1},
		{"file attenuation, override distance", "[simulation]\nattenuation_db_per_km = 0.16\n", []string{"simulation.distance_km=100"}, 0.025118864315095794},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			fl := NewFlags(fs)
			args := []string{}
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, tc.file))
			}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			cfg, err := fl.Load()
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Simulation.Transmittance; math.Abs(got-tc.wantT) > 1e-12*tc.wantT {
				t.Fatalf("T = %v, want %v", got, tc.wantT)
			}
			// Validating again (a tool re-checking the configuration) keeps T
			// and is not a conflict.
			if err := cfg.Clone().Validate(); err != nil {
				t.Fatalf("second Validate: %v", err)
			}
		})
	}
}

// Giving both the distance and the transmittance is an error that names both
// keys, wherever each of them comes from; ranges name their key.
func TestDistanceErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		sets  []string
		key   string
		words []string
	}{
		{"both in file", "[simulation]\ntransmittance = 0.5\ndistance_km = 25\n", nil,
			"simulation.distance_km", []string{"simulation.transmittance", "simulation.distance_km"}},
		{"file and override", "[simulation]\ntransmittance = 0.9\n", []string{"simulation.distance_km=25"},
			"simulation.distance_km", []string{"simulation.transmittance", "simulation.distance_km"}},
		{"both overrides", "", []string{"simulation.transmittance=0.3", "simulation.distance_km=25"},
			"simulation.distance_km", []string{"simulation.transmittance"}},
		{"negative distance", "", []string{"simulation.distance_km=-1"}, "simulation.distance_km", []string{">= 0"}},
		{"NaN distance", "", []string{"simulation.distance_km=NaN"}, "simulation.distance_km", []string{"finite"}},
		{"negative attenuation", "", []string{"simulation.attenuation_db_per_km=-0.2"}, "simulation.attenuation_db_per_km", []string{">= 0"}},
		{"too much loss", "", []string{"simulation.distance_km=2000"}, "simulation.distance_km", []string{"400 dB"}},
		{"not a number", "", []string{"simulation.distance_km=far"}, "simulation.distance_km", []string{"number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			fl := NewFlags(fs)
			args := []string{}
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, tc.file))
			}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			_, err := fl.Load()
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v, want a *FieldError", err)
			}
			if fe.Key != tc.key {
				t.Fatalf("error names %q, want %q: %v", fe.Key, tc.key, err)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// The error-correction knobs: codes, target efficiency, block length and
// Alice's longest code are checked, each error naming its key.
func TestErrorCorrectionKnobs(t *testing.T) {
	for _, kv := range [][2]string{
		{"bob.error_correction.codes", "turbo"},
		{"bob.error_correction.efficiency", "1.2"},
		{"bob.error_correction.block_length", "1000"},
		{"bob.error_correction.block_length", "4194305"},
		{"alice.error_correction.max_block_length", "16383"},
		{"alice.error_correction.max_block_length", "4194305"},
		{"alice.error_correction.max_block_length", "-1"},
		{"bob.error_correction.encoding", "base64"},
		{"bob.run.reconnects", "-1"},
		{"bob.run.reconnect_backoff", "2h"},
	} {
		key, value := kv[0], kv[1]
		c := Default()
		if err := c.SetString(key, value); err != nil {
			t.Fatalf("%s = %s: %v", key, value, err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s = %s: %v, want an error naming the key", key, value, err)
		}
	}
	c := Default()
	for key, value := range map[string]string{
		"bob.error_correction.codes": "generated", "bob.error_correction.efficiency": "0.9",
		"bob.error_correction.block_length": "4194304", "bob.error_correction.encoding": "numbers",
		"alice.error_correction.max_block_length": "2097152",
		"bob.run.reconnects":                      "0", "bob.run.reconnect_backoff": "2s",
	} {
		if err := c.SetString(key, value); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if ec := c.Bob.ErrorCorrection; ec.Codes != CodesGenerated || ec.Efficiency != 0.9 || ec.BlockLength != 1<<22 || ec.Encoding != EncodingNumbers {
		t.Fatalf("read %+v", ec)
	}
	if n := c.Alice.ErrorCorrection.MaxBlockLength; n != 1<<21 {
		t.Fatalf("alice.error_correction.max_block_length read as %d", n)
	}
	if r := c.Bob.Run; r.Reconnects != 0 || r.ReconnectBackoff.Duration != 2*time.Second {
		t.Fatalf("read %+v", r)
	}
}

// The code family lists name shipped families, once each; Bob's only those
// his planner chooses among.
func TestErrorCorrectionFamilies(t *testing.T) {
	for _, tc := range []struct{ key, value, words string }{
		{"alice.error_correction.families", "[13]", "family 13 is not one of"},
		{"alice.error_correction.families", "[1, 4, 1]", "family 1 is listed twice"},
		{"bob.error_correction.families", "[3]", "family 3 is not one of"}, // shipped, never planned
		{"bob.error_correction.families", "[0]", "family 0 is not one of"},
	} {
		c := Default()
		if err := c.SetString(tc.key, tc.value); err != nil {
			t.Fatalf("%s = %s: %v", tc.key, tc.value, err)
		}
		err := c.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Key != tc.key || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s = %s: %v, want an error naming the key and saying %q", tc.key, tc.value, err, tc.words)
		}
	}
	c := Default()
	for key, value := range map[string]string{
		"alice.error_correction.families": "[1, 2, 3, 4]",
		"bob.error_correction.families":   "[4, 1, 2]",
	} {
		if err := c.SetString(key, value); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := c.Clone()
	d.Bob.ErrorCorrection.Families[0] = 7
	if !reflect.DeepEqual(c.Alice.ErrorCorrection.Families, []int{1, 2, 3, 4}) || !reflect.DeepEqual(c.Bob.ErrorCorrection.Families, []int{4, 1, 2}) {
		t.Fatalf("read %v and %v (or Clone shares them)", c.Alice.ErrorCorrection.Families, c.Bob.ErrorCorrection.Families)
	}
}

// Lists of integers are read as JSON and TOML decoders give them, and as
// the command line writes them; anything else names the key.
func TestIntListValues(t *testing.T) {
	const key = "bob.error_correction.families"
	c := Default()
	if k, err := c.KindOf(key); err != nil || k != KindInts {
		t.Fatalf("KindOf = %v, %v", k, err)
	}
	for _, v := range []any{[]int{5, 4}, []int64{5, 4}, []any{5.0, int64(4)}} {
		if err := c.Set(key, v); err != nil {
			t.Fatalf("Set(%v): %v", v, err)
		}
		if s, err := c.String(key); err != nil || s != "5,4" {
			t.Fatalf("Set(%v) reads back %q, %v", v, s, err)
		}
	}
	for _, text := range []string{"5,4", "[5, 4]", " 5 , 4 "} {
		if err := c.SetString(key, text); err != nil || !reflect.DeepEqual(c.Bob.ErrorCorrection.Families, []int{5, 4}) {
			t.Fatalf("SetString(%q): %v, %v", text, c.Bob.ErrorCorrection.Families, err)
		}
	}
	for _, v := range []any{[]any{"5"}, []any{4.5}, []any{1e12}, "5", []string{"5"}} {
		if err := c.Set(key, v); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Set(%#v): %v, want an error naming the key", v, err)
		}
	}
	if err := c.SetString(key, "five"); err == nil || !strings.Contains(err.Error(), key) {
		t.Errorf("SetString(five): %v", err)
	}
}
