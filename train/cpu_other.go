//go:build !unix

package train

import "time"

// processCPU is not known here (see cpu_unix.go): Epoch.UserSeconds is NaN.
func processCPU() (user, system time.Duration, ok bool) { return 0, 0, false }
