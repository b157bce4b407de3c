package config

import (
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/quantum"
	"github.com/qosst/qosst-go/transport/auth"
)

// SimConfig returns the simulated-link configuration of hardware/sim built
// from [simulation] and the frame defaults of [frame.quantum].
func (c *Config) SimConfig() sim.Config {
	s := sim.DefaultConfig()
	s.Transmittance = c.Simulation.Transmittance
	s.ExcessNoise = c.Simulation.ExcessNoise
	s.Efficiency = c.Simulation.Eta
	s.ElectronicNoise = c.Simulation.ElectronicNoise
	s.Va = c.Frame.Quantum.ModulationVariance
	s.Detection = c.Detection()
	s.NumSymbols = c.Frame.Quantum.NumSymbols
	s.SymbolRate = c.Frame.Quantum.SymbolRate
	s.LinkSeed = uint64(c.Simulation.LinkSeed)
	s.NoiseSeed = uint64(c.Simulation.NoiseSeed)
	s.Gain = c.Simulation.Gain
	s.CalibrationSamples = c.Simulation.CalibrationSamples
	s.Realtime = c.Simulation.Realtime
	return s
}

// Detection returns frame.quantum.detection (heterodyne when the text is
// not valid; Validate rejects that case).
func (c *Config) Detection() quantum.Detection {
	d, err := quantum.ParseDetection(c.Frame.Quantum.Detection)
	if err != nil {
		return quantum.Heterodyne
	}
	return d
}

// AuthConfig returns the authenticator selection of transport/auth.
func (c *Config) AuthConfig() auth.Config {
	return auth.Config{
		Scheme:            c.Authentication.Scheme,
		KeyFile:           c.Authentication.KeyFile,
		PeerPublicKeyFile: c.Authentication.PeerPublicKeyFile,
	}
}
