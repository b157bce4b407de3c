package conform_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/conform"
)

// startAlice serves our Alice on a loopback port with small frames.
func startAlice(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.SerialNumber = "alice-conform-test"
	cfg.Frame.Quantum.NumSymbols = 20_000
	cfg.Simulation.CalibrationSamples = 1 << 12
	return alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: cfg}}).Addr
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
