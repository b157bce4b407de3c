package main

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type pflagFlag = pflag.Flag

// safeBuffer is a bytes.Buffer safe for the logger's and the test's goroutines.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// help runs qosst-alice --help and returns what it prints and the command.
func help(t *testing.T) (string, *cobra.Command) {
	t.Helper()
	var out bytes.Buffer
	cmd := newCommand(&out)
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String(), cmd
}

// serve runs qosst-alice with args, its logs going to logs, and returns the
// address it listens on once it accepts connections, and stop: stop ends
// the command's context and fails the test unless it returns nil within
// 10 s. stop runs at the end of the test if not before; serve fails the test
// when the command exits or does not start within 10 s.
func serve(t *testing.T, logs *safeBuffer, args ...string) (addr string, stop func()) {
	t.Helper()
	ready := make(chan string, 1)
	cmd := newCommandReady(logs, ready)
	cmd.SetArgs(args)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("qosst-alice stopped with %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("qosst-alice did not stop")
			}
		})
	}
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("qosst-alice exited: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Cleanup(stop)
		t.Fatal("qosst-alice did not start")
	}
	t.Cleanup(stop)
	return addr, stop
}
