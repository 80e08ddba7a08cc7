//go:build !amd64

package train

import "github.com/chewxy/math32"

// divInPlace sets x[i] to x[i] / y[i] for every element of x, and to +Inf where y[i] is zero, as
// tensor's standard engine does (gorgonia.org/vecf32.Div); y has at least len(x) elements and
// does not overlap x.
func divInPlace(x, y []float32) {
	y = y[:len(x)]
	for i := range x {
		if y[i] == 0 {
			x[i] = math32.Inf(1)
			continue
		}
		x[i] /= y[i]
	}
}

// sqrtInPlace sets x[i] to its square root, exactly rounded.
func sqrtInPlace(x []float32) {
	for i, v := range x {
		x[i] = math32.Sqrt(v)
	}
}

// squareInPlace sets x[i] to x[i]·x[i].
func squareInPlace(x []float32) {
	for i := range x {
		x[i] *= x[i]
	}
}
