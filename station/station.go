// Package station builds what a station runs on from its configuration:
// the simulated link or the SCPI instruments (reached and identified within
// instruments.connect_timeout) and the authenticator. Package config only
// reads and validates; the binaries (cmd/) and the roles' station
// constructors call this package.
package station

import (
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

// SimConfig returns the simulated-link configuration of hardware/sim built
// from [simulation] and the frame defaults of [frame.quantum].
func SimConfig(c *config.Config) sim.Config {
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

// Authenticator returns the authenticator of [authentication] (its key
// files read), as transport/auth builds it.
func Authenticator(c *config.Config) (messages.Authenticator, error) {
	return auth.New(auth.Config{
		Scheme:            c.Authentication.Scheme,
		KeyFile:           c.Authentication.KeyFile,
		PeerPublicKeyFile: c.Authentication.PeerPublicKeyFile,
	})
}
