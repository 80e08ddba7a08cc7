package model

import (
	"errors"
	"math"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestPerceptronByHand: a 2-input perceptron with one sigmoid output and weights set by hand.
func TestPerceptronByHand(t *testing.T) {
	w := []float64{0.5, -1.5}
	const b = 0.25
	x := [][]float64{{2, 1}, {0, 0}, {-1, 3}}
	labels := []int{1, 0, 0}
	for _, dt := range dtypeNames {
		t.Run(dt, func(t *testing.T) {
			net := mustNew(t, withDType(Perceptron(2, 1), dt), 1)
			d := net.Layers[0].(*Dense)
			setData(t, d.W.Value, w)
			setData(t, d.B.Value, []float64{b})

			ig, err := net.NewInferGraph(len(x))
			if err != nil {
				t.Fatal(err)
			}
			setData(t, ig.XValue, flatten(x))
			im := G.NewTapeMachine(ig.Graph)
			defer im.Close()
			run(t, im)
			logits, probs := f64s(t, ig.LogitsValue()), f64s(t, ig.ProbsValue())

			tg, err := net.NewTrainGraph(len(x))
			if err != nil {
				t.Fatal(err)
			}
			setData(t, tg.XValue, flatten(x))
			y := make([]float64, len(labels))
			for i, l := range labels {
				y[i] = float64(l)
			}
			setData(t, tg.YValue, y)
			vm := G.NewTapeMachine(tg.Graph, G.BindDualValues(tg.Learnables...))
			defer vm.Close()
			run(t, vm)

			var wantLoss float64
			for i, row := range x {
				z := row[0]*w[0] + row[1]*w[1] + b
				p := 1 / (1 + math.Exp(-z))
				if !closeTo(logits[i], z, tolFor(dt)) || !closeTo(probs[i], p, tolFor(dt)) {
					t.Errorf("sample %d: logit %g, probability %g; by hand %g, %g", i, logits[i], probs[i], z, p)
				}
				l := -math.Log(p) // -log p for label 1, -log(1-p) for label 0
				if labels[i] == 0 {
					l = -math.Log(1 - p)
				}
				if got := SampleLoss(BCE, []float64{z}, labels[i]); !closeTo(got, l, 1e-14) {
					t.Errorf("sample %d: SampleLoss %g, by hand %g", i, got, l)
				}
				wantLoss += l / float64(len(x))
				q := []float64{z}
				Probabilities(BCE, q)
				if !closeTo(q[0], p, 1e-15) {
					t.Errorf("sample %d: Probabilities %g, by hand %g", i, q[0], p)
				}
				if got, err := Predict(BCE, []float64{z}); err != nil || got.Class != map[bool]int{true: 1, false: 0}[p >= 0.5] {
					t.Errorf("sample %d: Predict %+v, %v; probability %g", i, got, err, p)
				}
			}
			if got := tg.LossValue(); !closeTo(got, wantLoss, tolFor(dt)) {
				t.Errorf("training loss %g, by hand %g", got, wantLoss)
			}
		})
	}
}

func TestSampleLossByHand(t *testing.T) {
	e1, e2, e3 := math.E, math.E*math.E, math.E*math.E*math.E
	ln3 := math.Log(3) // sigmoid(ln 3) = 3/4
	cases := []struct {
		name   string
		loss   string
		logits []float64
		label  int
		want   float64
	}{
		{"ce", CrossEntropy, []float64{1, 2, 3}, 0, -math.Log(e1 / (e1 + e2 + e3))},
		{"ce best", CrossEntropy, []float64{1, 2, 3}, 2, -math.Log(e3 / (e1 + e2 + e3))},
		{"ce huge", CrossEntropy, []float64{1000, 0, -1000}, 2, 2000},
		{"ce huge right", CrossEntropy, []float64{1000, 0, -1000}, 0, 0},
		{"bce 1", BCE, []float64{ln3}, 1, -math.Log(0.75)},
		{"bce 0", BCE, []float64{ln3}, 0, -math.Log(0.25)},
		{"bce huge wrong", BCE, []float64{1000}, 0, 1000},
		{"bce huge right", BCE, []float64{-1000}, 0, 0},
		// MSE: the mean over the outputs of (y - sigmoid(z))²; half-squared-error: half their sum.
		{"mse", MSE, []float64{0, ln3, 0}, 1, (0.5*0.5 + 0.25*0.25 + 0.5*0.5) / 3},
		{"mse 1 output, label 1", MSE, []float64{ln3}, 1, 0.25 * 0.25},
		{"mse 1 output, label 0", MSE, []float64{ln3}, 0, 0.75 * 0.75},
		{"half", HalfSquaredError, []float64{0, ln3, 0}, 1, 0.5 * (0.5*0.5 + 0.25*0.25 + 0.5*0.5)},
		{"half 1 output, label 1", HalfSquaredError, []float64{ln3}, 1, 0.5 * 0.25 * 0.25},
		{"half 1 output, label 0", HalfSquaredError, []float64{ln3}, 0, 0.5 * 0.75 * 0.75},
		// Infinite logits: the limit, never the NaN of Inf - Inf.
		{"ce +Inf right", CrossEntropy, []float64{math.Inf(1), 1}, 0, 0},
		{"ce +Inf wrong", CrossEntropy, []float64{math.Inf(1), 1}, 1, math.Inf(1)},
		{"ce two +Inf", CrossEntropy, []float64{math.Inf(1), math.Inf(1), 0}, 1, math.Log(2)},
		{"bce +Inf right", BCE, []float64{math.Inf(1)}, 1, 0},
		{"bce +Inf wrong", BCE, []float64{math.Inf(1)}, 0, math.Inf(1)},
		{"bce -Inf right", BCE, []float64{math.Inf(-1)}, 0, 0},
		{"bce -Inf wrong", BCE, []float64{math.Inf(-1)}, 1, math.Inf(1)},
	}
	for _, c := range cases {
		if got := SampleLoss(c.loss, c.logits, c.label); !closeTo(got, c.want, 1e-14) {
			t.Errorf("%s: SampleLoss(%s, %v, %d) = %.17g, want %.17g", c.name, c.loss, c.logits, c.label, got, c.want)
		}
	}
}

func TestProbabilitiesAndPredictByHand(t *testing.T) {
	ln3 := math.Log(3)
	e1, e2, e3 := math.E, math.E*math.E, math.E*math.E*math.E
	cases := []struct {
		loss      string
		logits    []float64
		want      []float64
		predicted int
	}{
		{CrossEntropy, []float64{1, 2, 3}, []float64{e1 / (e1 + e2 + e3), e2 / (e1 + e2 + e3), e3 / (e1 + e2 + e3)}, 2},
		{CrossEntropy, []float64{3, 2, 1}, []float64{e3 / (e1 + e2 + e3), e2 / (e1 + e2 + e3), e1 / (e1 + e2 + e3)}, 0},
		{CrossEntropy, []float64{1000, 0}, []float64{1, 0}, 0},
		{CrossEntropy, []float64{-1000, -1000}, []float64{0.5, 0.5}, 0}, // a tie goes to the first
		{BCE, []float64{ln3}, []float64{0.75}, 1},
		{BCE, []float64{-ln3}, []float64{0.25}, 0},
		{BCE, []float64{0}, []float64{0.5}, 1},
		{BCE, []float64{-1000}, []float64{0}, 0},
		{MSE, []float64{0, ln3}, []float64{0.5, 0.75}, 1},
		// Infinite logits take their limits: softmax [+Inf, 1] is [1, 0], not [NaN, 0].
		{CrossEntropy, []float64{math.Inf(1), 1}, []float64{1, 0}, 0},
		{CrossEntropy, []float64{1, math.Inf(1), math.Inf(1)}, []float64{0, 0.5, 0.5}, 1},
		{CrossEntropy, []float64{math.Inf(-1), 2}, []float64{0, 1}, 1},
		{BCE, []float64{math.Inf(1)}, []float64{1}, 1},
		{BCE, []float64{math.Inf(-1)}, []float64{0}, 0},
		{MSE, []float64{math.Inf(-1), math.Inf(1)}, []float64{0, 1}, 1},
	}
	for _, c := range cases {
		got, err := Predict(c.loss, c.logits)
		if err != nil || got.Class != c.predicted {
			t.Errorf("Predict(%s, %v) = %+v, %v; want class %d", c.loss, c.logits, got, err, c.predicted)
		}
		// The probability of the predicted class: for one sigmoid output, of class 0 when it is 0.
		if want := c.want[min(c.predicted, len(c.want)-1)]; len(c.want) == 1 && c.predicted == 0 {
			if got.Prob != 1-want {
				t.Errorf("Predict(%s, %v).Prob = %g, want %g", c.loss, c.logits, got.Prob, 1-want)
			}
		} else if !closeTo(got.Prob, want, 1e-13) {
			t.Errorf("Predict(%s, %v).Prob = %g, want %g", c.loss, c.logits, got.Prob, want)
		}
		p := append([]float64(nil), c.logits...)
		Probabilities(c.loss, p)
		for i := range p {
			// 1e-13: exp(z - lse) loses the digits of lse = -1000 + log 2 below 1e-13
			if !closeTo(p[i], c.want[i], 1e-13) {
				t.Errorf("Probabilities(%s, %v) = %v, want %v", c.loss, c.logits, p, c.want)
				break
			}
		}
	}
}

// TestGoLossMatchesGraph: SampleLoss and Probabilities, used to evaluate in Go, agree with the
// training graph's loss and the inference graph's outputs for every loss.
func TestGoLossMatchesGraph(t *testing.T) {
	for _, loss := range Losses {
		for _, outputs := range []int{1, 3} {
			if (loss == BCE && outputs != 1) || (loss == CrossEntropy && outputs == 1) {
				continue
			}
			cfg := withLoss(withDType(withAct(MLP(4, []int{5}, outputs), "sigmoid"), "float64"), loss)
			net := mustNew(t, cfg, 21)
			const batch = 6
			tg, err := net.NewTrainGraph(batch)
			if err != nil {
				t.Fatal(err)
			}
			ig, err := net.NewInferGraph(batch)
			if err != nil {
				t.Fatal(err)
			}
			rng := newRNG(22)
			x := make([]float64, batch*4)
			for i := range x {
				x[i] = 2 * rng.NormFloat64()
			}
			y := make([]float64, batch*outputs)
			labels := fillTargets(y, outputs, rng)
			setData(t, tg.XValue, x)
			setData(t, tg.YValue, y)
			setData(t, ig.XValue, x)
			vm := G.NewTapeMachine(tg.Graph, G.BindDualValues(tg.Learnables...))
			run(t, vm)
			vm.Close()
			im := G.NewTapeMachine(ig.Graph)
			run(t, im)
			im.Close()

			logits, probs := f64s(t, tg.LogitsValue()), f64s(t, ig.ProbsValue())
			if !slicesEqual(logits, f64s(t, ig.LogitsValue())) {
				t.Errorf("%s: training and inference logits differ", cfg)
			}
			var mean float64
			for b, row := range rows(logits, outputs) {
				mean += SampleLoss(loss, row, labels[b]) / batch
				p := append([]float64(nil), row...)
				Probabilities(loss, p)
				for k := range p {
					if !closeTo(probs[b*outputs+k], p[k], 1e-14) {
						t.Errorf("%s: sample %d: graph probability %g, Probabilities %g", cfg, b, probs[b*outputs+k], p[k])
					}
				}
			}
			if got := tg.DataLossValue(); !closeTo(got, mean, 1e-14) {
				t.Errorf("%s: graph loss %.17g, mean SampleLoss %.17g", cfg, got, mean)
			}
		}
	}
}

// A NaN output, or an all -Inf softmax, is never a class: Predict refuses it.
func TestPredictRefusesNonFiniteOutputs(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		loss   string
		logits []float64
	}{
		{CrossEntropy, []float64{nan, 1}},
		{CrossEntropy, []float64{1, nan}},
		{CrossEntropy, []float64{math.Inf(1), nan}},
		{CrossEntropy, []float64{math.Inf(-1), math.Inf(-1)}},
		{BCE, []float64{nan}},
		{MSE, []float64{0, nan}},
	} {
		if p, err := Predict(c.loss, c.logits); !errors.Is(err, ErrNonFiniteOutput) {
			t.Errorf("Predict(%s, %v) = %+v, %v; want ErrNonFiniteOutput", c.loss, c.logits, p, err)
		}
	}
}

// Top lists the classes by probability; a single output stands for the classes 0 and 1.
func TestPredictionTop(t *testing.T) {
	p, _ := Predict(CrossEntropy, []float64{1, 3, 2, 3})
	if got := p.Top(3); !slices.Equal(got, []int{1, 3, 2}) || p.Class != 1 {
		t.Errorf("Top(3) = %v, class %d; want [1 3 2], 1 (ties to the lower class)", got, p.Class)
	}
	b, _ := Predict(BCE, []float64{-math.Log(3)})
	if got := b.Top(5); !slices.Equal(got, []int{0, 1}) || b.ProbOf(0) != 0.75 || b.Prob != 0.75 {
		t.Errorf("single output: Top %v, ProbOf(0) %g, Prob %g", got, b.ProbOf(0), b.Prob)
	}
}
