package train

import (
	"context"
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/dataset"
	"gorgonet/model"
)

// TestRewindIsReset: keeping the machines' registers between runs (model.Rewind) gives results bit
// for bit those of Gorgonia's Reset, which drops them, for every loss, activation, optimizer and
// dtype, with dropout, L2, a remainder batch and the evaluator's inference graphs.
func TestRewindIsReset(t *testing.T) {
	all, test := fixMNIST(t)
	data := all.Limit(330) // batches of 100, 100, 100 and 30
	val := test.Limit(250)
	var twoClass []int
	for i := range 2000 {
		if all.Labels[i] < 2 {
			twoClass = append(twoClass, i)
		}
	}
	binary := all.Subset("0 or 1", twoClass)
	binary.Classes = 2
	type run struct {
		name string
		cfg  model.Config
		tc   Config
		data *dataset.Set
	}
	mlp := func(act string, dropout, l2 float64, dt tensor.Dtype) model.Config {
		c := model.MLP(784, []int{32, 16}, 10)
		c.Activation, c.Dropout, c.L2, c.Dtype = act, dropout, l2, dt
		return c
	}
	withLoss := func(c model.Config, loss string) model.Config { c.Loss = loss; return c }
	runs := []run{
		{"relu dropout l2 adam", mlp("relu", 0.2, 1e-3, tensor.Float32), Config{Optimizer: "adam"}, data},
		{"tanh momentum float64", mlp("tanh", 0, 0, tensor.Float64), Config{Optimizer: "momentum"}, data},
		{"sigmoid rmsprop mse", withLoss(mlp("sigmoid", 0.1, 0, tensor.Float32), model.MSE), Config{Optimizer: "rmsprop"}, data},
		{"leakyrelu sgd half", withLoss(mlp("leakyrelu", 0, 1e-4, tensor.Float32), model.HalfSquaredError), Config{Optimizer: "sgd"}, data},
		{"bce perceptron", model.Perceptron(784, 1), Config{Optimizer: "adam"}, binary},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			results := map[string]string{}
			for _, mode := range []string{"rewind", "reset"} {
				if mode == "reset" {
					rewind = func(vm G.VM) error { vm.Reset(); return nil }
				}
				tc := r.tc
				tc.Epochs, tc.BatchSize, tc.Seed = 2, 100, 4
				tr := fixTrainer(t, fixNet(t, r.cfg, 4), tc)
				v := val
				if r.data == binary {
					v = nil
				}
				if err := tr.Fit(context.Background(), r.data, v); err != nil {
					t.Fatal(err)
				}
				res, err := tr.Eval.Evaluate(r.data)
				if err != nil {
					t.Fatal(err)
				}
				results[mode] = fmt.Sprint(result(tr), res.Loss, res.Predicted, res.Confidence)
				rewind = model.Rewind
			}
			if results["rewind"] != results["reset"] {
				t.Errorf("the run with registers kept differs from the run with Reset")
			}
		})
	}
}
