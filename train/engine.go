package train

import (
	"math"
	"unsafe"

	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/tensor"
)

// simdEngine is tensor's standard engine with the element-wise float32 operations Gorgonia's
// solvers make on whole tensors in place done faster: products and sums, by a number or element
// by element, by github.com/viterin/vek's SIMD kernels (AVX2 where the processor has it, plain Go
// otherwise), the accumulation y += a·x by gonum's Saxpy (SSE), and square roots through float64
// (see Sqrt). Their results are exactly rounded IEEE operations either way, so the weights do not
// change by a bit (TestSIMDEngineIsStdEng). Everything else (division, which vek approximates;
// float64; views; overlapping operands, which vek refuses; other options) goes to the standard
// engine. Each of the solver's shares has its own engine, whose scratch buffer its solver's
// operations share.
type simdEngine struct {
	tensor.StdEng
	scratch []float32
}

// inPlace returns t's elements when an operation with opts may write them in place: a dense,
// contiguous float32 tensor, the operation unsafe, with no reuse or increment tensor.
func inPlace(t tensor.Tensor, opts []tensor.FuncOpt) ([]float32, bool) {
	fo := tensor.ParseFuncOpts(opts...)
	if fo.Safe() || fo.Incr() != nil || fo.Reuse() != nil {
		return nil, false
	}
	return float32s(t)
}

// float32s returns the elements of a dense contiguous float32 tensor.
func float32s(t tensor.Tensor) ([]float32, bool) {
	d, ok := t.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 || d.IsView() || d.IsMasked() || !d.IsNativelyAccessible() {
		return nil, false
	}
	return d.Float32s(), true
}

// overlap reports whether x and y share memory, which vek's kernels refuse (they panic).
func overlap(x, y []float32) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	x0, y0 := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	return x0 < y0+uintptr(len(y))*4 && y0 < x0+uintptr(len(x))*4
}

// buffer returns scratch space of n elements.
func (e *simdEngine) buffer(n int) []float32 {
	if cap(e.scratch) < n {
		e.scratch = make([]float32, n)
	}
	return e.scratch[:n]
}

func (e *simdEngine) Mul(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	x, ok1 := inPlace(a, opts)
	y, ok2 := float32s(b)
	if !ok1 || !ok2 || len(x) != len(y) || !a.Shape().Eq(b.Shape()) {
		return e.StdEng.Mul(a, b, opts...)
	}
	if &x[0] == &y[0] { // a squared: vek's kernels take distinct slices
		y = e.buffer(len(x))
		copy(y, x)
	} else if overlap(x, y) {
		return e.StdEng.Mul(a, b, opts...)
	}
	vek32.Mul_Inplace(x, y)
	return a, nil
}

func (e *simdEngine) Add(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	x, ok1 := inPlace(a, opts)
	y, ok2 := float32s(b)
	if !ok1 || !ok2 || len(x) != len(y) || !a.Shape().Eq(b.Shape()) || overlap(x, y) {
		return e.StdEng.Add(a, b, opts...)
	}
	vek32.Add_Inplace(x, y)
	return a, nil
}

func (e *simdEngine) MulScalar(t tensor.Tensor, s interface{}, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	v, isNumber := s.(float32)
	fo := tensor.ParseFuncOpts(opts...)
	incr, unsafe := fo.Incr(), !fo.Safe() && fo.Reuse() == nil
	x, ok := float32s(t)
	if !isNumber || !ok || !unsafe {
		return e.StdEng.MulScalar(t, s, leftTensor, opts...)
	}
	if incr == nil { // t *= v
		vek32.MulNumber_Inplace(x, v)
		return t, nil
	}
	// incr += t * v, as the standard engine does it: each product rounded, then the sum, which
	// is what gonum's Saxpy does (MULPS, then ADDPS).
	dst, ok := float32s(incr)
	if !ok || len(dst) != len(x) || overlap(dst, x) {
		return e.StdEng.MulScalar(t, s, leftTensor, opts...)
	}
	gonum.Implementation{}.Saxpy(len(x), v, x, 1, dst, 1) // SSE; no fused multiply-add
	return incr, nil
}

func (e *simdEngine) AddScalar(t tensor.Tensor, s interface{}, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	v, isNumber := s.(float32)
	x, ok := inPlace(t, opts)
	if !isNumber || !ok {
		return e.StdEng.AddScalar(t, s, leftTensor, opts...)
	}
	vek32.AddNumber_Inplace(x, v)
	return t, nil
}

// Sqrt takes square roots in place through float64, whose square root Go computes inline
// (SQRTSD), where tensor's standard engine calls math32.Sqrt, an assembly function (SQRTSS), once
// per element. Both are exact: a float64 square root rounded to float32 is the correctly rounded
// float32 square root (a float64 has more than 2·24+2 bits; Figueroa, "When is double rounding
// innocuous?", SIGNUM Newsletter 30(3), 1995), so the results are the same bit for bit.
func (e *simdEngine) Sqrt(a tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	x, ok := inPlace(a, opts)
	if !ok {
		return e.StdEng.Sqrt(a, opts...)
	}
	for i, v := range x {
		x[i] = float32(math.Sqrt(float64(v)))
	}
	return a, nil
}
