//go:build !unix

package train

import "time"

// cpuTime is not known here (see cpu_unix_test.go).
func cpuTime() (time.Duration, bool) { return 0, false }
