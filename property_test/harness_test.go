package property_test

import (
	"net"
	"testing"
	"time"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/config"
)

const numSymbols = 4096

// smallConfig is the default simulated link with small frames.
func smallConfig() *config.Config {
	c := config.Default()
	c.SerialNumber = "property-alice"
	c.Frame.Quantum.NumSymbols = numSymbols
	c.Simulation.CalibrationSamples = 1 << 12
	c.Simulation.NoiseSeed = 7
	c.Timeouts.EmitterWait = config.Duration{Duration: 2 * time.Second}
	c.Authentication.MaxFailures = maxAuthFailures
	return c
}

// startAlice serves our Alice with configuration c on l until the test
// ends.
func startAlice(t testing.TB, c *config.Config, l net.Listener) *alicetest.Server {
	t.Helper()
	return alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: c}, Listener: l})
}
