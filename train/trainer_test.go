package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"

	"gorgonia.org/tensor"
)

// Every optimizer, at its default learning rate, must bring the loss of a small MLP on 2,000
// MNIST digits well down in three epochs. A solver that did nothing (AdamW in gorgonia v0.9.18)
// or ignored its learning rate would fail this.
func TestOptimizersLowerTheLoss(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(2000)
	final := map[string][][]float64{}
	for _, opt := range Optimizers {
		t.Run(opt, func(t *testing.T) {
			net := fixNet(t, model.MLP(784, []int{32}, 10), 1)
			tr := fixTrainer(t, net, Config{Optimizer: opt, Epochs: 3, BatchSize: 50, Seed: 1})
			if tr.Config.LearnRate != DefaultLearnRate(opt) {
				t.Errorf("LearnRate %g, want the default %g", tr.Config.LearnRate, DefaultLearnRate(opt))
			}
			before, err := tr.Eval.Evaluate(data)
			if err != nil {
				t.Fatal(err)
			}
			// A freshly initialised 10-class network is close to chance: loss near ln 10.
			if before.Loss < 1.5 || before.Loss > 4 {
				t.Fatalf("initial loss %.4f, expected near ln(10) = 2.30", before.Loss)
			}
			if err := tr.Fit(context.Background(), data, nil); err != nil {
				t.Fatal(err)
			}
			after, err := tr.Eval.Evaluate(data)
			if err != nil {
				t.Fatal(err)
			}
			if after.Loss > 0.5*before.Loss {
				t.Errorf("loss %.4f -> %.4f after 3 epochs: want at least halved", before.Loss, after.Loss)
			}
			if len(tr.History) != 3 {
				t.Fatalf("History has %d epochs, want 3", len(tr.History))
			}
			for i := 1; i < len(tr.History); i++ {
				if !(tr.History[i].Loss < tr.History[i-1].Loss) {
					t.Errorf("epoch %d loss %.4f is not below epoch %d's %.4f", i+1, tr.History[i].Loss, i, tr.History[i-1].Loss)
				}
			}
			final[opt] = fixWeights(net)
		})
	}
	// The four names must select four different solvers.
	for i, a := range Optimizers {
		for _, b := range Optimizers[i+1:] {
			if final[a] != nil && final[b] != nil && fixSameWeights(final[a], final[b]) {
				t.Errorf("%s and %s end with identical weights: the same solver?", a, b)
			}
		}
	}
}

// A learning rate far too large makes the loss overflow; Fit must stop with a *DivergedError that
// names the epoch and batch and suggests a lower learning rate, not panic or train on NaN.
// Leaky ReLU is used because with plain ReLU an exploding step usually kills every hidden unit
// first, after which the loss stays huge but finite.
func TestFitDiverges(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(2000)
	for _, c := range []struct {
		dtype string
		lr    float64
	}{{"float32", 1e6}, {"float64", 1e6}, {"float64", 1e3}} {
		t.Run(fmt.Sprintf("%s/lr=%g", c.dtype, c.lr), func(t *testing.T) {
			cfg := model.MLP(784, []int{32}, 10)
			cfg.Activation = "leakyrelu"
			cfg.Dtype, _ = model.ParseDtype(c.dtype)
			net := fixNet(t, cfg, 1)
			tr := fixTrainer(t, net, Config{Optimizer: "sgd", LearnRate: c.lr, Epochs: 3, BatchSize: 50, Seed: 1})
			batches := data.Len() / 50
			lastEpoch, lastBatch := 0, 0
			tr.OnBatch = func(epoch, batch, _ int) { lastEpoch, lastBatch = epoch, batch }
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Fit panicked: %v", p)
					}
				}()
				err = tr.Fit(context.Background(), data, nil)
			}()
			var de *DivergedError
			if !errors.As(err, &de) {
				t.Fatalf("Fit returned %v (%T), want a *DivergedError", err, err)
			}
			if de.Epoch < 1 || de.Epoch > 3 || de.Batch < 1 || de.Batch > batches {
				t.Fatalf("DivergedError at epoch %d, batch %d: out of range (3 epochs of %d batches)", de.Epoch, de.Batch, batches)
			}
			if de.Epoch == 1 && de.Batch == 1 {
				t.Errorf("diverged at the very first batch: the initial loss must be finite")
			}
			if !math.IsNaN(de.Loss) && !math.IsInf(de.Loss, 0) {
				t.Errorf("DivergedError.Loss = %v: must be NaN or infinite", de.Loss)
			}
			if de.LearnRate != c.lr {
				t.Errorf("DivergedError.LearnRate = %g, want %g", de.LearnRate, c.lr)
			}
			// The diverged batch is not stepped: the last finished step is the batch before it.
			wantEpoch, wantBatch := de.Epoch, de.Batch-1
			if wantBatch == 0 {
				wantEpoch, wantBatch = de.Epoch-1, batches
			}
			if lastEpoch != wantEpoch || lastBatch != wantBatch {
				t.Errorf("last OnBatch was epoch %d batch %d; want epoch %d batch %d (the one before the divergence)", lastEpoch, lastBatch, wantEpoch, wantBatch)
			}
			if len(tr.History) != de.Epoch-1 {
				t.Errorf("History has %d epochs after diverging in epoch %d: want only the finished ones", len(tr.History), de.Epoch)
			}
			msg := err.Error()
			for _, want := range []string{fmt.Sprintf("epoch %d", de.Epoch), fmt.Sprintf("batch %d", de.Batch), "lower learning rate"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
		})
	}
}

