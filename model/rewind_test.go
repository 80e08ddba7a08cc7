package model

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestRunIsRunAll: running the machines' programs on the calling goroutine (Run) gives RunAll's
// results bit for bit over several training steps (losses, logits and every gradient, for ReLU
// with dropout in float32 and float64, tanh with the mean squared error, and a perceptron with
// the binary cross-entropy) and the same inference outputs; and Run does run them itself rather
// than falling back to RunAll.
func TestRunIsRunAll(t *testing.T) {
	bce := Perceptron(6, 1)
	bce.Loss = BCE
	mse := withAct(MLP(6, []int{8}, 3), "tanh")
	mse.Loss = MSE
	for _, cfg := range []Config{
		withDropout(MLP(6, []int{8, 5}, 3), 0.2),
		withDType(withDropout(MLP(6, []int{8, 5}, 3), 0.2), "float64"),
		mse,
		bce,
	} {
		var runs [2][]float64
		for k, useRun := range []bool{false, true} {
			net := mustNew(t, cfg, 3)
			tg, err := net.NewTrainGraph(16)
			if err != nil {
				t.Fatal(err)
			}
			vm := tg.NewMachine()
			runVM := func(vm G.VM) {
				t.Helper()
				if !useRun {
					if err := vm.RunAll(); err != nil {
						t.Fatal(err)
					}
				} else if ran, err := runOnCaller(vm); !ran || err != nil {
					t.Fatalf("%v: Run ran the program itself: %v, error %v", cfg, ran, err)
				}
				if err := Rewind(vm); err != nil {
					t.Fatal(err)
				}
			}
			rng := newRNG(4)
			solver := G.NewAdamSolver(G.WithLearnRate(0.05))
			for range 4 {
				xs := make([]float64, 16*cfg.Inputs)
				for i := range xs {
					xs[i] = rng.NormFloat64()
				}
				setData(t, tg.XValue, xs)
				ys := make([]float64, tg.YValue.Shape().TotalSize())
				fillTargets(ys, cfg.Outputs, rng)
				setData(t, tg.YValue, ys)
				tg.FillMasks(rng)
				runVM(vm)
				runs[k] = append(runs[k], tg.LossValue())
				runs[k] = append(runs[k], f64s(t, tg.LogitsValue())...)
				for _, n := range tg.Learnables {
					runs[k] = append(runs[k], gradOf(t, n)...)
				}
				if err := solver.Step(G.NodesToValueGrads(tg.Learnables)); err != nil {
					t.Fatal(err)
				}
			}
			ig, err := net.NewInferGraph(7)
			if err != nil {
				t.Fatal(err)
			}
			xs := make([]float64, 7*cfg.Inputs)
			for i := range xs {
				xs[i] = rng.NormFloat64()
			}
			setData(t, ig.XValue, xs)
			runVM(ig.NewMachine())
			runs[k] = append(runs[k], f64s(t, ig.ProbsValue())...)
		}
		if len(runs[0]) != len(runs[1]) {
			t.Fatalf("%v: %d values with RunAll, %d with Run", cfg, len(runs[0]), len(runs[1]))
		}
		for i := range runs[0] {
			if math.Float64bits(runs[0][i]) != math.Float64bits(runs[1][i]) {
				t.Fatalf("%v: value %d is %v with Run, %v with RunAll", cfg, i, runs[1][i], runs[0][i])
			}
		}
	}
}

// TestRunFallsBack: what Run cannot run itself, RunAll runs.
func TestRunFallsBack(t *testing.T) {
	g := G.NewGraph()
	x := G.NewScalar(g, G.Float64, G.WithName("x"), G.WithValue(2.0))
	y, err := G.Mul(x, x)
	if err != nil {
		t.Fatal(err)
	}
	var out G.Value
	G.Read(y, &out)
	lisp := G.NewLispMachine(g, G.ExecuteFwdOnly())
	if ran, _ := runOnCaller(lisp); ran {
		t.Fatal("a LispMachine was run as a tape machine")
	}
	if err := Run(lisp); err != nil {
		t.Fatal(err)
	}
	if out == nil || out.Data().(float64) != 4 {
		t.Fatalf("x*x = %v, want 4", out)
	}
}
