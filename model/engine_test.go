package model

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gteInputs returns n values of every kind a comparison with zero meets: both signs, zeros of
// both signs, subnormals, infinities and NaN.
func gteInputs(n int) []float64 {
	special := []float64{0, math.Copysign(0, -1), 1e-42, -1e-42, math.Inf(1), math.Inf(-1), math.NaN(), 0.5, -0.5}
	rng := newRNG(5)
	x := make([]float64, n)
	for i := range x {
		if i < len(special) {
			x[i] = special[i]
		} else {
			x[i] = rng.NormFloat64()
		}
	}
	rng.Shuffle(n, func(i, j int) { x[i], x[j] = x[j], x[i] })
	return x
}

// TestGraphEngineGteIsStdEng: graphEngine's x >= s gives the standard engine's 1s and 0s, bit for
// bit, in the call Gorgonia's comparison ops make (a reuse tensor of x's type), in place, for
// float32 and float64, against 0, -0 and 0.5; and it does take Gorgonia's call (gteSame), so the
// comparison does not silently fall back to the branching loop.
func TestGraphEngineGteIsStdEng(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, n := range []int{1, 9, 100, 1001} {
			for _, s := range []float64{0, math.Copysign(0, -1), 0.5} {
				for _, inPlace := range []bool{false, true} {
					x := gteInputs(n)
					var results [2]tensor.Tensor
					for k, e := range []tensor.Engine{tensor.StdEng{}, graphEngine{}} {
						var scalar any = s
						vals := tensor.New(tensor.Of(dt), tensor.WithShape(n), tensor.WithEngine(e))
						reuse := tensor.New(tensor.Of(dt), tensor.WithShape(n), tensor.WithEngine(e))
						for i, v := range x {
							if dt == tensor.Float32 {
								vals.Set(i, float32(v))
								reuse.Set(i, float32(7)) // to be overwritten
							} else {
								vals.Set(i, v)
								reuse.Set(i, 7.0)
							}
						}
						if dt == tensor.Float32 {
							scalar = float32(s)
						}
						opts := []tensor.FuncOpt{tensor.WithReuse(reuse), tensor.AsSameType()}
						if inPlace {
							opts = []tensor.FuncOpt{tensor.UseUnsafe()}
						}
						if k == 1 {
							if _, ok := gteSame(vals, scalar, true, opts); !ok {
								t.Fatalf("%v, in place %v: graphEngine does not take the call", dt, inPlace)
							}
							for i, v := range x { // gteSame wrote: restore for the call below
								vals.Set(i, scalarLike(dt, v))
							}
						}
						r, err := tensor.Gte(vals, scalar, opts...)
						if err != nil {
							t.Fatal(err)
						}
						results[k] = r
					}
					a, b := results[0].(*tensor.Dense), results[1].(*tensor.Dense)
					if a.Dtype() != b.Dtype() || !a.Shape().Eq(b.Shape()) {
						t.Fatalf("%v: result %v %v, the standard engine's %v %v", dt, b.Dtype(), b.Shape(), a.Dtype(), a.Shape())
					}
					for i := range a.Len() {
						va, _ := a.At(i)
						vb, _ := b.At(i)
						if va != vb {
							t.Fatalf("%v, %d elements, s=%v, in place %v: %v >= s gives %v, the standard engine %v", dt, n, s, inPlace, x[i], vb, va)
						}
					}
				}
			}
		}
	}
}

func scalarLike(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}

// TestGraphEngineTrainsAsStdEng: machines on graphEngine (NewMachine's) and on the standard engine
// give the same losses, logits, gradients and weights, bit for bit, over several steps, and the
// same inference outputs: a ReLU network with dropout in float32 and float64, and a perceptron
// with the binary cross-entropy (whose max(z, 0) is G.Rectify too).
func TestGraphEngineTrainsAsStdEng(t *testing.T) {
	bce := Perceptron(6, 1)
	bce.Loss = BCE
	for _, cfg := range []Config{
		withDropout(MLP(6, []int{8, 5}, 3), 0.2),
		withDType(withDropout(MLP(6, []int{8, 5}, 3), 0.2), "float64"),
		bce,
	} {
		runAll := func(vm G.VM) { run(t, vm) }
		std := trainTrail(t, cfg, runAll, G.WithEngine(tensor.StdEng{}))
		sameTrails(t, fmt.Sprintf("%v on graphEngine", cfg), std, trainTrail(t, cfg, runAll))
	}
}

// TestGraphEngineAddIsStdEng: graphEngine's in-place float32 sum gives the standard engine's bits
// (zeros of both signs, subnormals, infinities, NaN, overflow) at every remainder of vek's vector
// loop; it takes Gorgonia's unsafe call, and leaves overlapping operands to the standard engine.
func TestGraphEngineAddIsStdEng(t *testing.T) {
	for _, n := range []int{1, 7, 8, 31, 33, 257} {
		x, y := gteInputs(n), gteInputs(n)
		newRNG(uint64(n)).Shuffle(n, func(i, j int) { y[i], y[j] = y[j], y[i] })
		y[0] = 3e38 // 3e38 + 3e38 overflows to +Inf
		x[0] = 3e38
		var results [2][]float32
		for k, e := range []tensor.Engine{tensor.StdEng{}, graphEngine{}} {
			a := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n), tensor.WithEngine(e))
			b := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n), tensor.WithEngine(e))
			for i := range x {
				a.Set(i, float32(x[i]))
				b.Set(i, float32(y[i]))
			}
			if _, _, ok := inPlacePair(a, b, []tensor.FuncOpt{tensor.UseUnsafe()}); k == 1 && !ok {
				t.Fatalf("%d elements: graphEngine does not take Gorgonia's unsafe add", n)
			}
			r, err := tensor.Add(a, b, tensor.UseUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			results[k] = r.Data().([]float32)
		}
		for i := range results[0] {
			if math.Float32bits(results[0][i]) != math.Float32bits(results[1][i]) {
				t.Fatalf("%d elements: element %d is %v, the standard engine's %v", n, i, results[1][i], results[0][i])
			}
		}
	}
	backing := make([]float32, 101)
	a := tensor.New(tensor.WithShape(100), tensor.WithBacking(backing[:100]))
	b := tensor.New(tensor.WithShape(100), tensor.WithBacking(backing[1:]))
	if _, _, ok := inPlacePair(a, b, []tensor.FuncOpt{tensor.UseUnsafe()}); ok {
		t.Error("overlapping operands taken by vek's kernel")
	}
}