// Cancelling the context stops Fit before the next batch with an error wrapping ErrInterrupted;
// the History keeps only the epochs that finished, and a later Fit continues after them.
func TestFitInterrupted(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(1000) // 10 batches of 100 per epoch
	for _, c := range []struct {
		cancelEpoch, cancelBatch int
		finished                 int
	}{{1, 1, 0}, {2, 1, 1}, {2, 10, 2}} {
		t.Run(fmt.Sprintf("cancel-at-%d.%d", c.cancelEpoch, c.cancelBatch), func(t *testing.T) {
			net := fixNet(t, model.MLP(784, []int{16}, 10), 1)
			tr := fixTrainer(t, net, Config{Optimizer: "adam", Epochs: 3, BatchSize: 100, Seed: 1})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls, after := 0, 0
			cancelled := false
			tr.OnBatch = func(epoch, batch, _ int) {
				calls++
				if cancelled {
					after++
				}
				if epoch == c.cancelEpoch && batch == c.cancelBatch {
					cancel()
					cancelled = true
				}
			}
			err := tr.Fit(ctx, data, nil)
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("Fit returned %v, want an error wrapping ErrInterrupted", err)
			}
			if after != 0 {
				t.Errorf("%d batches ran after the cancellation", after)
			}
			if len(tr.History) != c.finished {
				t.Fatalf("History has %d epochs, want the %d finished before the cancellation", len(tr.History), c.finished)
			}
			for i, e := range tr.History {
				if e.Epoch != i+1 {
					t.Errorf("History[%d].Epoch = %d", i, e.Epoch)
				}
			}
			// Resuming with a live context trains the remaining epochs.
			tr.OnBatch = nil
			if err := tr.Fit(context.Background(), data, nil); err != nil {
				t.Fatalf("resumed Fit: %v", err)
			}
			if len(tr.History) != 3 || tr.History[2].Epoch != 3 {
				t.Errorf("after resuming, History = %+v, want epochs 1..3", tr.History)
			}
		})
	}
}

// An error from OnEpoch stops Fit and is returned as is.
func TestFitOnEpochError(t *testing.T) {
	all, _ := fixMNIST(t)
	net := fixNet(t, model.MLP(784, []int{8}, 10), 1)
	tr := fixTrainer(t, net, Config{Epochs: 5, BatchSize: 100, Seed: 1})
	stop := errors.New("stop here")
	tr.OnEpoch = func(e Epoch) error {
		if e.Epoch == 2 {
			return stop
		}
		return nil
	}
	if err := tr.Fit(context.Background(), all.Limit(300), nil); !errors.Is(err, stop) {
		t.Fatalf("Fit returned %v, want the OnEpoch error", err)
	}
	if len(tr.History) != 2 {
		t.Errorf("History has %d epochs, want 2", len(tr.History))
	}
}

