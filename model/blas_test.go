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
					a, b, c1, lda, ldb, ldc := gemmOperands(rng, tA, tB, m, n, k, 0)
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

// gemmOperands returns random A, B and C for C = op(A)·op(B) of m x n x k, each a sub-matrix of
// a wider one (strides lda, ldb, ldc beyond its columns), with the given share of A's elements 0.
func gemmOperands(rng *rand.Rand, tA, tB blas.Transpose, m, n, k int, zeros float64) (a, b, c []float64, lda, ldb, ldc int) {
	ar, ac := m, k
	if tA == blas.Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB == blas.Trans {
		br, bc = n, k
	}
	lda, ldb, ldc = ac+3, bc+1, n+2
	a = randSlice(rng, ar*lda)
	for i := range a {
		if rng.Float64() < zeros {
			a[i] = 0
		}
	}
	return a, randSlice(rng, br*ldb), randSlice(rng, m*ldc), lda, ldb, ldc
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

// TestTiledGonumIsGonum checks that cutting the products into tiles changes no bit: every
// transpose case (those with B transposed pass through), shapes of one tile and of many, uneven
// column parts, sparse A (gonum skips its zeros), sub-matrix strides, and beta 0, 1 and 0.5.
func TestTiledGonumIsGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var plain gonum.Implementation
	var tiled tiledGonum
	for _, dims := range [][3]int{{100, 256, 784}, {784, 256, 100}, {50, 10, 256}, {256, 10, 50}, {50, 256, 10}, {300, 200, 64}, {300, 200, 65}, {65, 193, 70}, {1, 1000, 3}, {3, 3, 3}} {
		m, n, k := dims[0], dims[1], dims[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, beta := range []float64{0, 1, 0.5} {
					// A as sparse as MNIST's pixels
					a, b, c1, lda, ldb, ldc := gemmOperands(rng, tA, tB, m, n, k, 0.8)
					c2 := append([]float64(nil), c1...)
					plain.Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, c1, ldc)
					tiled.Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, c2, ldc)
					for i := range c1 {
						if c1[i] != c2[i] {
							t.Fatalf("%dx%dx%d tA=%c tB=%c beta %v: c[%d] = %v, gonum's %v", m, n, k, tA, tB, beta, i, c2[i], c1[i])
						}
					}
					a32, b32, c32 := to32(a), to32(b), to32(c1)
					d32 := append([]float32(nil), c32...)
					plain.Sgemm(tA, tB, m, n, k, 1.5, a32, lda, b32, ldb, float32(beta), c32, ldc)
					tiled.Sgemm(tA, tB, m, n, k, 1.5, a32, lda, b32, ldb, float32(beta), d32, ldc)
					for i := range c32 {
						if c32[i] != d32[i] {
							t.Fatalf("float32 %dx%dx%d tA=%c tB=%c beta %v: c[%d] = %v, gonum's %v", m, n, k, tA, tB, beta, i, d32[i], c32[i])
						}
					}
				}
			}
		}
	}
}

// TestTiles checks the tiling itself: every element of C in exactly one tile, no tile over
// tileRows x tileCols.
func TestTiles(t *testing.T) {
	for _, dims := range [][2]int{{1, 1}, {64, 192}, {65, 193}, {784, 256}, {100, 10}, {3, 1000}} {
		m, n := dims[0], dims[1]
		seen := make([]int, m*n)
		tiles(m, n, func(i, j, rows, cols int) {
			if rows < 1 || cols < 1 || rows > tileRows || cols > tileCols {
				t.Fatalf("%dx%d: tile %dx%d at (%d, %d)", m, n, rows, cols, i, j)
			}
			for r := i; r < i+rows; r++ {
				for c := j; c < j+cols; c++ {
					seen[r*n+c]++
				}
			}
		})
		for e, s := range seen {
			if s != 1 {
				t.Fatalf("%dx%d: element %d in %d tiles", m, n, e, s)
			}
		}
	}
}
