//go:build !openblas

package model

import (
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// The default build is pure Go: gonum's BLAS, with large products split across cores.
func init() {
	G.Use(newParallelBLAS(gonum.Implementation{}))
}

// BLASName names the matrix-product implementation in use, for run headers and benchmarks.
const BLASName = "gonum (pure Go)"
