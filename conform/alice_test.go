package conform_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/conform"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
)

// startAlice serves our Alice on a loopback port with small frames.
func startAlice(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.SerialNumber = "alice-conform-test"
	cfg.Frame.Quantum.NumSymbols = 20_000
	cfg.Simulation.CalibrationSamples = 1 << 12
	cfg.Keys.OutputDir = t.TempDir()
	em, err := sim.NewEmitter(cfg.SimConfig())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keystore.Open(cfg.Keys.OutputDir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := alice.New(alice.Options{Config: cfg, Emitter: em, Keys: keys, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
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
	})
	return l.Addr().String()
}

func TestEveryCasePassesAgainstOurAlice(t *testing.T) {
	addr := startAlice(t)
	rep := conform.Run(context.Background(), conform.Options{
		Target:       addr,
		CaseTimeout:  15 * time.Second,
		ReplyTimeout: 3 * time.Second,
	})
	if len(rep.Results) != len(conform.Cases()) {
		t.Fatalf("ran %d of %d cases", len(rep.Results), len(conform.Cases()))
	}
	if !rep.OK() {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatalf("conformance failures against our Alice:\n%s", b.String())
	}
	var b strings.Builder
	rep.WriteText(&b)
	t.Log(b.String())
}
