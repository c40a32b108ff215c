//go:build unix

package sightings

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time (the machine is shared, so
// wall time is noisy).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
