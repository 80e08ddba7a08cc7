package model

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gradient check: the symbolic gradients gorgonia derives from the training graph must agree with
// central finite differences of the loss, in float64.
//
// Tolerance. With step h = 1e-5 the central difference has a truncation error of about
// h²/6·|L”'| ≈ 2e-11 and a rounding error of about eps·|L|/h ≈ 2e-11, so its absolute error is
// ~1e-10. The relative error |sym - num| / max(|sym|, |num|, gradFloor) must stay below 1e-6;
// gradFloor = 1e-4 keeps gradients that are (nearly) zero, where a relative error means nothing,
// to an absolute error of 1e-10 instead.
const (
	gradStep   = 1e-5
	gradRelTol = 1e-6
	gradFloor  = 1e-4
)

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		// every activation, with softmax cross-entropy
		{"sigmoid", withAct(MLP(4, []int{5}, 3), "sigmoid")},
		{"tanh", withAct(MLP(4, []int{5}, 3), "tanh")},
		{"relu", withAct(MLP(4, []int{5}, 3), "relu")},
		{"leakyrelu", withAct(MLP(4, []int{5}, 3), "leakyrelu")},
		// every loss, with and without a hidden layer
		{"perceptron/crossentropy", Perceptron(4, 3)},
		{"perceptron/bce", Perceptron(4, 1)},
		{"perceptron/mse", withLoss(Perceptron(4, 2), MSE)},
		{"mlp/crossentropy", withAct(MLP(4, []int{5}, 3), "tanh")},
		{"mlp/bce", withAct(MLP(4, []int{5}, 1), "tanh")},
		{"mlp/mse", withLoss(withAct(MLP(4, []int{5}, 2), "tanh"), MSE)},
		{"mlp/mse-1-output", withLoss(withAct(MLP(4, []int{5}, 1), "tanh"), MSE)},
		// dropout through a fixed mask, the L2 term, two hidden layers
		{"dropout0.2", withDropout(withAct(MLP(4, []int{5, 4}, 3), "tanh"), 0.2)},
		{"l2=0.1", withL2(withAct(MLP(4, []int{5}, 3), "tanh"), 0.1)},
		{"mlp-5-4-3-3", MLP(5, []int{4, 3}, 3)},
		{"everything", withL2(withDropout(withLoss(withAct(MLP(5, []int{4, 3}, 3), "leakyrelu"), MSE), 0.2), 0.1)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkGradients(t, c.cfg, 4, uint64(100+i))
		})
	}
}

// Config modifiers for the tables.
func withAct(c Config, a string) Config      { c.Activation = a; return c }
func withLoss(c Config, l string) Config     { c.Loss = l; return c }
func withDropout(c Config, p float64) Config { c.Dropout = p; return c }
func withL2(c Config, l float64) Config      { c.L2 = l; return c }
func withDType(c Config, dt string) Config {
	switch dt {
	case "":
		c.Dtype = tensor.Dtype{}
	case "float32":
		c.Dtype = tensor.Float32
	case "float64":
		c.Dtype = tensor.Float64
	case "int":
		c.Dtype = tensor.Int
	default:
		c.Dtype = tensor.Bool
	}
	return c
}

// dtypeNames are the supported dtypes, by name.
var dtypeNames = []string{"float32", "float64"}

func withHidden(c Config, h ...int) Config { c.Hidden = h; return c }
func withInputs(c Config, in int) Config   { c.Inputs = in; return c }
func withOutputs(c Config, out int) Config { c.Outputs = out; return c }

