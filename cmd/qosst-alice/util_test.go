package main

import (
	"bytes"
	"sync"

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
