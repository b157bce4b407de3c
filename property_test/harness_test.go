package property_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/transport"
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

// aliceServer is our Alice serving in memory until the test ends.
type aliceServer struct {
	srv  *alice.Server
	pipe *transport.Pipe
	keys *keystore.Store
}

func startAlice(t testing.TB, c *config.Config, l net.Listener) *aliceServer {
	t.Helper()
	em, err := sim.NewEmitter(c.SimConfig())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := alice.New(alice.Options{Config: c, Emitter: em, Keys: keys, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("alice did not stop")
		}
		em.Close()
	})
	return &aliceServer{srv: srv, keys: keys}
}
