package bob

import (
	"context"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
)

// stationConfig is a small frame on the default simulated short link: fast
// enough for unit tests, long enough for a positive key.
func stationConfig() *config.Config {
	c := config.Default()
	c.SerialNumber = "test-station"
	c.Frame.Quantum.NumSymbols = 60_000
	c.Frame.Quantum.ModulationVariance = 4
	// A better link than the default short link, so that frames this small
	// leave a key whatever the statistical fluctuations of PE.
	c.Simulation.Transmittance = 0.99
	c.Simulation.ExcessNoise = 0.001
	c.Simulation.Eta = 0.95
	c.Simulation.ElectronicNoise = 0.005
	c.Simulation.NoiseSeed = 11
	// Calibration records of 2^16 samples rather than the station's 2^18:
	// the electronic and shot noise are still known to about 0.5 %, well
	// within what these frames need, and each frame draws 4x fewer noise
	// samples (calibration dominated a test frame's time).
	c.Simulation.CalibrationSamples = 1 << 16
	c.Bob.Eta = 0.95
	c.Bob.ParametersEstimation.Ratio = 0.3
	// Frames this small are about the protocol, not the estimation: their
	// keys come from the point estimates. (Finite-size estimation at the
	// station default frame size is measured by the frame benchmark.)
	c.Bob.ParametersEstimation.Mode = config.PEAsymptotic
	return c
}

// listen returns a listener and a dialer for "pipe" (in memory) or "tcp"
// (loopback).
func listen(t testing.TB, network string) (net.Listener, transport.Dialer) {
	t.Helper()
	switch network {
	case "pipe":
		p := transport.NewPipe()
		return p, p
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		return l, transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		})
	}
	t.Fatalf("network %q", network)
	return nil, nil
}

// startAlice serves our Alice on l until the test ends; it returns her key
// store.
func startAlice(t testing.TB, c *config.Config, l net.Listener) *keystore.Store {
	t.Helper()
	return startAliceAuth(t, c, l, nil)
}

// startAliceAuth is startAlice with an authenticator (nil: None).
func startAliceAuth(t testing.TB, c *config.Config, l net.Listener, authn messages.Authenticator) *keystore.Store {
	t.Helper()
	return alicetest.Start(t, alicetest.Options{
		Options:  alice.Options{Config: c, Authenticator: authn, Logger: testLogger(t)},
		Listener: l,
	}).Keys
}

func testLogger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

// newBob returns a driver for station configuration c over d, with its key
// store.
func newBob(t testing.TB, c *config.Config, d transport.Dialer, edit ...func(*Options)) (*Driver, *keystore.Store) {
	t.Helper()
	rx, err := sim.NewReceiver(station.SimConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	keys, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	conn := transport.NewClient(d, transport.ClientOptions{NoResend: true})
	opts := Options{Config: FromStation(c).WithStation(c), Conn: conn, Receiver: rx, Polarisation: rx, Keys: keys, Logger: testLogger(t),
		Rand: rand.New(rand.NewPCG(1, 2))}
	for _, e := range edit {
		e(&opts)
	}
	drv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return drv, keys
}

// stationWithAlice serves our Alice with station configuration c over an
// in-memory pipe and returns a station built from c that dials her (closed
// when the test ends), with Alice's key store.
func stationWithAlice(t *testing.T, c *config.Config) (*Station, *keystore.Store) {
	t.Helper()
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	st, err := NewStation(c, testLogger(t), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, aliceKeys
}