// Same seed, same everything: identical losses and weights, bit for bit (dropout included, its
// masks come from the seed too). Another seed gives another run.
func TestFitDeterministic(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(1000)
	val := all.Subset("validation", []int{1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009})
	run := func(netSeed, trainSeed uint64) (History, [][]float64) {
		cfg := model.MLP(784, []int{24}, 10)
		cfg.Dropout = 0.2
		net := fixNet(t, cfg, netSeed)
		tr := fixTrainer(t, net, Config{Optimizer: "adam", Epochs: 2, BatchSize: 50, Seed: trainSeed})
		if err := tr.Fit(context.Background(), data, val); err != nil {
			t.Fatal(err)
		}
		return tr.History, fixWeights(net)
	}
	h1, w1 := run(1, 1)
	h2, w2 := run(1, 1)
	for i := range h1 {
		a, b := h1[i], h2[i]
		if a.Loss != b.Loss || a.TrainAcc != b.TrainAcc || a.ValLoss != b.ValLoss || a.ValAcc != b.ValAcc {
			t.Errorf("epoch %d differs between two runs with seed 1: %+v vs %+v", i+1, a, b)
		}
	}
	if !fixSameWeights(w1, w2) {
		t.Error("two runs with seed 1 end with different weights")
	}

	// Another trainer seed (batch order and dropout masks) from the same initial weights.
	h3, w3 := run(1, 2)
	if h3[0].Loss == h1[0].Loss || fixSameWeights(w1, w3) {
		t.Error("trainer seeds 1 and 2 give the same run")
	}
	// Another seed for everything.
	h4, w4 := run(2, 2)
	if h4[0].Loss == h1[0].Loss || fixSameWeights(w1, w4) {
		t.Error("seeds 1 and 2 give the same run")
	}
}

// Fit refuses data it cannot train on, with errors that say why.
func TestFitRejects(t *testing.T) {
	all, _ := fixMNIST(t)
	net := fixNet(t, model.MLP(784, []int{8}, 10), 1)
	tr := fixTrainer(t, net, Config{Epochs: 1, BatchSize: 100, Seed: 1})
	if err := tr.Fit(context.Background(), &dataset.Set{Name: "empty", Features: 784, Classes: 10}, nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("no samples: got %v, want an error saying the set is empty", err)
	}
	other := fixNet(t, model.MLP(2, []int{4}, 1), 1)
	tr2 := fixTrainer(t, other, Config{Epochs: 1, BatchSize: 10, Seed: 1})
	if err := tr2.Fit(context.Background(), all.Limit(100), nil); err == nil || !strings.Contains(err.Error(), "784 features") {
		t.Errorf("784-feature data into a 2-input model: got %v, want an error naming the features", err)
	}
	if _, err := NewTrainer(net, Config{Optimizer: "adagrad"}); err == nil || !strings.Contains(err.Error(), "adagrad") {
		t.Errorf("optimizer adagrad: got %v, want an error naming it", err)
	}
}

// The quick end-to-end check: 5,000 training digits, a 784-64-10 MLP, 2 epochs of Adam at its
// default rate. Such a model reaches about 0.89-0.90 on the 10,000 test digits; 0.85 leaves room
// for any seed while catching a broken loss, gradient, solver or evaluation (chance is 0.10).
func TestQuickMNIST(t *testing.T) {
	all, test := fixMNIST(t)
	net := fixNet(t, model.MLP(784, []int{64}, 10), 1)
	tr := fixTrainer(t, net, Config{Optimizer: "adam", Epochs: 2, BatchSize: 50, Seed: 1})
	if err := tr.Fit(context.Background(), all.Limit(5000), nil); err != nil {
		t.Fatal(err)
	}
	r, err := tr.Eval.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test accuracy %.4f, loss %.4f", r.Accuracy, r.Loss)
	if r.Confusion.Total() != 10000 {
		t.Errorf("confusion matrix counts %d samples, want 10000", r.Confusion.Total())
	}
	if r.Accuracy < 0.85 {
		t.Errorf("test accuracy %.4f, want >= 0.85", r.Accuracy)
	}
	if r.Loss > 0.6 {
		t.Errorf("test loss %.4f, want < 0.6 (chance is 2.30)", r.Loss)
	}
}

// oneHotSet returns n samples of n features, sample i being 1 at feature i and 0 elsewhere, with
// labels i mod classes: a sample's gradient reaches only row i of a perceptron's weights, so a row
// that changed shows that its sample was trained on.
func oneHotSet(n, classes int) *dataset.Set {
	s := &dataset.Set{Name: "one-hot", Data: make([]uint8, n*n), Labels: make([]uint8, n), Features: n, Classes: classes, Scale: 1}
	for i := range n {
		s.Data[i*n+i] = 1
		s.Labels[i] = uint8(i % classes)
	}
	return s
}

