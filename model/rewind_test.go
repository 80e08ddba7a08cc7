package model

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
		runAll := trainTrail(t, cfg, func(vm G.VM) {
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			if err := Rewind(vm); err != nil {
				t.Fatal(err)
			}
		})
		onCaller := trainTrail(t, cfg, func(vm G.VM) {
			if ran, err := runOnCaller(vm); !ran || err != nil {
				t.Fatalf("%v: Run did not run the program itself (ran %v, error %v)", cfg, ran, err)
			}
			if err := Rewind(vm); err != nil {
				t.Fatal(err)
			}
		})
		sameTrails(t, fmt.Sprintf("%v with Run", cfg), runAll, onCaller)
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
	// RunAll's NaN and Inf watches are RunAll's own: a watched machine runs through it.
	for name, opt := range map[string]G.VMOpt{"NaN": G.WithNaNWatch(), "Inf": G.WithInfWatch()} {
		g := G.NewGraph()
		x := G.NewVector(g, G.Float64, G.WithShape(2), G.WithName("x"), G.WithValue(tensor.New(tensor.WithBacking([]float64{0, 1}))))
		if _, err := G.Mul(x, x); err != nil {
			t.Fatal(err)
		}
		if ran, _ := runOnCaller(G.NewTapeMachine(g, opt)); ran {
			t.Errorf("a machine with the %s watch was run without it", name)
		}
	}
}

// TestRunNeedsRewind: Run, like RunAll, runs a machine's program once: a second run without Rewind
// (or Reset) changes nothing, and after Rewind it runs again.
func TestRunNeedsRewind(t *testing.T) {
	for _, name := range []string{"RunAll", "Run"} {
		runOnce := func(vm G.VM) error {
			if name == "RunAll" {
				return vm.RunAll()
			}
			return Run(vm)
		}
		net := mustNew(t, MLP(6, []int{8}, 3), 3)
		tg, err := net.NewTrainGraph(4)
		if err != nil {
			t.Fatal(err)
		}
		vm := tg.NewMachine()
		rng := newRNG(2)
		fillBatch(t, tg, rng)
		if err := runOnce(vm); err != nil {
			t.Fatal(err)
		}
		first := tg.LossValue()
		fillBatch(t, tg, rng)
		if err := runOnce(vm); err != nil {
			t.Fatal(err)
		}
		if again := tg.LossValue(); again != first {
			t.Errorf("%s without Rewind ran the program again: loss %v, then %v", name, first, again)
		}
		if err := Rewind(vm); err != nil {
			t.Fatal(err)
		}
		if err := runOnce(vm); err != nil {
			t.Fatal(err)
		}
		if rewound := tg.LossValue(); rewound == first {
			t.Errorf("%s after Rewind: the loss of the new batch is the old one's, %v", name, first)
		}
	}
}
