package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/config"
)

// --help lists every flag with its text.
func TestHelpListsEveryFlag(t *testing.T) {
	help, cmd := help(t)
	n := 0
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		n++
		if !strings.Contains(help, "--"+f.Name) || !strings.Contains(help, f.Usage) {
			t.Errorf("--help lacks --%s (%s)", f.Name, f.Usage)
		}
	})
	for _, want := range []string{"config", "connect", "frames", "log-format"} {
		if cmd.Flags().Lookup(want) == nil {
			t.Errorf("no --%s flag", want)
		}
	}
	if n < 10 {
		t.Errorf("only %d flags", n)
	}
}

// An invalid configuration fails at start, naming the key.
func TestBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bob.toml")
	if err := os.WriteFile(path, []byte("[bob.parameters_estimation]\nratio = 2.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newCommand(&bytes.Buffer{}, &bytes.Buffer{})
	cmd.SetArgs([]string{"--config", path})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "bob.parameters_estimation.ratio") {
		t.Fatalf("got %v, want an error naming bob.parameters_estimation.ratio", err)
	}
	cmd = newCommand(&bytes.Buffer{}, &bytes.Buffer{})
	cmd.SetArgs([]string{"--frames", "-1"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "bob.run.frames") {
		t.Fatalf("--frames -1: %v", err)
	}
}

// qosst-bob against our Alice over TCP: two frames, a summary line each,
// key files identical to Alice's, JSON logs with a line per phase.
func TestRunAgainstAlice(t *testing.T) {
	a := startAlice(t, 200_000, 0.95, 0.002, 0.9, 0.01)
	defer a.Stop()

	bobDir := t.TempDir()
	out, logs := runBob(t, a, "--frames", "2", "--log-format", "json", "--keys", bobDir,
		"--symbols", "200000", "--pe-ratio", "0.3", "--noise-seed", "5")
	if !strings.Contains(out, "2 of 2 frames completed") {
		t.Errorf("report:\n%s", out)
	}
	sameKeys(t, bobDir, a.Keys.Dir(), 2)
	if n := strings.Count(out, " reconciliation=multidimensional "); n != 2 {
		t.Errorf("%d summary lines with the default reconciliation=multidimensional:\n%s", n, out)
	}
	phaseLines := strings.Count(logs, `"message":"phase"`)
	if phaseLines < 15 {
		t.Errorf("%d phase log lines for 2 frames", phaseLines)
	}
	for _, field := range []string{`"session":`, `"state":`, `"code":`, `"peer":`, `"role":"bob"`} {
		if !strings.Contains(logs, field) {
			t.Errorf("logs lack %s", field)
		}
	}
}

// bob.error_correction.reconciliation set on the command line selects the
// scheme Bob announces in EC_INITIALIZATION (shown in the summary line);
// Alice decodes with it and the keys are equal.
func TestReconciliationFromStationKey(t *testing.T) {
	a := startAlice(t, 60_000, 0.99, 0.001, 0.95, 0.005)
	defer a.Stop()

	bobDir := t.TempDir()
	out, _ := runBob(t, a, "--frames", "1", "--keys", bobDir,
		"--symbols", "60000", "--pe-ratio", "0.3", "--noise-seed", "5",
		"--set", "bob.parameters_estimation.mode=asymptotic", "--set", "bob.error_correction.reconciliation=sign")
	if !strings.Contains(out, " reconciliation=sign ") || !strings.Contains(out, "1 of 1 frames completed") {
		t.Errorf("report, want one completed frame with reconciliation=sign:\n%s", out)
	}
	sameKeys(t, bobDir, a.Keys.Dir(), 1)
}

// startAlice serves our Alice on a loopback port with frames of n symbols
// on a simulated link of transmittance T, excess noise xi, detector
// efficiency eta and electronic noise vel.
func startAlice(t *testing.T, n int, T, xi, eta, vel float64) *alicetest.Server {
	t.Helper()
	ac := config.Default()
	ac.Frame.Quantum.NumSymbols = n
	ac.Simulation.Transmittance, ac.Simulation.ExcessNoise, ac.Simulation.Eta, ac.Simulation.ElectronicNoise = T, xi, eta, vel
	return alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: ac}})
}

// runBob runs qosst-bob against a with args, on the simulated link Alice
// was started with, and returns its report and logs; it fails the test when
// qosst-bob fails or takes more than a minute.
func runBob(t *testing.T, a *alicetest.Server, args ...string) (out, logs string) {
	t.Helper()
	s := a.Config.Simulation
	args = append([]string{"--connect", a.Addr,
		"--set", fmt.Sprintf("simulation.transmittance=%v", s.Transmittance), "--set", fmt.Sprintf("simulation.excess_noise=%v", s.ExcessNoise),
		"--set", fmt.Sprintf("simulation.eta=%v", s.Eta), "--set", fmt.Sprintf("simulation.electronic_noise=%v", s.ElectronicNoise),
		"--set", fmt.Sprintf("bob.eta=%v", s.Eta)}, args...)
	var ob, lb bytes.Buffer
	cmd := newCommand(&lb, &ob)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("qosst-bob: %v\n%s\n%s", err, ob.String(), lb.String())
	}
	return ob.String(), lb.String()
}

// help runs qosst-bob --help and returns what it prints and the command.
func help(t *testing.T) (string, *cobra.Command) {
	t.Helper()
	var out bytes.Buffer
	cmd := newCommand(&bytes.Buffer{}, &out)
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String(), cmd
}

// sameKeys fails unless bobDir holds want key files (*.key; the key
// database lives next to them), each non-empty and identical to Alice's
// file of the same name in aliceDir.
func sameKeys(t *testing.T, bobDir, aliceDir string, want int) {
	t.Helper()
	ents, err := filepath.Glob(filepath.Join(bobDir, "*.key"))
	if err != nil || len(ents) != want {
		t.Fatalf("%d key files, want %d (%v)", len(ents), want, err)
	}
	for _, e := range ents {
		b, _ := os.ReadFile(e)
		a, err := os.ReadFile(filepath.Join(aliceDir, filepath.Base(e)))
		if err != nil || len(b) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: Alice's and Bob's keys differ (%v)", filepath.Base(e), err)
		}
	}
}
