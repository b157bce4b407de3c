package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The demo runs Alice and Bob over loopback TCP, reports every frame and
// leaves byte-identical key files in --out for every completed frame (a
// frame may be dropped for a statistical reason, e.g. PE_DENIED when the
// excess noise estimate fluctuates high; it must then leave no key).
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	var out, logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Three frames smaller than the default, still with finite-size
	// estimation (300 000 symbols, half disclosed: ξ's bound lies about
	// 0.06 above its estimate, and keys remain while the estimate stays
	// below about 0.06, far above the simulated 0.01): each may be dropped
	// on a rare fluctuation, all three almost never.
	o := demoOptions{frames: 3, symbols: 300_000, peRatio: 0.5, out: dir, logLevel: "warn", logFormat: "json"}
	res, err := runDemo(ctx, o, &out, &logs)
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), logs.String())
	}
	text := out.String()
	for _, want := range []string{"estimated  T = ", "key rate", "(finite-size, announced", "multidimensional reconciliation",
		"time       identification", "byte-identical",
		"of 3 frames completed with identical keys"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	uuids := regexp.MustCompile(`frame \d  ([0-9a-f-]{36})`).FindAllStringSubmatch(text, -1)
	if len(uuids) != 3 || len(res.summaries) != 3 {
		t.Fatalf("%d frames reported:\n%s", len(uuids), text)
	}
	if res.matched == 0 || res.mismatched != 0 {
		t.Fatalf("matched %d, mismatched %d", res.matched, res.mismatched)
	}
	for i, m := range uuids {
		a, aerr := os.ReadFile(filepath.Join(dir, "alice", m[1]+".key"))
		b, berr := os.ReadFile(filepath.Join(dir, "bob", m[1]+".key"))
		if res.summaries[i].Err != nil {
			if !errors.Is(aerr, os.ErrNotExist) || !errors.Is(berr, os.ErrNotExist) {
				t.Errorf("dropped frame %s left a key file", m[1])
			}
			continue
		}
		if aerr != nil || berr != nil {
			t.Fatal(aerr, berr)
		}
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("frame %s: key files differ or are empty (%d, %d bytes)", m[1], len(a), len(b))
		}
	}
}

// Without --out the key files live in a temporary directory that is gone
// afterwards.
func TestDemoCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out bytes.Buffer
	o := demoOptions{frames: 1, symbols: 50_000, peRatio: 0.3, logLevel: "error", logFormat: "json"}
	if _, err := runDemo(context.Background(), o, &out, &bytes.Buffer{}); err != nil && !errors.Is(err, errNoFrame) {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	ents, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestDemoRejectsNoFrames(t *testing.T) {
	o := demoOptions{frames: 0, symbols: 300_000, peRatio: 0.2, logLevel: "error", logFormat: "json"}
	if _, err := runDemo(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Fatal("demo with 0 frames succeeded")
	}
}

// `qosst demo` is registered on the root command and honours its flags.
func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&bytes.Buffer{})
	rootCmd.SetArgs([]string{"demo", "--frames", "1", "--symbols", "150000", "--pe-ratio", "0.3", "--out", dir, "--log-level", "error"})
	defer rootCmd.SetArgs(nil)
	err := rootCmd.Execute()
	if err != nil && !errors.Is(err, errNoFrame) {
		t.Fatalf("qosst demo: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "150000 symbols per frame") || !strings.Contains(out.String(), "of 1 frames completed") {
		t.Errorf("output:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "bob")); err != nil {
		t.Errorf("--out not used: %v", err)
	}
}
