//go:build unix

package train

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the process has used so far, summed over its
// threads (getrusage(2) with RUSAGE_SELF: ru_utime and ru_stime, as time(1) reports them); ok is
// false where it is not known.
func processCPU() (user, system time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), true
}
