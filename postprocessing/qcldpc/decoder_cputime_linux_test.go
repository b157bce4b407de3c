//go:build linux

package qcldpc

import (
	"syscall"
	"time"
)

// threadCPUTime is the CPU time of the calling OS thread (the caller locks
// its goroutine to the thread), so that speed figures do not depend on what
// else the machine runs.
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// processCPUTime is the CPU time of the whole process, all threads.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
