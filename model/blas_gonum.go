//go:build !openblas

package model

import (
	"runtime"

	G "gorgonia.org/gorgonia"
)

// UseFastBLAS switches Gorgonia's (and tensor's) matrix products, a process-wide setting, to the
// fastest implementation this build has, and returns its name. In the default, pure-Go build that
// is gonum's BLAS with large products cut into one band per core (see parallelBLAS) and each band
// into tiles (see tiledGonum); with the openblas build tag it is OpenBLAS through cgo. Without a
// call, Gorgonia uses plain gonum. The commands call it first thing; a library user chooses.
func UseFastBLAS() string {
	G.Use(newParallelBLAS(tiledGonum{}))
	return BLASName
}

// newParallelBLAS bands b's products over every core. (Here, not in blas.go: the openblas build
// does not use it.)
func newParallelBLAS(b BLAS) parallelBLAS {
	return parallelBLAS{BLAS: b, workers: runtime.GOMAXPROCS(0)}
}

// BLASName names the matrix-product implementation UseFastBLAS installs, for run headers and
// benchmarks.
const BLASName = "gonum (pure Go)"
