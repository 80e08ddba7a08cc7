package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// awkward returns n float32s of every kind an update meets: normal values of both signs, zeros of
// both signs, subnormals, and values whose products overflow.
func awkward(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch rng.IntN(8) {
		case 0:
			x[i] = 0
		case 1:
			x[i] = float32(math.Copysign(0, -1))
		case 2:
			x[i] = float32(rng.NormFloat64()) * 1e-40 // subnormal
		case 3:
			x[i] = float32(rng.NormFloat64()) * 3e38
		default:
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}

// TestSolverEngineIsStdEng checks every operation solverEngine takes over against the standard engine,
// bit for bit, at lengths that leave every remainder of vek's vector loops, and then whole runs of
// every Gorgonia solver on tensors of each engine, the engine taking memory back after each step
// and lending it again: a block taken back while the solver's state still held it would change
// the moments, and the weights.
func TestSolverEngineIsStdEng(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	ops := map[string]func(a, b tensor.Tensor) (tensor.Tensor, error){
		"a*b": func(a, b tensor.Tensor) (tensor.Tensor, error) { return tensor.Mul(a, b, tensor.UseUnsafe()) },
		"a*a": func(a, b tensor.Tensor) (tensor.Tensor, error) { return tensor.Mul(a, a, tensor.UseUnsafe()) },
		"a+b": func(a, b tensor.Tensor) (tensor.Tensor, error) { return tensor.Add(a, b, tensor.UseUnsafe()) },
		"a*0.9": func(a, b tensor.Tensor) (tensor.Tensor, error) {
			return tensor.Mul(a, float32(0.9), tensor.UseUnsafe())
		},
		"a+1e-8": func(a, b tensor.Tensor) (tensor.Tensor, error) {
			return tensor.Add(a, float32(1e-8), tensor.UseUnsafe())
		},
		"b+=a*.999": func(a, b tensor.Tensor) (tensor.Tensor, error) {
			return tensor.Mul(a, float32(0.999), tensor.WithIncr(b), tensor.UseUnsafe())
		},
		"sqrt(a)":  func(a, b tensor.Tensor) (tensor.Tensor, error) { return tensor.Sqrt(a, tensor.UseUnsafe()) },
		"a/b":      func(a, b tensor.Tensor) (tensor.Tensor, error) { return tensor.Div(a, b, tensor.UseUnsafe()) },
		"a*b safe": func(a, b tensor.Tensor) (tensor.Tensor, error) { return tensor.Mul(a, b) },
	}
	for name, op := range ops {
		for _, n := range []int{1, 7, 8, 31, 32, 33, 64, 1001} {
			x, y := awkward(rng, n), awkward(rng, n)
			if n > 4 { // infinities and NaNs too (a NaN's payload must come through as the scalar code's)
				x[1], x[2], y[3] = float32(math.Inf(1)), math.Float32frombits(0x7fa00001), float32(math.Inf(-1))
			}
			var results [2][2][]float32 // [engine][result, b]
			for k, e := range []tensor.Engine{tensor.StdEng{}, new(solverEngine)} {
				a := tensor.New(tensor.WithShape(n), tensor.WithBacking(append([]float32(nil), x...)), tensor.WithEngine(e))
				b := tensor.New(tensor.WithShape(n), tensor.WithBacking(append([]float32(nil), y...)), tensor.WithEngine(e))
				r, err := op(a, b)
				if err != nil {
					t.Fatalf("%s, %d elements: %v", name, n, err)
				}
				results[k] = [2][]float32{r.Data().([]float32), b.Float32s()}
			}
			for j := range results[0] {
				for i := range results[0][j] {
					if math.Float32bits(results[0][j][i]) != math.Float32bits(results[1][j][i]) {
						t.Fatalf("%s, %d elements: element %d is %v, the standard engine's %v", name, n, i, results[1][j][i], results[0][j][i])
					}
				}
			}
		}
	}

	// Whole solvers: six steps over two learnables, float32 (the fast operations) and float64
	// (the standard engine's operations on recycled memory).
	for _, opt := range Optimizers {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			t.Run(fmt.Sprintf("%s/%v", opt, dt), func(t *testing.T) {
				sizes := []int{1000, 37}
				var weights [2][]*tensor.Dense
				var engine *solverEngine
				for k, e := range []tensor.Engine{tensor.StdEng{}, new(solverEngine)} {
					rng := rand.New(rand.NewPCG(1, 2))
					solver := newSolver(Config{Optimizer: opt, LearnRate: 0.01, Momentum: 0.9, Rho: 0.9})
					var vgs []G.ValueGrad
					for _, n := range sizes {
						w := awkwardOf(dt, rng, n, e)
						vgs = append(vgs, pieceVG{w: w, g: awkwardOf(dt, rng, n, e)})
						weights[k] = append(weights[k], w)
					}
					for range 6 {
						for _, vg := range vgs {
							g := vg.(pieceVG).g
							tensor.Copy(g, awkwardOf(dt, rng, g.Len(), tensor.StdEng{}))
						}
						if err := solver.Step(vgs); err != nil {
							t.Fatal(err)
						}
						if s, ok := e.(*solverEngine); ok {
							recycle(solver, s) // as the sharded solver does after each step
							checkNotTakenBack(t, solver, s)
							engine = s
						}
					}
				}
				for i := range weights[0] {
					for j := range weights[0][i].Len() {
						a, _ := weights[0][i].At(j)
						b, _ := weights[1][i].At(j)
						if !sameBits(a, b) {
							t.Fatalf("learnable %d, element %d: %v, the standard engine's %v", i, j, b, a)
						}
					}
				}
				if opt == "adam" && dt == tensor.Float32 && engine.squared == 0 {
					t.Error("Adam's square of the gradient did not go through the SIMD engine")
				}
				if opt == "adam" && len(engine.free) == 0 { // Adam clones every step; the others work in place
					t.Error("the engine took no memory back")
				}
			})
		}
	}
}

