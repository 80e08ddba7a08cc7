package train

import (
	"context"
	"math"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

func TestScheduleRate(t *testing.T) {
	const lr = 0.1
	cases := []struct {
		s      Schedule
		epoch  int
		epochs int
		want   float64
	}{
		{Schedule{}, 7, 10, lr},
		{Schedule{Name: "constant"}, 1, 10, lr},
		{Schedule{Name: "step", StepEvery: 3, StepGamma: 0.1}, 3, 10, lr},
		{Schedule{Name: "step", StepEvery: 3, StepGamma: 0.1}, 4, 10, lr * 0.1},
		{Schedule{Name: "step", StepEvery: 3, StepGamma: 0.1}, 7, 10, lr * 0.01},
		{Schedule{Name: "step", StepEvery: 2}, 3, 10, lr * 0.5}, // default gamma 0.5
		{Schedule{Name: "cosine"}, 1, 10, lr},
		{Schedule{Name: "cosine"}, 6, 10, lr / 2}, // halfway: cos(pi/2) = 0
		{Schedule{Name: "cosine"}, 11, 10, 0},     // one past the end would be 0
		{Schedule{Name: "cosine", Warmup: 2}, 1, 10, lr / 2},
		{Schedule{Name: "cosine", Warmup: 2}, 2, 10, lr},
		{Schedule{Name: "cosine", Warmup: 2}, 3, 10, lr}, // the cosine starts after the warm-up
		{Schedule{Name: "cosine", Warmup: 2}, 7, 10, lr / 2},
	}
	for _, c := range cases {
		if got := c.s.Rate(lr, c.epoch, c.epochs); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v epoch %d/%d: rate %v, want %v", c.s, c.epoch, c.epochs, got, c.want)
		}
	}
}

func TestScheduleReachesSolver(t *testing.T) {
	full, _, err := dataset.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	data := full.Limit(200)
	for _, opt := range Optimizers {
		tr := newTestTrainer(t, model.MLP(784, []int{8}, 10), Config{Optimizer: opt, LearnRate: 0.01, Epochs: 3, BatchSize: 50, Seed: 1,
			Schedule: Schedule{Name: "step", StepEvery: 1, StepGamma: 0.5}})
		if err := tr.Fit(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		for i, want := range []float64{0.01, 0.005, 0.0025} {
			if tr.History[i].LearnRate != want {
				t.Errorf("%s epoch %d: learning rate %v, want %v", opt, i+1, tr.History[i].LearnRate, want)
			}
		}
		eta, ok := solverField(tr.solver.solvers[0], "eta")
		if !ok || eta.Float() != 0.0025 {
			t.Errorf("%s: the solver's own learning rate is %v, want 0.0025", opt, eta)
		}
	}
}

// TestEarlyStoppingRestoresBest trains on a set whose validation labels are shuffled, so that the
// validation loss rises as the model fits the training labels; training must stop Patience epochs
// after the best epoch, with that epoch's weights back in place.
func TestEarlyStoppingRestoresBest(t *testing.T) {
	full, _, err := dataset.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	trainSet := full.Limit(500)
	val := full.Subset("validation", []int{1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009})
	for i := range val.Labels { // wrong on purpose
		val.Labels[i] = uint8((int(val.Labels[i]) + 1 + i%9) % 10)
	}
	tr := newTestTrainer(t, model.MLP(784, []int{32}, 10), Config{Optimizer: "adam", LearnRate: 0.01, Epochs: 30, BatchSize: 50, Seed: 1, Patience: 3})
	if err := tr.Fit(context.Background(), trainSet, val); err != nil {
		t.Fatal(err)
	}
	if !tr.StoppedEarly {
		t.Fatalf("did not stop early; history %d epochs", len(tr.History))
	}
	if got, want := len(tr.History), tr.Best.Epoch+3; got != want {
		t.Errorf("stopped after %d epochs, want best epoch %d + patience 3", got, tr.Best.Epoch)
	}
	best := tr.History[tr.Best.Epoch-1].ValLoss
	for _, e := range tr.History {
		if e.ValLoss < best {
			t.Errorf("epoch %d has validation loss %v below the 'best' %v", e.Epoch, e.ValLoss, best)
		}
	}
	r, err := tr.Eval.Evaluate(val)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Loss-best) > 1e-9 {
		t.Errorf("after stopping the validation loss is %v, want the best epoch's %v (weights not restored)", r.Loss, best)
	}
	if last := tr.History[len(tr.History)-1].ValLoss; math.Abs(r.Loss-last) < 1e-9 {
		t.Errorf("the weights are the last epoch's, not the best's")
	}
}

func TestEarlyStoppingNeedsValidation(t *testing.T) {
	tr := newTestTrainer(t, model.MLP(2, []int{4}, 1), Config{Epochs: 2, BatchSize: 4, Patience: 1})
	if err := tr.Fit(context.Background(), dataset.XOR(), nil); err == nil {
		t.Fatal("patience without a validation set: no error")
	}
}
