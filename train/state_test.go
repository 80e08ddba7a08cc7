package train

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// TestResumeEquivalence checks that training 4 epochs in one go and training 2, saving the state
// through a model file, and resuming to 4 end with bit-identical weights and histories, for each
// optimizer (each keeps different state).
func TestResumeEquivalence(t *testing.T) {
	full, _, err := dataset.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	data := full.Limit(600)
	for _, opt := range Optimizers {
		t.Run(opt, func(t *testing.T) {
			cfg := model.MLP(784, []int{16}, 10)
			cfg.Dropout = 0.2
			tc := Config{Optimizer: opt, Epochs: 4, BatchSize: 50, Seed: 7}

			oneGo := newTestTrainer(t, cfg, tc)
			if err := oneGo.Fit(context.Background(), data, nil); err != nil {
				t.Fatal(err)
			}

			tc.Epochs = 2
			first := newTestTrainer(t, cfg, tc)
			if err := first.Fit(context.Background(), data, nil); err != nil {
				t.Fatal(err)
			}
			st, err := first.State()
			if err != nil {
				t.Fatal(err)
			}
			blob, err := EncodeState(st)
			if err != nil {
				t.Fatal(err)
			}
			path := t.TempDir() + "/ckpt.model"
			if err := model.Save(path, model.Saved{Net: first.Net, Extra: map[string][]byte{StateKey: blob}}); err != nil {
				t.Fatal(err)
			}

			saved, err := model.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			st2, err := DecodeState(saved.Extra[StateKey])
			if err != nil {
				t.Fatal(err)
			}
			st2.Config.Epochs = 4
			resumed, err := NewTrainer(saved.Net, st2.Config)
			if err != nil {
				t.Fatal(err)
			}
			if err := resumed.Restore(st2); err != nil {
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
				if !slices.Equal(pa[i].Value.Data().([]float32), pb[i].Value.Data().([]float32)) {
					t.Errorf("%s differs after resume", pa[i].Name)
				}
			}
		})
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
	decay, ok := solverField(tr.solver, "decay")
	if !ok || decay.Float() != 0.9 {
		t.Fatalf("RMSProp decay = %v, want 0.9", decay)
	}
	eps, _ := solverField(tr.solver, "eps")
	if eps.Float() != 1e-7 {
		t.Fatalf("RMSProp eps = %v, want 1e-7", eps)
	}
}
