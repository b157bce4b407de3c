package station

import (
	"math"
	"testing"

	"github.com/qosst/qosst-go/config"
)

func TestSimConfigFromDefaults(t *testing.T) {
	c := config.Default()
	s := SimConfig(c)
	if err := s.Validate(); err != nil {
		t.Fatalf("simulated link from defaults: %v", err)
	}
	if s.Transmittance != 0.9 || s.ExcessNoise != 0.01 || s.Efficiency != 0.8 || s.ElectronicNoise != 0.05 ||
		s.Va != 4 || s.Detection.String() != config.Heterodyne || s.NumSymbols != 1_000_000 || s.LinkSeed != 1 {
		t.Fatalf("sim config: %+v", s)
	}
}

// The simulated link takes the transmittance the configuration derived from
// the fiber length.
func TestSimConfigFromDistance(t *testing.T) {
	c := config.Default()
	if err := c.SetString("simulation.distance_km", "50"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := SimConfig(c).Transmittance; got != c.Simulation.Transmittance || math.Abs(got-0.1) > 1e-12 {
		t.Fatalf("simulated link T = %v, configuration %v, want 0.1 (50 km at 0.2 dB/km)", got, c.Simulation.Transmittance)
	}
}