// checkGradients builds cfg in float64 with random weights, biases, inputs and targets (and, with
// dropout, fixed masks of 0 and 1/(1-p)), then compares the symbolic gradient of the training loss
// w.r.t. every learnable with a central finite difference obtained by perturbing the learnable's
// Param.Value and re-running the same machine.
func checkGradients(t *testing.T, cfg Config, batch int, seed uint64) {
	t.Helper()
	cfg.Dtype = tensor.Float64
	rng := newRNG(seed)
	net := mustNew(t, cfg, seed)
	for _, p := range net.Params() {
		if !p.Penalized { // biases start at zero; give them values so that they matter
			b := p.Value.Data().([]float64)
			for i := range b {
				b[i] = 0.3 * rng.NormFloat64()
			}
		}
	}
	tg, err := net.NewTrainGraph(batch)
	if err != nil {
		t.Fatal(err)
	}
	x := tg.XValue.Data().([]float64)
	kinked := cfg.Activation == "relu" || cfg.Activation == "leakyrelu"
	for attempt := 0; ; attempt++ {
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		_, pre := refForward(t, net, rows(x, cfg.Inputs))
		minAbs := math.Inf(1)
		for _, v := range pre {
			minAbs = math.Min(minAbs, math.Abs(v))
		}
		// Perturbing a weight by h moves a pre-activation by ~h·|x| << 0.01: no input crosses the kink.
		if !kinked || minAbs > 0.01 {
			break
		}
		if attempt == 100 {
			t.Fatalf("no input batch keeps the pre-activations away from the kink (min |z| = %g)", minAbs)
		}
	}
	fillTargets(tg.YValue.Data().([]float64), cfg.Outputs, rng)

	if want := 0; cfg.Dropout > 0 {
		want = len(cfg.Hidden)
		if len(tg.Masks) != want {
			t.Fatalf("%d dropout masks, want %d", len(tg.Masks), want)
		}
	}
	for k, m := range tg.Masks {
		data := m.Value.Data().([]float64)
		for i := range data {
			if (i+k)%3 == 1 { // a fixed pattern with dropped and kept units in every row
				data[i] = 0
			} else {
				data[i] = 1 / (1 - m.P)
			}
		}
	}

	vm := G.NewTapeMachine(tg.Graph, G.BindDualValues(tg.Learnables...))
	defer vm.Close()
	run(t, vm)
	loss0 := tg.LossValue()
	if !allFinite(loss0) {
		t.Fatalf("loss %g", loss0)
	}
	params := net.Params()
	if len(params) != len(tg.Learnables) {
		t.Fatalf("%d params, %d learnables", len(params), len(tg.Learnables))
	}
	sym := make([][]float64, len(params))
	for i, n := range tg.Learnables {
		if n.Name() != params[i].Name {
			t.Fatalf("learnable %d is %s, param is %s", i, n.Name(), params[i].Name)
		}
		sym[i] = gradOf(t, n)
	}

	lossAt := func(data []float64, j int, v float64) float64 {
		data[j] = v
		run(t, vm)
		return tg.LossValue()
	}
	worst := 0.0
	for i, p := range params {
		data := p.Value.Data().([]float64)
		if len(sym[i]) != len(data) {
			t.Fatalf("%s: %d gradient values for %d weights", p.Name, len(sym[i]), len(data))
		}
		maxGrad := 0.0
		for j, orig := range data {
			num := (lossAt(data, j, orig+gradStep) - lossAt(data, j, orig-gradStep)) / (2 * gradStep)
			data[j] = orig
			a := sym[i][j]
			rel := math.Abs(a-num) / math.Max(gradFloor, math.Max(math.Abs(a), math.Abs(num)))
			worst = math.Max(worst, rel)
			maxGrad = math.Max(maxGrad, math.Abs(num))
			if !(rel < gradRelTol) {
				t.Errorf("%s[%d]: symbolic %.12g, numeric %.12g (relative error %.2g)", p.Name, j, a, num, rel)
			}
		}
		if maxGrad < 1e-6 {
			t.Errorf("%s: the loss does not depend on it (max |dL/dw| = %g): the check checks nothing", p.Name, maxGrad)
		}
	}
	// The weights were restored: the loss is back to its first value, bit for bit.
	run(t, vm)
	if got := tg.LossValue(); got != loss0 {
		t.Errorf("loss after restoring the weights %.17g, first run %.17g", got, loss0)
	}
	t.Logf("%s: %d params, worst relative error %.2g", cfg, net.NumParams(), worst)
}
