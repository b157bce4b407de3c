//go:build !linux

package qcldpc

import "time"

// threadCPUTime is unavailable here: speed figures are wall-clock only.
func threadCPUTime() (time.Duration, bool) { return 0, false }

// processCPUTime is unavailable here.
func processCPUTime() (time.Duration, bool) { return 0, false }