// Every training sample is used in every epoch, also when the batch size does not divide the set
// (the last batch is smaller), and the epoch's loss and accuracy are per-sample averages over all
// of them.
func TestEveryTrainingSampleIsUsed(t *testing.T) {
	for _, c := range []struct{ n, batch int }{{199, 100}, {10, 4}, {7, 10}, {12, 4}} {
		t.Run(fmt.Sprintf("%d samples, batch %d", c.n, c.batch), func(t *testing.T) {
			set := oneHotSet(c.n, 10)
			cfg := model.Perceptron(c.n, 10)
			cfg.Dtype = tensor.Float64
			net := fixNet(t, cfg, 1)
			before := fixF64s(net.Params()[0].Value.Data())
			tr := fixTrainer(t, net, Config{Optimizer: "sgd", LearnRate: 0.5, Epochs: 1, BatchSize: c.batch, Seed: 3})
			batches := 0
			tr.OnBatch = func(_, b, total int) { batches = total }
			if err := tr.Fit(context.Background(), set, nil); err != nil {
				t.Fatal(err)
			}
			if want := (c.n + c.batch - 1) / c.batch; batches != want {
				t.Errorf("%d batches, want %d", batches, want)
			}
			after := fixF64s(net.Params()[0].Value.Data())
			for i := range c.n {
				row := func(w []float64) []float64 { return w[i*10 : (i+1)*10] }
				if slices.Equal(row(before), row(after)) {
					t.Errorf("sample %d was never trained on: its weight row did not change", i)
				}
			}
		})
	}

	// With a learning rate too small to move the weights, the epoch's loss and accuracy are the
	// per-sample averages the evaluator computes over the same samples (no dropout).
	all, _ := fixMNIST(t)
	data := all.Limit(257)
	cfg := model.MLP(784, []int{16}, 10)
	cfg.Dtype = tensor.Float64
	net := fixNet(t, cfg, 2)
	tr := fixTrainer(t, net, Config{Optimizer: "sgd", LearnRate: 1e-300, Epochs: 1, BatchSize: 100, Seed: 1})
	want, err := tr.Eval.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), data, nil); err != nil {
		t.Fatal(err)
	}
	e := tr.History[0]
	if e.TrainAcc != want.Accuracy {
		t.Errorf("train accuracy %v, the evaluator's accuracy over the same samples %v", e.TrainAcc, want.Accuracy)
	}
	if math.Abs(e.Loss-want.Loss) > 1e-12 {
		t.Errorf("epoch loss %.15f, the evaluator's mean loss over the same samples %.15f", e.Loss, want.Loss)
	}
}

// A last update that overflows is caught before the epoch counts: the loss of each batch is
// checked before its update, so one step on finite data with a learning rate of 1e6 leaves weights
// whose outputs are not finite, and Fit must say so instead of reporting (and a program saving)
// the epoch. With a validation set the same run is caught there too.
func TestFitDivergesOnTheLastUpdate(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(30)
	for _, val := range []*dataset.Set{nil, all.Subset("validation", []int{100, 101, 102})} {
		// The run: mnist train --optimizer momentum --lr 100 --dropout 0 --hidden 512,512,512
		// --batch-size 10 --train-limit 30 --epochs 1: three steps, the third's loss about 8e22.
		net := fixNet(t, model.MLP(784, []int{512, 512, 512}, 10), 1)
		tr := fixTrainer(t, net, Config{Optimizer: "momentum", LearnRate: 100, Epochs: 1, BatchSize: 10, Seed: 1})
		epochs := 0
		tr.OnEpoch = func(Epoch) error { epochs++; return nil }
		err := tr.Fit(context.Background(), data, val)
		var de *DivergedError
		if !errors.As(err, &de) || de.Epoch != 1 || de.What == "" || !strings.Contains(err.Error(), "training diverged in epoch 1: ") ||
			!strings.Contains(err.Error(), "try a lower learning rate (it is 100)") {
			t.Fatalf("validation %v: Fit returned %v, want a *DivergedError of epoch 1 naming what is not finite", val != nil, err)
		}
		if epochs != 0 || len(tr.History) != 0 {
			t.Errorf("the diverged epoch counted: %d OnEpoch calls, %d in the history", epochs, len(tr.History))
		}
	}
}

// TestHeaderCountsReplicasUsed: a batch runs on no more replicas than it has rows, and the run's
// header says how many it runs on, not how many were asked for.
func TestHeaderCountsReplicasUsed(t *testing.T) {
	net, err := model.New(model.MLP(4, []int{3}, 2), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		batch, replicas int
		want            string
	}{{1, 2, "batch 1 on 1 replica,"}, {3, 8, "batch 3 on 3 replicas,"}, {10, 2, "batch 10 on 2 replicas,"}} {
		tr, err := NewTrainer(net, Config{BatchSize: c.batch, Replicas: c.replicas, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.String(); !strings.Contains(got, c.want) {
			t.Errorf("batch %d, %d replicas asked: %q, want it to say %q", c.batch, c.replicas, got, c.want)
		}
	}
}
