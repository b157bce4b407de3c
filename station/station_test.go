package station

import (
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
