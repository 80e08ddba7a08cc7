package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// TestResumeEquivalence checks that training 4 epochs in one go and training 2, saving a checkpoint
// file, and resuming to 4 end with bit-identical weights and histories, for each optimizer (each
// keeps different state), for the built-in MLP and for a network with a custom layer and a custom
// activation; the training set's size (610) is not a multiple of the batch, so the remainder
// batch's graph is resumed too.
func TestResumeEquivalence(t *testing.T) {
	full, _, err := dataset.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	data := full.Limit(610)
	nets := map[string]func(seed uint64) (*model.Network, error){
		"mlp": func(seed uint64) (*model.Network, error) {
			cfg := model.MLP(784, []int{16}, 10)
			cfg.Dropout = 0.2
			return model.New(cfg, rand.New(rand.NewPCG(seed, 0)))
		},
		"custom": func(seed uint64) (*model.Network, error) { return customNet(784, 16, 10, seed) },
	}
	for name, newNet := range nets {
		for _, opt := range Optimizers {
			t.Run(name+"/"+opt, func(t *testing.T) {
				tc := Config{Optimizer: opt, Epochs: 4, BatchSize: 50, Seed: 7}
				trainer := func(epochs int) *Trainer {
					net, err := newNet(tc.Seed)
					if err != nil {
						t.Fatal(err)
					}
					tc.Epochs = epochs
					return fixTrainer(t, net, tc)
				}
				oneGo := trainer(4)
				if err := oneGo.Fit(context.Background(), data, nil); err != nil {
					t.Fatal(err)
				}

				first := trainer(2)
				if err := first.Fit(context.Background(), data, nil); err != nil {
					t.Fatal(err)
				}
				ck, err := first.Checkpoint(map[string]string{"flag.epochs": "2"})
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "run.ckpt")
				if err := SaveCheckpoint(path, ck); err != nil {
					t.Fatal(err)
				}

				back, err := LoadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				if back.Meta["flag.epochs"] != "2" || len(back.State.History) != 2 {
					t.Fatalf("checkpoint read back with meta %v and %d epochs", back.Meta, len(back.State.History))
				}
				resumed, err := Resume(back, 4)
				if err != nil {
					t.Fatal(err)
				}
				if err := resumed.Fit(context.Background(), data, nil); err != nil {
					t.Fatal(err)
				}
				if len(resumed.History) != 4 {
					t.Fatalf("resumed history has %d epochs, want 4", len(resumed.History))
				}
				for i := range oneGo.History {
					a, b := oneGo.History[i], resumed.History[i]
					if a.Loss != b.Loss || a.TrainAcc != b.TrainAcc {
						t.Errorf("epoch %d: one go loss %v acc %v, resumed %v %v", i+1, a.Loss, a.TrainAcc, b.Loss, b.TrainAcc)
					}
				}
				pa, pb := oneGo.Net.Params(), resumed.Net.Params()
				for i := range pa {
					if pa[i].Name != pb[i].Name || !slices.Equal(pa[i].Value.Data().([]float32), pb[i].Value.Data().([]float32)) {
						t.Errorf("%s differs after resume", pa[i].Name)
					}
				}
			})
		}
	}
}

// A saved model is not a checkpoint: resuming it is refused with ErrNotCheckpoint.
func TestLoadCheckpointOfAModel(t *testing.T) {
	tr := newTestTrainer(t, model.MLP(2, []int{2}, 1), Config{Epochs: 1, BatchSize: 4})
	path := filepath.Join(t.TempDir(), "m.model")
	if err := model.Save(path, model.Saved{Net: tr.Net}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(path); !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadCheckpoint of a model file: %v", err)
	}
}

func newTestTrainer(t *testing.T, cfg model.Config, tc Config) *Trainer {
	t.Helper()
	net, err := model.New(cfg, rand.New(rand.NewPCG(tc.Seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(net, tc)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestRMSPropRho checks that RMSProp gets rho 0.9 (Keras and PyTorch), not gorgonia's 0.999.
func TestRMSPropRho(t *testing.T) {
	tr := newTestTrainer(t, model.MLP(2, []int{2}, 1), Config{Optimizer: "rmsprop", Epochs: 1, BatchSize: 4})
	decay, ok := solverField(tr.solver.solvers[0], "decay")
	if !ok || decay.Float() != 0.9 {
		t.Fatalf("RMSProp decay = %v, want 0.9", decay)
	}
	eps, _ := solverField(tr.solver.solvers[0], "eps")
	if eps.Float() != 1e-7 {
		t.Fatalf("RMSProp eps = %v, want 1e-7", eps)
	}
}
