package bob

import (
	"github.com/qosst/qosst-go/config"
)

// FromStation returns the driver configuration of a station configuration
// file: serial_number, [frame.quantum], simulation.detection, bob.eta,
// bob.parameters_estimation.ratio, [bob.run], authentication.max_failures,
// timeouts.response and limits.max_symbols.
func FromStation(c *config.Config) Config {
	out := DefaultConfig()
	if c.SerialNumber != "" {
		out.SerialNumber = c.SerialNumber
	}
	q := c.Frame.Quantum
	out.Frame = FrameParams{NumSymbols: q.NumSymbols, SymbolRate: q.SymbolRate,
		Detection: c.Detection().String(), Variance: q.ModulationVariance}
	if c.Limits.MaxSymbols > 0 {
		out.Policy.MaxSymbols = c.Limits.MaxSymbols
	}
	if out.Policy.MinSymbols > q.NumSymbols {
		out.Policy.MinSymbols = q.NumSymbols
	}
	out.Eta = c.Bob.Eta
	out.PERatio = c.Bob.ParametersEstimation.Ratio
	if c.Bob.Run.SymbolRequests > 0 {
		out.PERequests = c.Bob.Run.SymbolRequests
	}
	out.PolarisationRecovery = c.Bob.Run.PolarisationRecovery
	if c.Authentication.MaxFailures > 0 {
		out.MaxAuthFailures = c.Authentication.MaxFailures
	}
	out.RequestTimeout = c.Timeouts.Response.Duration
	return out
}
