//go:build openblas

package model

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int num_threads);
import "C"

import (
	"runtime"

	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// UseFastBLAS switches Gorgonia's (and tensor's) matrix products, a process-wide setting, to
// OpenBLAS through cgo (the openblas build: go build -tags openblas; Debian: libopenblas-dev), and
// returns its name. OpenBLAS runs on one thread and the products are cut into one band per core
// by Go, as in the pure-Go build: OpenBLAS's own threads spin between the products while Go's
// run the rest of the step, and half the process time went to that spinning (one epoch of the
// default network at batch 100: 0.90x the wall time, 0.66x the CPU time of OpenBLAS's threads).
// (Not gorgonia's own blase package: it deadlocks the TapeMachine in non-CUDA builds.)
func UseFastBLAS() string {
	C.openblas_set_num_threads(1)
	G.Use(parallelBLAS{BLAS: netlib.Implementation{}, workers: runtime.GOMAXPROCS(0)})
	return BLASName
}

// BLASName names the matrix-product implementation UseFastBLAS installs, for run headers and
// benchmarks.
const BLASName = "OpenBLAS (cgo, one thread, banded per core)"
