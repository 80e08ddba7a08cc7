//go:build !openblas

package model

import (
	"runtime"

	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// The default build is pure Go: gonum's BLAS, with large products split across cores.
func init() {
	G.Use(newParallelBLAS(gonum.Implementation{}))
}

// newParallelBLAS bands b's products over every core. (Here, not in blas.go: the openblas build
// does not use it.)
func newParallelBLAS(b BLAS) parallelBLAS {
	return parallelBLAS{BLAS: b, workers: runtime.GOMAXPROCS(0)}
}

// BLASName names the matrix-product implementation in use, for run headers and benchmarks.
const BLASName = "gonum (pure Go)"
