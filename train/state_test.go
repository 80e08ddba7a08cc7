package train

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// A checkpoint keeps the epochs' user times; one of version 2, which did not record them, loads
// with them unknown (NaN, an empty history field), not as 0 s; other versions are refused.
func TestStateVersions(t *testing.T) {
	h := History{{Epoch: 1, Loss: 0.5, Seconds: 1.5, UserSeconds: 2.75}, {Epoch: 2, Loss: 0.25, Seconds: 1, UserSeconds: 1.5}}
	for _, c := range []struct {
		version int
		want    []float64 // the user seconds decoded; nil: refused
	}{{stateVersion, []float64{2.75, 1.5}}, {2, []float64{math.NaN(), math.NaN()}}, {1, nil}, {stateVersion + 1, nil}} {
		st := State{Version: c.version, History: h}
		if c.version == 2 {
			st.History = History{{Epoch: 1, Loss: 0.5, Seconds: 1.5}, {Epoch: 2, Loss: 0.25, Seconds: 1}} // as version 2 wrote it
		}
		b, err := encodeState(st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeState(b)
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("training state version %d, this program reads %d", c.version, stateVersion)) {
				t.Errorf("version %d: error %v, want it refused", c.version, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("version %d: %v", c.version, err)
		}
		if got.Version != stateVersion || len(got.History) != 2 || got.History[1].Loss != 0.25 || got.History[0].Seconds != 1.5 {
			t.Errorf("version %d: decoded version %d, history %+v", c.version, got.Version, got.History)
		}
		for i, e := range got.History {
			if w := c.want[i]; !(e.UserSeconds == w || math.IsNaN(w) && math.IsNaN(e.UserSeconds)) {
				t.Errorf("version %d, epoch %d: user seconds %v, want %v", c.version, i+1, e.UserSeconds, w)
			}
		}
	}
}
