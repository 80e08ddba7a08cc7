package train

import (
	"unsafe"

	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/tensor"
)

// A solverEngine is the tensor engine of the tensors the sharded solver hands Gorgonia's solvers
// (pieces of the learnables, and the clones and state the solvers make of them); each share has
// its own. It changes two things and no number:
//
//   - Element-wise float32 operations in place are done faster: products and sums, by a number or
//     element by element, by github.com/viterin/vek's SIMD kernels (AVX2 where the processor has
//     it, plain Go otherwise), the accumulation y += a·x by gonum's Saxpy (SSE), and division,
//     square roots and squares by SSE instructions of our own (engine_amd64.s: vek's division
//     and square root are approximations, and its product refuses a tensor times itself).
//     Their results are exactly rounded IEEE operations either way, so the weights do not change
//     by a bit (TestSolverEngineIsStdEng). Float64, views and overlapping operands (which vek
//     refuses) go to tensor's standard engine.
//   - Memory is recycled. Gorgonia's Adam clones four tensors the size of the parameters every
//     step (3.3 MB a step for the default network), which made the garbage collector run many
//     times a second and zero fresh memory for each clone. After each step the engine takes back
//     every block it lent but those the solver's state still holds (its cache, read as for
//     checkpoints), and lends them again, zeroed, for the next step's tensors.
//
// Everything else is the standard engine's. The engine is not one of tensor's standard engines (it
// does not implement the whole of their interface): that is what makes tensor ask it for memory.
type solverEngine struct {
	std     tensor.StdEng
	squared int // tensors squared in place (Adam's g²: vek's product takes distinct slices), for the tests

	lent []block           // blocks handed out and not taken back
	free map[int64][]block // blocks taken back, by size in bytes
	live map[uintptr]bool  // recycle's set of blocks the solver holds, kept from step to step
}

// A block is memory lent to a tensor.
type block []byte

func (b block) Uintptr() uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
func (b block) MemSize() uintptr { return uintptr(len(b)) }

// Alloc lends a block of size bytes, zeroed: a recycled one if there is one of that size.
func (e *solverEngine) Alloc(size int64) (tensor.Memory, error) {
	var b block
	if blocks := e.free[size]; len(blocks) > 0 {
		b = blocks[len(blocks)-1]
		e.free[size] = blocks[:len(blocks)-1]
		clear(b)
	} else {
		b = make(block, size)
	}
	e.lent = append(e.lent, b)
	return b, nil
}

// recycle takes back every lent block but those whose first byte is in live.
func (e *solverEngine) recycle(live map[uintptr]bool) {
	if e.free == nil {
		e.free = make(map[int64][]block)
	}
	kept := e.lent[:0]
	for _, b := range e.lent {
		if live[b.Uintptr()] {
			kept = append(kept, b)
		} else {
			e.free[int64(len(b))] = append(e.free[int64(len(b))], b)
		}
	}
	clear(e.lent[len(kept):])
	e.lent = kept
}

// forget drops every lent block without taking it back (the garbage collector will).
func (e *solverEngine) forget() {
	clear(e.lent)
	e.lent = e.lent[:0]
}

// The rest of tensor.Engine: what the standard engine does.

func (e *solverEngine) AllocAccessible() bool                             { return true }
func (e *solverEngine) Free(mem tensor.Memory, size int64) error          { return nil }
func (e *solverEngine) Memset(mem tensor.Memory, v any) error             { return e.std.Memset(mem, v) }
func (e *solverEngine) Memclr(mem tensor.Memory)                          { e.std.Memclr(mem) }
func (e *solverEngine) Memcpy(dst, src tensor.Memory) error               { return e.std.Memcpy(dst, src) }
func (e *solverEngine) Accessible(m tensor.Memory) (tensor.Memory, error) { return e.std.Accessible(m) }
func (e *solverEngine) WorksWith(order tensor.DataOrder) bool             { return e.std.WorksWith(order) }

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

// operands returns the elements of a, to be written in place, and of b, for the element-wise
// operations done here: float32 dense tensors of the same shape, a written in place; ok is false
// otherwise (the standard engine then does the operation).
func operands(a, b tensor.Tensor, opts []tensor.FuncOpt) (x, y []float32, ok bool) {
	x, ok1 := inPlace(a, opts)
	y, ok2 := float32s(b)
	if !ok1 || !ok2 || len(x) != len(y) || !a.Shape().Eq(b.Shape()) {
		return nil, nil, false
	}
	return x, y, true
}

