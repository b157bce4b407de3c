package scpi

import (
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/qosst/qosst-go/hardware"
)

// The driver configurations can sit in a station's TOML file as they are.
func TestConfigFromTOML(t *testing.T) {
	var c struct {
		Receiver ReceiverConfig `toml:"receiver"`
		Emitter  EmitterConfig  `toml:"emitter"`
	}
	_, err := toml.Decode(`
[receiver]
digitizer = "10.0.0.5"
local_oscillator = "10.0.0.6:5025"
detection = "homodyne"
calibration_samples = 65536
poll_interval = "5ms"
limits = { max_line = 1024, max_block = 8388608, timeout = "2s" }
[emitter]
awg = "10.0.0.7"
power_meter = "10.0.0.8"
full_scale = 12.5
wavelength = 1.55e-6
output_ratio = 1e-7
`, &c)
	if err != nil {
		t.Fatal(err)
	}
	r, e := c.Receiver, c.Emitter
	if r.Digitizer != "10.0.0.5" || r.LocalOscillator != "10.0.0.6:5025" || r.Detection != hardware.Homodyne ||
		r.CalibrationSamples != 65536 || r.PollInterval != 5*time.Millisecond ||
		r.Limits != (Limits{MaxLine: 1024, MaxBlock: 8 << 20, Timeout: 2 * time.Second}) {
		t.Errorf("receiver config %+v", r)
	}
	if e.AWG != "10.0.0.7" || e.PowerMeter != "10.0.0.8" || e.FullScale != 12.5 || e.Wavelength != 1.55e-6 || e.OutputRatio != 1e-7 {
		t.Errorf("emitter config %+v", e)
	}
}
