package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the real main when re-executed by TestSIGTERMStopsGracefully.
func TestMain(m *testing.M) {
	if os.Getenv("QOSST_ALICE_RUN_MAIN") == "1" {
		os.Args = append([]string{"qosst-alice"}, strings.Fields(os.Getenv("QOSST_ALICE_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The binary stops gracefully on SIGTERM (and SIGINT): it logs the stop and
// exits 0.
func TestSIGTERMStopsGracefully(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "QOSST_ALICE_RUN_MAIN=1",
				"QOSST_ALICE_ARGS=--listen 127.0.0.1:0 --log-format json --keys "+t.TempDir())
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan map[string]any, 16)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					var v map[string]any
					if json.Unmarshal(sc.Bytes(), &v) == nil {
						lines <- v
					}
				}
				close(lines)
			}()
			waitFor := func(msg string) {
				t.Helper()
				deadline := time.After(20 * time.Second)
				for {
					select {
					case v, ok := <-lines:
						if !ok {
							t.Fatalf("qosst-alice exited before logging %q", msg)
						}
						if v["message"] == msg {
							return
						}
					case <-deadline:
						cmd.Process.Kill()
						t.Fatalf("no %q log line", msg)
					}
				}
			}
			waitFor("alice serving")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitFor("alice stopped")
			for range lines { // read stderr to its end before Wait closes it
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit after %v: %v", sig, err)
			}
		})
	}
}