func (e *solverEngine) Mul(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	x, y, ok := operands(a, b, opts)
	if !ok {
		return e.std.Mul(a, b, opts...)
	}
	if len(x) > 0 && &x[0] == &y[0] { // a squared (Adam's g²): vek's kernels take distinct slices
		squareInPlace(x)
		e.squared++
		return a, nil
	}
	if overlap(x, y) {
		return e.std.Mul(a, b, opts...)
	}
	vek32.Mul_Inplace(x, y)
	return a, nil
}

func (e *solverEngine) Add(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	x, y, ok := operands(a, b, opts)
	if !ok || overlap(x, y) {
		return e.std.Add(a, b, opts...)
	}
	vek32.Add_Inplace(x, y)
	return a, nil
}

func (e *solverEngine) MulScalar(t tensor.Tensor, s interface{}, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	v, isNumber := s.(float32)
	fo := tensor.ParseFuncOpts(opts...)
	incr, unsafe := fo.Incr(), !fo.Safe() && fo.Reuse() == nil
	x, ok := float32s(t)
	if !isNumber || !ok || !unsafe {
		return e.std.MulScalar(t, s, leftTensor, opts...)
	}
	if incr == nil { // t *= v
		vek32.MulNumber_Inplace(x, v)
		return t, nil
	}
	// incr += t * v, as the standard engine does it: each product rounded, then the sum, which
	// is what gonum's Saxpy does (MULPS, then ADDPS).
	dst, ok := float32s(incr)
	if !ok || len(dst) != len(x) || overlap(dst, x) {
		return e.std.MulScalar(t, s, leftTensor, opts...)
	}
	gonum.Implementation{}.Saxpy(len(x), v, x, 1, dst, 1) // SSE; no fused multiply-add
	return incr, nil
}

func (e *solverEngine) AddScalar(t tensor.Tensor, s interface{}, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	v, isNumber := s.(float32)
	x, ok := inPlace(t, opts)
	if !isNumber || !ok {
		return e.std.AddScalar(t, s, leftTensor, opts...)
	}
	vek32.AddNumber_Inplace(x, v)
	return t, nil
}

// Sqrt takes square roots in place, four at a time (sqrtInPlace: SQRTPS on amd64), where tensor's
// standard engine calls math32.Sqrt, an assembly function (SQRTSS), once per element. Both are
// exactly rounded, so the results are the same bit for bit.
func (e *solverEngine) Sqrt(a tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	x, ok := inPlace(a, opts)
	if !ok {
		return e.std.Sqrt(a, opts...)
	}
	sqrtInPlace(x)
	return a, nil
}

// Div divides element by element in place, four at a time (divInPlace: DIVPS on amd64), where
// tensor's standard engine divides one element at a time (DIVSS): exactly rounded both, the same
// bits. vek's division is not used: it multiplies by an approximate reciprocal (RCPPS and a
// Newton step), which is not always the correctly rounded quotient.
func (e *solverEngine) Div(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	x, y, ok := operands(a, b, opts)
	if !ok || overlap(x, y) {
		return e.std.Div(a, b, opts...)
	}
	divInPlace(x, y)
	return a, nil
}

// The other operations Gorgonia's solvers make: the standard engine's.

func (e *solverEngine) Sub(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	return e.std.Sub(a, b, opts...)
}

func (e *solverEngine) SubScalar(t tensor.Tensor, s any, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	return e.std.SubScalar(t, s, leftTensor, opts...)
}

func (e *solverEngine) DivScalar(t tensor.Tensor, s any, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	return e.std.DivScalar(t, s, leftTensor, opts...)
}

func (e *solverEngine) InvSqrt(a tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	return e.std.InvSqrt(a, opts...)
}

func (e *solverEngine) Square(a tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	return e.std.Square(a, opts...)
}

func (e *solverEngine) Sign(a tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	return e.std.Sign(a, opts...)
}

func (e *solverEngine) Clamp(a tensor.Tensor, lo, hi any, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	return e.std.Clamp(a, lo, hi, opts...)
}
