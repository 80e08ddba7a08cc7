package train

import (
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"

	"gorgonia.org/tensor"
)

// trainedNet returns a small MLP trained for one epoch on 1,000 digits, so that its predictions
// are neither constant nor perfect.
func evalTrainedNet(t *testing.T, cfg model.Config) *model.Network {
	t.Helper()
	all, _ := fixMNIST(t)
	net := fixNet(t, cfg, 3)
	tr := fixTrainer(t, net, Config{Optimizer: "adam", Epochs: 1, BatchSize: 50, Seed: 3})
	if err := tr.Fit(context.Background(), all.Limit(1000), nil); err != nil {
		t.Fatal(err)
	}
	return net
}

func evalIndices(from, to int) []int {
	idx := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		idx = append(idx, i)
	}
	return idx
}

// 2,503 samples are two full batches of EvalBatch and a remainder of 503: every one must be
// counted, and the result must not depend on how the set is cut into batches.
func TestEvaluatorCoversEverySample(t *testing.T) {
	_, test := fixMNIST(t)
	const n = 2503
	set := test.Limit(n)
	net := evalTrainedNet(t, model.MLP(784, []int{32}, 10))
	ev := NewEvaluator(net)
	r, err := ev.Evaluate(set)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Confusion.Total(); got != n {
		t.Fatalf("Confusion.Total() = %d, want %d", got, n)
	}
	if len(r.Predicted) != n || len(r.Confidence) != n {
		t.Fatalf("%d predictions and %d confidences, want %d", len(r.Predicted), len(r.Confidence), n)
	}
	correct := 0
	support := make([]int, 10)
	for i, p := range r.Predicted {
		if p == int(set.Labels[i]) {
			correct++
		}
		support[set.Labels[i]]++
		if !(r.Confidence[i] >= 0.1 && r.Confidence[i] <= 1) { // the arg max of 10 probabilities
			t.Fatalf("sample %d: confidence %v outside [0.1, 1]", i, r.Confidence[i])
		}
	}
	if r.Accuracy != float64(correct)/n || r.Accuracy != r.Confusion.Accuracy() {
		t.Errorf("Accuracy %v, predictions give %v, confusion matrix %v", r.Accuracy, float64(correct)/n, r.Confusion.Accuracy())
	}
	for k := range 10 {
		row := 0
		for _, v := range r.Confusion[k] {
			row += v
		}
		if row != support[k] {
			t.Errorf("confusion row %d counts %d samples, the set has %d of class %d", k, row, support[k], k)
		}
	}
	if r.Accuracy < 0.5 || r.Accuracy > 0.99 {
		t.Fatalf("accuracy %.4f: the test needs a partly trained model", r.Accuracy)
	}

	// Another split: 1,234 + 1,269 samples (batches of 1000+234 and 1000+269).
	a, err := ev.Evaluate(set.Subset("a", evalIndices(0, 1234)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ev.Evaluate(set.Subset("b", evalIndices(1234, n)))
	if err != nil {
		t.Fatal(err)
	}
	if got := append(slices.Clone(a.Predicted), b.Predicted...); !slices.Equal(got, r.Predicted) {
		t.Error("predictions differ when the set is evaluated in two parts")
	}
	if acc := (a.Accuracy*1234 + b.Accuracy*1269) / n; math.Abs(acc-r.Accuracy) > 1e-12 {
		t.Errorf("accuracy of the two parts %v, of the whole %v", acc, r.Accuracy)
	}
	// The loss may differ in the last bits of float32 logits between batch shapes (a matrix
	// product cut differently); a missing or doubled sample would move it by about 1/2503.
	if loss := (a.Loss*1234 + b.Loss*1269) / n; math.Abs(loss-r.Loss) > 1e-6*r.Loss {
		t.Errorf("loss of the two parts %v, of the whole %v", loss, r.Loss)
	}

	// Sample by sample (a graph of batch 1).
	correct1 := 0
	var loss1 float64
	for i := range n {
		ri, err := ev.Evaluate(set.Subset("one", []int{i}))
		if err != nil {
			t.Fatal(err)
		}
		if ri.Confusion.Total() != 1 {
			t.Fatalf("sample %d alone: Total %d", i, ri.Confusion.Total())
		}
		if ri.Predicted[0] != r.Predicted[i] {
			t.Errorf("sample %d: predicted %d alone, %d in the batch", i, ri.Predicted[0], r.Predicted[i])
		}
		correct1 += int(ri.Accuracy)
		loss1 += ri.Loss
	}
	if acc := float64(correct1) / n; acc != r.Accuracy {
		t.Errorf("sample-by-sample accuracy %v, batched %v", acc, r.Accuracy)
	}
	if math.Abs(loss1/n-r.Loss) > 1e-6*r.Loss {
		t.Errorf("sample-by-sample loss %v, batched %v", loss1/n, r.Loss)
	}
}

// The evaluator's probabilities, predictions and loss agree with a forward pass written out in Go:
// softmax(relu(x W1 + b1) W2 + b2), cross-entropy averaged over the samples plus
// (lambda/2) * sum of squared weights (not biases).
func TestEvaluateMatchesHandForward(t *testing.T) {
	_, test := fixMNIST(t)
	set := test.Limit(300)
	cfg := model.MLP(784, []int{16}, 10)
	cfg.Dtype, cfg.L2 = tensor.Float64, 1e-3
	net := evalTrainedNet(t, cfg)
	ps := net.Params()
	if len(ps) != 4 {
		t.Fatalf("%d params, want W1 b1 W2 b2", len(ps))
	}
	w1, b1, w2, b2 := fixF64s(ps[0].Value.Data()), fixF64s(ps[1].Value.Data()), fixF64s(ps[2].Value.Data()), fixF64s(ps[3].Value.Data())
	const in, hid, out = 784, 16, 10

	var penalty float64
	for _, w := range [][]float64{w1, w2} {
		for _, v := range w {
			penalty += v * v
		}
	}
	penalty *= cfg.L2 / 2

	ev := NewEvaluator(net)
	r, err := ev.Evaluate(set)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := ev.Probabilities(set)
	if err != nil {
		t.Fatal(err)
	}
	var lossSum float64
	correct := 0
	for i := range set.Len() {
		x := set.Sample(i)
		h := make([]float64, hid)
		for j := range hid {
			s := b1[j]
			for k := range in {
				s += float64(x[k]) / 255 * w1[k*hid+j]
			}
			h[j] = max(s, 0)
		}
		z := make([]float64, out)
		zmax := math.Inf(-1)
		for j := range out {
			s := b2[j]
			for k := range hid {
				s += h[k] * w2[k*out+j]
			}
			z[j] = s
			zmax = max(zmax, s)
		}
		var sum float64
		for _, v := range z {
			sum += math.Exp(v - zmax)
		}
		best := 0
		for j := range out {
			p := math.Exp(z[j]-zmax) / sum
			if math.Abs(p-probs[i][j]) > 1e-9 {
				t.Fatalf("sample %d class %d: probability %v, by hand %v", i, j, probs[i][j], p)
			}
			if z[j] > z[best] {
				best = j
			}
		}
		label := int(set.Labels[i])
		lossSum += zmax + math.Log(sum) - z[label]
		if r.Predicted[i] != best {
			t.Errorf("sample %d: predicted %d, by hand %d", i, r.Predicted[i], best)
		}
		if math.Abs(r.Confidence[i]-probs[i][best]) > 1e-12 {
			t.Errorf("sample %d: confidence %v, probability of the prediction %v", i, r.Confidence[i], probs[i][best])
		}
		if best == label {
			correct++
		}
	}
	if want := float64(correct) / float64(set.Len()); r.Accuracy != want {
		t.Errorf("accuracy %v, by hand %v", r.Accuracy, want)
	}
	want := lossSum/float64(set.Len()) + penalty
	if math.Abs(r.Loss-want) > 1e-9*want {
		t.Errorf("loss %v, by hand %v (penalty %v)", r.Loss, want, penalty)
	}
	if penalty < 1e-4*want {
		t.Fatalf("penalty %v too small to be checked", penalty)
	}
}

// Evaluating between the forward/backward pass and the solver step must change neither the
// weights nor the gradients the step is about to apply; and a run that evaluates a validation set
// every epoch follows exactly the same trajectory as one that does not.
func TestEvaluateChangesNothing(t *testing.T) {
	all, test := fixMNIST(t)
	data := all.Limit(1000)
	net := fixNet(t, model.MLP(784, []int{32}, 10), 5)
	tr := fixTrainer(t, net, Config{Optimizer: "adam", Epochs: 1, BatchSize: 50, Seed: 5})
	if err := tr.Fit(context.Background(), data, nil); err != nil {
		t.Fatal(err)
	}

	grads := func() [][]float64 {
		var out [][]float64
		for _, n := range tr.full.learnables() {
			g, err := n.Grad()
			if err != nil {
				t.Fatalf("%s: %v", n.Name(), err)
			}
			out = append(out, fixF64s(g.Data()))
		}
		return out
	}
	fillXY(data, evalIndices(0, tr.full.replicas[0].g.Batch), tr.full.replicas[0].g.XValue, tr.full.replicas[0].g.YValue)
	if err := tr.full.replicas[0].vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	w0, g0 := fixWeights(net), grads()
	nonzero := false
	for _, g := range g0 {
		for _, v := range g {
			nonzero = nonzero || v != 0
		}
	}
	if !nonzero {
		t.Fatal("all gradients are zero: nothing to compare")
	}
	for _, s := range []*dataset.Set{test.Limit(2503), data.Limit(7)} {
		if _, err := tr.Eval.Evaluate(s); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Eval.Probabilities(s); err != nil {
			t.Fatal(err)
		}
	}
	if !fixSameWeights(w0, fixWeights(net)) {
		t.Error("Evaluate changed the weights")
	}
	if !fixSameWeights(g0, grads()) {
		t.Error("Evaluate changed the training gradients")
	}
	tr.full.replicas[0].vm.Reset()

	// Whole runs: validation every epoch (Evaluate between epochs) or none.
	run := func(val *dataset.Set, evalEveryBatch bool) (History, [][]float64) {
		net := fixNet(t, model.MLP(784, []int{32}, 10), 6)
		tr := fixTrainer(t, net, Config{Optimizer: "rmsprop", Epochs: 2, BatchSize: 100, Seed: 6})
		if evalEveryBatch {
			tr.OnBatch = func(_, _, _ int) {
				if _, err := tr.Eval.Evaluate(test.Limit(100)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tr.Fit(context.Background(), data, val); err != nil {
			t.Fatal(err)
		}
		return tr.History, fixWeights(net)
	}
	hNone, wNone := run(nil, false)
	hVal, wVal := run(test.Limit(1500), false)
	hEach, wEach := run(nil, true)
	if !fixSameWeights(wNone, wVal) || !fixSameWeights(wNone, wEach) {
		t.Error("evaluating during training changed the trained weights")
	}
	for i := range hNone {
		if hNone[i].Loss != hVal[i].Loss || hNone[i].Loss != hEach[i].Loss {
			t.Errorf("epoch %d loss: %v without evaluation, %v with validation, %v evaluating every batch", i+1, hNone[i].Loss, hVal[i].Loss, hEach[i].Loss)
		}
		if !math.IsNaN(hNone[i].ValLoss) || !math.IsNaN(hNone[i].ValAcc) {
			t.Errorf("epoch %d without validation: ValLoss %v ValAcc %v, want NaN", i+1, hNone[i].ValLoss, hNone[i].ValAcc)
		}
		if math.IsNaN(hVal[i].ValLoss) || !(hVal[i].ValAcc > 0) {
			t.Errorf("epoch %d with validation: ValLoss %v ValAcc %v", i+1, hVal[i].ValLoss, hVal[i].ValAcc)
		}
	}
}

func TestEvaluateRejects(t *testing.T) {
	net := fixNet(t, model.MLP(784, []int{8}, 10), 1)
	ev := NewEvaluator(net)
	if _, err := ev.Evaluate(&dataset.Set{Name: "empty", Features: 784, Classes: 10}); err == nil {
		t.Error("evaluating an empty set: no error")
	}
	if _, err := ev.Evaluate(dataset.XOR()); err == nil {
		t.Error("evaluating 2-feature XOR with a 784-input model: no error")
	}
}

// The confidence Evaluate reports is the probability of the predicted class, computed by hand: for
// a single sigmoid output, p when class 1 is predicted and 1-p when class 0 is (inverting the two
// would report 0.27 where the model is 73% sure); for two softmax outputs, the larger one.
func TestEvaluateConfidenceByHand(t *testing.T) {
	data := dataset.XOR() // (0,0) (0,1) (1,0) (1,1)
	sig := func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
	for _, c := range []struct {
		cfg     model.Config
		weights map[string][]float64
		logit   func(x1, x2 float64) []float64
	}{
		{model.Perceptron(2, 1), map[string][]float64{"output.W": {1, 2}, "output.b": {-1.5}},
			func(x1, x2 float64) []float64 { return []float64{x1 + 2*x2 - 1.5} }},
		{model.Perceptron(2, 2), map[string][]float64{"output.W": {1, 0, 0, 2}, "output.b": {0.5, 0}},
			func(x1, x2 float64) []float64 { return []float64{x1 + 0.5, 2 * x2} }},
	} {
		c.cfg.Dtype = tensor.Float64
		net := fixNet(t, c.cfg, 1)
		for _, p := range net.Params() {
			copy(p.Value.Data().([]float64), c.weights[p.Name])
		}
		r, err := NewEvaluator(net).Evaluate(data)
		if err != nil {
			t.Fatal(err)
		}
		for i := range data.Len() {
			x := data.Sample(i)
			z := c.logit(float64(x[0]), float64(x[1]))
			var class int
			var conf float64
			if len(z) == 1 {
				class, conf = 0, 1-sig(z[0])
				if z[0] >= 0 {
					class, conf = 1, sig(z[0])
				}
			} else {
				p1 := sig(z[1] - z[0]) // softmax of two logits
				class, conf = 0, 1-p1
				if p1 > 0.5 {
					class, conf = 1, p1
				}
			}
			if r.Predicted[i] != class || math.Abs(r.Confidence[i]-conf) > 1e-12 {
				t.Errorf("%s, sample %v: predicted %d with confidence %.6f, by hand %d with %.6f",
					c.cfg, x, r.Predicted[i], r.Confidence[i], class, conf)
			}
		}
	}
}

// A diverged model's outputs are NaN: Evaluate and Predict refuse to report an accuracy or a class.
func TestEvaluateRefusesNonFiniteOutputs(t *testing.T) {
	net := fixNet(t, model.MLP(2, []int{3}, 2), 1)
	net.Params()[0].Value.Data().([]float32)[0] = float32(math.NaN())
	ev := NewEvaluator(net)
	if r, err := ev.Evaluate(dataset.XOR()); !errors.Is(err, model.ErrNonFiniteOutput) || r != nil {
		t.Errorf("Evaluate of a NaN model: %v, %v", r, err)
	}
	if _, err := ev.PredictPixels([]uint8{255, 0}); !errors.Is(err, model.ErrNonFiniteOutput) {
		t.Errorf("PredictPixels of a NaN model: %v", err)
	}
}

// The truth table of networks with weights set by hand: the inputs, the target, the probability
// of class 1 (a single output's sigmoid, or the softmax's second) and the class, in columns.
func TestWriteTruthTable(t *testing.T) {
	three := &dataset.Set{Name: "and3", Data: []uint8{0, 0, 1, 1, 1, 1}, Labels: []uint8{0, 1}, Features: 3, Classes: 2, Scale: 1}
	for _, c := range []struct {
		cfg     model.Config
		weights map[string][]float64
		set     *dataset.Set
		want    string
	}{
		// logit 2·x1 - x2 - 0.5: σ(-0.5) = 0.378, σ(-1.5) = 0.182, σ(1.5) = 0.818, σ(0.5) = 0.622.
		{model.Perceptron(2, 1), map[string][]float64{"output.W": {2, -1}, "output.b": {-0.5}}, dataset.XOR(),
			" x1  x2  target  output  class\n" +
				"  0   0       0   0.378      0\n" +
				"  0   1       1   0.182      0\n" +
				"  1   0       1   0.818      1\n" +
				"  1   1       0   0.622      1\n"},
		// logits (0, x1 + x2 + x3 - 2): P(class 1) = σ(-1) = 0.269, then σ(1) = 0.731.
		{model.Perceptron(3, 2), map[string][]float64{"output.W": {0, 1, 0, 1, 0, 1}, "output.b": {0, -2}}, three,
			" x1  x2  x3  target  output  class\n" +
				"  0   0   1       0   0.269      0\n" +
				"  1   1   1       1   0.731      1\n"},
	} {
		c.cfg.Dtype = tensor.Float64
		net := fixNet(t, c.cfg, 1)
		for _, p := range net.Params() {
			copy(p.Value.Data().([]float64), c.weights[p.Name])
		}
		var b strings.Builder
		if err := NewEvaluator(net).WriteTruthTable(&b, c.set); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s: truth table\n%s\nwant\n%s", net, b.String(), c.want)
		}
	}
	net := fixNet(t, model.Perceptron(3, 2), 1)
	if err := NewEvaluator(net).WriteTruthTable(io.Discard, dataset.XOR()); err == nil {
		t.Error("a 3-input network on XOR's 2 features: no error")
	}
}
