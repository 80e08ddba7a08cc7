package train

import (
	"context"
	"fmt"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/model"
)

// withShares gives tr's solver the given number of shares, in place of one per core.
func withShares(tr *Trainer, shares int) *Trainer {
	tr.solver = newShardedSolver(shares, func() G.Solver { return newSolver(tr.Config) })
	return tr
}

// TestShardedSolverIsOneSolver: cutting the parameters into shares, each updated by its own
// solver at once, gives weights bit for bit those of one solver over whole tensors, for every
// optimizer and dtype, through a remainder batch (whose gradients are other tensors); and a
// checkpoint's solver state taken with one number of shares resumes with another.
func TestShardedSolverIsOneSolver(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(330) // batches of 100, 100, 100 and 30
	for _, opt := range Optimizers {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			t.Run(fmt.Sprintf("%s/%v", opt, dt), func(t *testing.T) {
				cfg := model.MLP(784, []int{8}, 10) // 6,370 parameters: 7 of the bias's 10 elements in a share of 3
				cfg.Dropout, cfg.Dtype = 0.1, dt
				tc := Config{Optimizer: opt, Epochs: 2, BatchSize: 100, Seed: 3}
				run := func(shares int) string {
					tr := withShares(fixTrainer(t, fixNet(t, cfg, 3), tc), shares)
					if err := tr.Fit(context.Background(), data, nil); err != nil {
						t.Fatal(err)
					}
					return result(tr)
				}
				one := run(1)
				for _, shares := range []int{2, 3, 7} {
					if got := run(shares); got != one {
						t.Errorf("%d shares: the weights or history differ from one solver's", shares)
					}
				}

				// One epoch with 3 shares, its state into a trainer of 2 shares, the second epoch.
				tc.Epochs = 1
				first := withShares(fixTrainer(t, fixNet(t, cfg, 3), tc), 3)
				if err := first.Fit(context.Background(), data, nil); err != nil {
					t.Fatal(err)
				}
				st, err := first.State()
				if err != nil {
					t.Fatal(err)
				}
				if opt != "sgd" && (len(st.Solver.Slots) != 4 || !slices.Equal(st.Solver.Set, []bool{true, true, true, true})) {
					t.Fatalf("solver state: %d slots, set %v; want one per learnable (4), all set", len(st.Solver.Slots), st.Solver.Set)
				}
				tc.Epochs = 2
				second := withShares(fixTrainer(t, first.Net, tc), 2)
				if err := second.Restore(st); err != nil {
					t.Fatal(err)
				}
				if err := second.Fit(context.Background(), data, nil); err != nil {
					t.Fatal(err)
				}
				if result(second) != one {
					t.Errorf("3 shares, checkpoint, 2 shares: the weights or history differ from one solver's")
				}
			})
		}
	}
}

// result prints a trained network's weights and history, without the times (the only figures
// that differ between runs).
func result(tr *Trainer) string {
	h := slices.Clone(tr.History)
	for i := range h {
		h[i].Seconds, h[i].UserSeconds = 0, 0
	}
	return fmt.Sprint(fixWeights(tr.Net), h)
}
