package model

import (
	"unsafe"

	"github.com/viterin/vek/vek32"
	"gorgonia.org/tensor"
)

// graphEngine is the tensor engine of the training and inference machines' values: tensor's
// standard engine with two operations done faster and no number changed (TestGraphEngineGteIsStdEng,
// TestGraphEngineTrainsAsStdEng).
//
//   - G.Rectify (the ReLU activation and the binary cross-entropy's max(z, 0)) is x ⊙ (x >= 0): a
//     comparison that returns 1 or 0 in x's type, then a product. The standard engine's comparison
//     branches on every element (if a[i] >= b { a[i] = 1 } else { a[i] = 0 }), and as about half
//     of a layer's pre-activations are negative, in no order, the branch is mispredicted about
//     half the time. GteScalar computes the same 1s and 0s without a branch (gteMask).
//   - The in-place sums of float32 tensors (the gradients a machine adds to those it finds, the
//     bias) run on github.com/viterin/vek's SIMD kernel instead of a scalar loop (Add).
//
// Any other case is the standard engine's.
type graphEngine struct{ tensor.StdEng }

// GteScalar is t >= s, element by element, as tensor.StdEng.GteScalar.
func (e graphEngine) GteScalar(t tensor.Tensor, s any, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	if out, ok := gteSame(t, s, leftTensor, opts); ok {
		return out, nil
	}
	return e.StdEng.GteScalar(t, s, leftTensor, opts...)
}

// gteSame computes t >= s into the reuse tensor of opts, or into t when the operation is
// unsafe, as 1s and 0s of t's type (tensor.AsSameType), for a dense contiguous float32 or
// float64 t and a scalar s on the right; ok is false for anything else.
func gteSame(t tensor.Tensor, s any, leftTensor bool, opts []tensor.FuncOpt) (out tensor.Tensor, ok bool) {
	fo := tensor.ParseFuncOpts(opts...)
	reuse, incr := fo.IncrReuse()
	if !leftTensor || incr || fo.Safe() && (!fo.Same() || reuse == nil) || !fo.Safe() && reuse != nil {
		return nil, false // a boolean result, a new tensor, or an increment: the standard engine's
	}
	x, ok := t.(*tensor.Dense)
	if !ok || x.IsView() || x.IsMasked() || !x.IsNativelyAccessible() {
		return nil, false
	}
	dst := x // unsafe: in place
	if reuse != nil {
		if dst, ok = reuse.(*tensor.Dense); !ok || dst.IsView() || dst.IsMasked() || dst.Dtype() != x.Dtype() || !dst.Shape().Eq(x.Shape()) {
			return nil, false
		}
	}
	switch xs := x.Data().(type) {
	case []float32:
		v, ok := scalarOf[float32](s)
		if !ok {
			return nil, false
		}
		gteMask(dst.Data().([]float32), xs, v)
	case []float64:
		v, ok := scalarOf[float64](s)
		if !ok {
			return nil, false
		}
		gteMask(dst.Data().([]float64), xs, v)
	default:
		return nil, false
	}
	return dst, true
}

// scalarOf returns s as a T: a T, or a tensor of one T (Gorgonia passes its scalars as such).
func scalarOf[T float32 | float64](s any) (T, bool) {
	switch v := s.(type) {
	case T:
		return v, true
	case tensor.Tensor:
		if v.Shape().IsScalar() {
			if d, ok := v.Data().(T); ok {
				return d, true
			}
			if d, ok := v.Data().([]T); ok && len(d) == 1 {
				return d[0], true
			}
		}
	}
	return 0, false
}

// gteMask sets dst[i] to 1 where x[i] >= s and to 0 elsewhere (also where x[i] is NaN), without
// a branch: the comparison picks the integer 1 or 0 by a conditional move, then converted.
func gteMask[T float32 | float64](dst, x []T, s T) {
	dst = dst[:len(x)]
	for i, v := range x {
		var b int32
		if v >= s {
			b = 1
		}
		dst[i] = T(b)
	}
}

// Add is a + b, element by element, as tensor.StdEng.Add; in place on float32 tensors of the
// same shape (Gorgonia's unsafe adds: the gradients a machine accumulates, the bias) it runs on
// vek's SIMD kernel, whose sums are exactly rounded as the scalar loop's.
func (e graphEngine) Add(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	if x, y, ok := inPlacePair(a, b, opts); ok {
		vek32.Add_Inplace(x, y)
		return a, nil
	}
	return e.StdEng.Add(a, b, opts...)
}

// inPlacePair returns the elements of a and b when an element-wise operation with opts may write
// a's in place from b's on vek's kernels: both dense, contiguous float32 tensors of the same
// shape, not overlapping (vek refuses that), the operation unsafe, without reuse or increment.
func inPlacePair(a, b tensor.Tensor, opts []tensor.FuncOpt) (x, y []float32, ok bool) {
	fo := tensor.ParseFuncOpts(opts...)
	if fo.Safe() || fo.Incr() != nil || fo.Reuse() != nil || !a.Shape().Eq(b.Shape()) {
		return nil, nil, false
	}
	x, ok1 := denseFloat32s(a)
	y, ok2 := denseFloat32s(b)
	if !ok1 || !ok2 || len(x) != len(y) || len(x) == 0 {
		return nil, nil, false
	}
	if p, q := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0])); p < q+uintptr(4*len(y)) && q < p+uintptr(4*len(x)) {
		return nil, nil, false
	}
	return x, y, true
}

func denseFloat32s(t tensor.Tensor) ([]float32, bool) {
	d, ok := t.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 || d.IsView() || d.IsMasked() || !d.IsNativelyAccessible() {
		return nil, false
	}
	return d.Float32s(), true
}
