//go:build unix

package train

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user and system CPU time so far (getrusage), for the benchmarks'
// busy-cores figure; ok is false where it is not known.
func cpuTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
