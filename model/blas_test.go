package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestParallelBLASMatchesSerial checks the banded products against gonum's own, for every
// transpose combination, shapes that split by rows and by columns, uneven bands, and strides
// larger than the matrices (sub-matrix views). A wrong band offset gives errors of order 1.
func TestParallelBLASMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	serial := gonum.Implementation{}
	for _, workers := range []int{2, 3} {
		par := parallelBLAS{BLAS: serial, workers: workers}
		for _, dims := range [][3]int{{100, 256, 784}, {784, 128, 100}, {7, 513, 300}, {301, 5, 999}, {3, 3, 3}} {
			m, n, k := dims[0], dims[1], dims[2]
			for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
					ar, ac := m, k
					if tA == blas.Trans {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB == blas.Trans {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+3, bc+1, n+2
					a := randSlice(rng, ar*lda)
					b := randSlice(rng, br*ldb)
					c1 := randSlice(rng, m*ldc)
					c2 := append([]float64(nil), c1...)
					serial.Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, c1, ldc)
					par.Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, c2, ldc)
					for i := range c1 {
						// gonum blocks the k loop differently for other band sizes: allow reordering.
						if math.Abs(c1[i]-c2[i]) > 1e-12*(1+math.Abs(c1[i])) {
							t.Fatalf("workers %d, %dx%dx%d tA=%c tB=%c: c[%d] = %v, serial %v", workers, m, n, k, tA, tB, i, c2[i], c1[i])
						}
					}
					a32, b32, c32 := to32(a), to32(b), to32(c1)
					d32 := append([]float32(nil), c32...)
					serial.Sgemm(tA, tB, m, n, k, 1.5, a32, lda, b32, ldb, 0.5, c32, ldc)
					par.Sgemm(tA, tB, m, n, k, 1.5, a32, lda, b32, ldb, 0.5, d32, ldc)
					for i := range c32 {
						if math.Abs(float64(c32[i]-d32[i])) > 1e-4*(1+math.Abs(float64(c32[i]))) {
							t.Fatalf("float32 workers %d, %dx%dx%d: c[%d] = %v, serial %v", workers, m, n, k, i, d32[i], c32[i])
						}
					}
				}
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func to32(s []float64) []float32 {
	f := make([]float32, len(s))
	for i, v := range s {
		f[i] = float32(v)
	}
	return f
}
