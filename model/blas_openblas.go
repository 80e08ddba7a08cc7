//go:build openblas

package model

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// UseFastBLAS switches Gorgonia's (and tensor's) matrix products, a process-wide setting, to
// OpenBLAS through cgo (the openblas build: go build -tags openblas; Debian: libopenblas-dev), and
// returns its name. OpenBLAS runs its own threads, so no banding is added. (Not gorgonia's own
// blase package: it deadlocks the TapeMachine in non-CUDA builds.)
func UseFastBLAS() string {
	G.Use(netlib.Implementation{})
	return BLASName
}

// BLASName names the matrix-product implementation UseFastBLAS installs, for run headers and
// benchmarks.
const BLASName = "OpenBLAS (cgo)"
