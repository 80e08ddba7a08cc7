//go:build openblas

package model

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// The openblas build (go build -tags openblas) hands every matrix product to OpenBLAS through cgo
// (Debian: libopenblas-dev). OpenBLAS runs its own threads, so no banding is added. gorgonia.Use
// also switches tensor's BLAS. (Not gorgonia's own blase package: it deadlocks the TapeMachine in
// non-CUDA builds.)
func init() {
	G.Use(netlib.Implementation{})
}

// BLASName names the matrix-product implementation in use, for run headers and benchmarks.
const BLASName = "OpenBLAS (cgo)"
