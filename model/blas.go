package model

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// parallelBLAS runs large matrix products on every core. gonum's pure-Go Sgemm/Dgemm only go
// parallel when both sides of C exceed 256 (its blockSize 64 x minParBlock 4), so the products of
// an MLP at batch 100 (100x784 by 784x256, and so on) run on one core of two. Rows (or columns)
// of C are independent, so the product is cut into one band per core and each band is a
// smaller Sgemm of the underlying implementation on its own slice of A (or B) and C.
type parallelBLAS struct {
	BLAS
	workers int
}

// BLAS is the interface gorgonia.Use takes (and passes on to tensor.Use).
type BLAS interface {
	blas.Float32
	blas.Float64
	blas.Complex64
	blas.Complex128
}

// parallelMinFlops is the size under which a product runs serially: below about 2^18
// multiply-adds the hand-off to another core costs more than it saves.
const parallelMinFlops = 1 << 18

func (p parallelBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	bands(p.workers, m, n, k, func(rows bool, lo, hi int) {
		if rows {
			p.BLAS.Sgemm(tA, tB, hi-lo, n, k, alpha, a[offsetA(tA, lo, lda):], lda, b, ldb, beta, c[lo*ldc:], ldc)
		} else {
			p.BLAS.Sgemm(tA, tB, m, hi-lo, k, alpha, a, lda, b[offsetB(tB, lo, ldb):], ldb, beta, c[lo:], ldc)
		}
	})
}

func (p parallelBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	bands(p.workers, m, n, k, func(rows bool, lo, hi int) {
		if rows {
			p.BLAS.Dgemm(tA, tB, hi-lo, n, k, alpha, a[offsetA(tA, lo, lda):], lda, b, ldb, beta, c[lo*ldc:], ldc)
		} else {
			p.BLAS.Dgemm(tA, tB, m, hi-lo, k, alpha, a, lda, b[offsetB(tB, lo, ldb):], ldb, beta, c[lo:], ldc)
		}
	})
}

// offsetA is where row i of op(A) starts: row i of A, or column i of A when A is transposed.
func offsetA(t blas.Transpose, i, lda int) int {
	if t == blas.NoTrans {
		return i * lda
	}
	return i
}

// offsetB is where column j of op(B) starts: column j of B, or row j of B when B is transposed.
func offsetB(t blas.Transpose, j, ldb int) int {
	if t == blas.NoTrans {
		return j
	}
	return j * ldb
}

// bands splits the rows (when m >= n) or the columns of an m x n result into one band per worker
// and runs do on each at once (Parallel); small products run as one band.
func bands(workers, m, n, k int, do func(rows bool, lo, hi int)) {
	rows := m >= n
	size := n
	if rows {
		size = m
	}
	if workers < 2 || m*n*k < parallelMinFlops || size < 2*workers {
		do(true, 0, m)
		return
	}
	step := (size + workers - 1) / workers
	tasks := make([]func(), 0, workers)
	for lo := 0; lo < size; lo += step {
		hi := min(lo+step, size)
		tasks = append(tasks, func() { do(rows, lo, hi) })
	}
	Parallel(tasks...)
}

// tiledGonum is gonum's BLAS with its products op(A)·B computed as tiles of C of at most
// tileRows x tileCols (the columns cut into equal parts: a result 256 wide is two tiles of 128),
// each one call of gonum's on the calling goroutine, when B is not transposed (see tileable).
//
// gonum's Sgemm/Dgemm cut C into 64x64 blocks and start a goroutine per block once C has four
// blocks or more; each block's inner loop then adds 64-element rows (one Axpy per non-zero element
// of A). For the products of an MLP step on a replica of 50 rows (a batch of 100 on two replicas:
// x·W1, the 784x256 Xᵀ·dH1, ...) that is thousands of short calls and goroutine hand-offs per
// product, while the replicas and the bands of parallelBLAS already keep the cores busy: tiles of
// fewer than four blocks run on one goroutine, with Axpys as long as the tile is wide (128 for a
// 256-wide layer), and the matrix products of such a step on two replicas at once took 0.76x the
// time of gonum's own.
//
// The numbers do not change: for these two transpose cases gonum's kernels add a[i,l]·b[l,j] into
// c[i,j] in order of l, blocked or not, so each element is the same sum in the same order
// (TestTiledGonumIsGonum compares every bit). Products with B transposed are dot products along
// k, which gonum's blocks cut into sums of 64 elements: tiled only when k is one block (the
// gradient of a layer's input through a 10-class output layer), otherwise passed on as they are.
type tiledGonum struct{ gonum.Implementation }

const (
	tileRows = 64  // gonum's blockSize: one block of rows
	tileCols = 192 // three blocks of columns: with one of rows, fewer than gonum's minParBlock (4)
)

func (t tiledGonum) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !tileable(tB, m, n, k) {
		t.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	tiles(m, n, func(i, j, rows, cols int) {
		t.Implementation.Sgemm(tA, tB, rows, cols, k, alpha, a[offsetA(tA, i, lda):], lda, b[offsetB(tB, j, ldb):], ldb, beta, c[i*ldc+j:], ldc)
	})
}

func (t tiledGonum) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !tileable(tB, m, n, k) {
		t.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	tiles(m, n, func(i, j, rows, cols int) {
		t.Implementation.Dgemm(tA, tB, rows, cols, k, alpha, a[offsetA(tA, i, lda):], lda, b[offsetB(tB, j, ldb):], ldb, beta, c[i*ldc+j:], ldc)
	})
}

// tileable reports whether tiling a product leaves every element of C the same: B not transposed,
// or a sum (k) of one gonum block.
func tileable(tB blas.Transpose, m, n, k int) bool {
	return m > 0 && n > 0 && (tB == blas.NoTrans || k <= tileRows)
}

// tiles calls do for the tiles of an m x n matrix in row-major order: bands of tileRows rows, each
// cut into the fewest columns of equal width (to one) at most tileCols wide.
func tiles(m, n int, do func(i, j, rows, cols int)) {
	parts := (n + tileCols - 1) / tileCols
	for i := 0; i < m; i += tileRows {
		rows := min(tileRows, m-i)
		for p := range parts {
			j, end := p*n/parts, (p+1)*n/parts
			do(i, j, rows, end-j)
		}
	}
}
