package train

import "github.com/chewxy/math32"

// divInPlace sets x[i] to x[i] / y[i] for every element of x, and to +Inf where y[i] is zero, as
// tensor's standard engine does (gorgonia.org/vecf32.Div); y has at least len(x) elements and
// does not overlap x. Four elements at a time (DIVPS, exactly rounded as the scalar division).
func divInPlace(x, y []float32) {
	n := len(x) &^ 3
	divBlocks(x[:n], y[:n])
	for i := n; i < len(x); i++ {
		if y[i] == 0 {
			x[i] = math32.Inf(1)
			continue
		}
		x[i] /= y[i]
	}
}

// sqrtInPlace sets x[i] to its square root, eight elements at a time (SQRTPS, exactly rounded as
// math32.Sqrt's SQRTSS).
func sqrtInPlace(x []float32) {
	n := len(x) &^ 7
	sqrtBlocks(x[:n])
	for i := n; i < len(x); i++ {
		x[i] = math32.Sqrt(x[i])
	}
}

// squareInPlace sets x[i] to x[i]·x[i], eight elements at a time (MULPS, exactly rounded as the
// scalar product).
func squareInPlace(x []float32) {
	n := len(x) &^ 7
	squareBlocks(x[:n])
	for i := n; i < len(x); i++ {
		x[i] *= x[i]
	}
}

// squareBlocks is squareInPlace for len(x) a multiple of 8 (engine_amd64.s).
//
//go:noescape
func squareBlocks(x []float32)

// divBlocks is divInPlace for len(x) a multiple of 4 (engine_amd64.s).
//
//go:noescape
func divBlocks(x, y []float32)

// sqrtBlocks is sqrtInPlace for len(x) a multiple of 8 (engine_amd64.s).
//
//go:noescape
func sqrtBlocks(x []float32)