// awkwardOf returns a vector of n awkward values (see awkward) of type dt on engine e.
func awkwardOf(dt tensor.Dtype, rng *rand.Rand, n int, e tensor.Engine) *tensor.Dense {
	x := awkward(rng, n)
	if dt == tensor.Float32 {
		return tensor.New(tensor.WithShape(n), tensor.WithBacking(x), tensor.WithEngine(e))
	}
	y := make([]float64, n)
	for i, v := range x {
		y[i] = float64(v) * (1 + 1e-9) // not representable in float32: the low bits matter
	}
	return tensor.New(tensor.WithShape(n), tensor.WithBacking(y), tensor.WithEngine(e))
}

// sameBits reports whether two float32s or float64s have the same bits, or are both NaN.
func sameBits(a, b any) bool {
	switch a := a.(type) {
	case float32:
		b := b.(float32)
		return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
	case float64:
		b := b.(float64)
		return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
	}
	return false
}

// TestSolverEngineOverlap checks that operands sharing memory, which vek's kernels refuse with a
// panic, go to the standard engine and give its results.
func TestSolverEngineOverlap(t *testing.T) {
	x := awkward(rand.New(rand.NewPCG(1, 1)), 101)
	var got [2][]float32
	for k, e := range []tensor.Engine{tensor.StdEng{}, new(solverEngine)} {
		backing := append([]float32(nil), x...)
		a := tensor.New(tensor.WithShape(100), tensor.WithBacking(backing[:100]), tensor.WithEngine(e))
		b := tensor.New(tensor.WithShape(100), tensor.WithBacking(backing[1:]), tensor.WithEngine(e))
		if _, err := tensor.Mul(a, b, tensor.UseUnsafe()); err != nil {
			t.Fatal(err)
		}
		if _, err := tensor.Add(a, b, tensor.UseUnsafe()); err != nil {
			t.Fatal(err)
		}
		if _, err := tensor.Mul(a, float32(0.5), tensor.WithIncr(b), tensor.UseUnsafe()); err != nil {
			t.Fatal(err)
		}
		got[k] = backing
	}
	for i := range got[0] {
		if math.Float32bits(got[0][i]) != math.Float32bits(got[1][i]) {
			t.Fatalf("element %d: %v, the standard engine's %v", i, got[1][i], got[0][i])
		}
	}
}

// checkNotTakenBack fails if e has taken back memory that solver's state still holds. (Gorgonia's
// Adam reads its moments before it clones again, so a mistake here need not change the weights
// of a short run: hence the direct check.)
func checkNotTakenBack(t *testing.T, solver G.Solver, e *solverEngine) {
	t.Helper()
	_, slots, _ := solverSlots(solver)
	for _, sl := range slots {
		for _, d := range sl {
			for _, blocks := range e.free {
				for _, b := range blocks {
					if d != nil && b.Uintptr() == d.Uintptr() {
						t.Fatal("the engine took back a block the solver's state holds")
					}
				}
			}
		}
	}
}

// TestEngineLendsZeroedMemory: a new tensor on memory taken back is all zeros, as a new tensor is.
func TestEngineLendsZeroedMemory(t *testing.T) {
	e := new(solverEngine)
	a := tensor.New(tensor.WithShape(5), tensor.Of(tensor.Float32), tensor.WithEngine(e))
	for i := range a.Float32s() {
		a.Float32s()[i] = 1
	}
	e.recycle(nil)
	b := tensor.New(tensor.WithShape(5), tensor.Of(tensor.Float32), tensor.WithEngine(e))
	if b.Uintptr() != a.Uintptr() {
		t.Fatal("the engine did not lend the block it took back")
	}
	for i, v := range b.Float32s() {
		if v != 0 {
			t.Fatalf("element %d of a new tensor is %v", i, v)
		}
	}
}

// TestWeightedSumIsScalar checks the SIMD combination of the replicas' float32 gradients against
// the scalar float32 loop it replaced, bit for bit, over every vector remainder and sub-range.
func TestWeightedSumIsScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	weights := []float64{0.34, 0.33, 0.33}
	for _, n := range []int{1, 7, 8, 33, 1001} {
		var gs []*tensor.Dense
		var want [][]float32
		for range weights {
			x := awkward(rng, n)
			gs = append(gs, tensor.New(tensor.WithShape(n), tensor.WithBacking(x)))
			want = append(want, append([]float32(nil), x...))
		}
		lo, hi := n/3, n
		for i := lo; i < hi; i++ {
			want[0][i] *= float32(weights[0])
			for k := 1; k < len(want); k++ {
				want[0][i] += float32(weights[k]) * want[k][i]
				want[k][i] = 0
			}
		}
		weightedSum(gs, weights, lo, hi)
		for k := range gs {
			for i, v := range gs[k].Float32s() {
				if math.Float32bits(v) != math.Float32bits(want[k][i]) {
					t.Fatalf("%d elements: gradient %d, element %d is %v, the scalar loop's %v", n, k, i, v, want[k][i])
				}
			}
		}
	}
}
