package model

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestSameSeedSameWeights(t *testing.T) {
	for _, dt := range dtypeNames {
		cfg := withDropout(withDType(MLP(20, []int{16, 8}, 4), dt), 0.2)
		a, b, c := mustNew(t, cfg, 7), mustNew(t, cfg, 7), mustNew(t, cfg, 8)
		pa, pb, pc := a.Params(), b.Params(), c.Params()
		if len(pa) != 6 || len(pb) != len(pa) || len(pc) != len(pa) {
			t.Fatalf("%s: %d, %d, %d params", dt, len(pa), len(pb), len(pc))
		}
		for i := range pa {
			if pa[i].Value.Dtype().Name() != dt {
				t.Errorf("%s: %s has dtype %v", dt, pa[i].Name, pa[i].Value.Dtype())
			}
			va, vb, vc := f64s(t, pa[i].Value), f64s(t, pb[i].Value), f64s(t, pc[i].Value)
			if !slicesEqual(va, vb) {
				t.Errorf("%s: %s differs between two models with seed 7", dt, pa[i].Name)
			}
			if pa[i].Penalized && slicesEqual(va, vc) {
				t.Errorf("%s: %s is the same with seeds 7 and 8", dt, pa[i].Name)
			}
			if !pa[i].Penalized {
				for _, v := range va {
					if v != 0 {
						t.Errorf("%s: bias %s = %g, want zero", dt, pa[i].Name, v)
						break
					}
				}
			}
		}
	}
}

// TestTrainingIsReproducible: the same seed for weights and masks gives bit-identical weights
// after a few SGD steps with dropout.
func TestTrainingIsReproducible(t *testing.T) {
	cfg := withL2(withDropout(MLP(6, []int{8}, 3), 0.3), 1e-3)
	train := func() [][]float64 {
		net := mustNew(t, cfg, 5)
		tg, err := net.NewTrainGraph(8)
		if err != nil {
			t.Fatal(err)
		}
		rng := newRNG(6)
		vm := G.NewTapeMachine(tg.Graph, G.BindDualValues(tg.Learnables...))
		defer vm.Close()
		solver := G.NewVanillaSolver(G.WithLearnRate(0.1))
		for range 5 {
			x := tg.XValue.Data().([]float32)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			y := make([]float64, 8*3)
			fillTargets(y, 3, rng)
			setData(t, tg.YValue, y)
			tg.FillMasks(rng)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			if err := solver.Step(G.NodesToValueGrads(tg.Learnables)); err != nil {
				t.Fatal(err)
			}
			vm.Reset()
		}
		var w [][]float64
		for _, p := range net.Params() {
			w = append(w, f64s(t, p.Value))
		}
		return w
	}
	a, b := train(), train()
	for i := range a {
		if !slicesEqual(a[i], b[i]) {
			t.Errorf("param %d differs between two runs with the same seeds", i)
		}
	}
}

func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}

func TestInitialisation(t *testing.T) {
	const in, hidden, out = 784, 256, 10
	for _, dt := range dtypeNames {
		for _, act := range Activations() {
			a, err := ActivationByName(act)
			if err != nil {
				t.Fatal(err)
			}
			net := mustNew(t, withDType(withAct(MLP(in, []int{hidden}, out), act), dt), 1)
			h, o := net.Layers[0].(*Dense), net.Layers[len(net.Layers)-1].(*Dense)
			if !h.W.Value.Shape().Eq(tensor.Shape{in, hidden}) || !h.B.Value.Shape().Eq(tensor.Shape{1, hidden}) ||
				!o.W.Value.Shape().Eq(tensor.Shape{hidden, out}) || !o.B.Value.Shape().Eq(tensor.Shape{1, out}) {
				t.Fatalf("%s: shapes %v %v %v %v", act, h.W.Value.Shape(), h.B.Value.Shape(), o.W.Value.Shape(), o.B.Value.Shape())
			}
			w := f64s(t, h.W.Value)
			mean, std := meanStd(w)
			// 200,704 draws: the sample mean's SE is std/448, the sample std's relative SE 0.16%.
			if math.Abs(mean) > 5*std/math.Sqrt(float64(len(w))) {
				t.Errorf("%s %s: hidden weights mean %g", dt, act, mean)
			}
			switch initOf(a) {
			case He:
				if want := math.Sqrt(2.0 / in); math.Abs(std/want-1) > 0.02 {
					t.Errorf("%s %s (He): hidden weights std %g, want sqrt(2/fanIn) = %g", dt, act, std, want)
				}
			case Glorot:
				checkGlorot(t, dt+" "+act+" hidden", w, in, hidden)
			}
			checkGlorot(t, dt+" "+act+" output", f64s(t, o.W.Value), hidden, out)
		}
	}
	if initOf(Sigmoid) != Glorot || initOf(Tanh) != Glorot || initOf(ReLU) != He || initOf(LeakyReLU) != He {
		t.Errorf("built-in activations ask for the wrong initialisation")
	}
	if initOf(plainActivation{}) != Glorot {
		t.Errorf("an activation without an Init method does not get Glorot")
	}
}

// checkGlorot: every weight within ±sqrt(6/(fanIn+fanOut)), the range used, and the std of a
// uniform distribution on it.
func checkGlorot(t *testing.T, what string, w []float64, fanIn, fanOut int) {
	t.Helper()
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range w {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo < -limit || hi > limit {
		t.Errorf("%s (Glorot): weights in [%g, %g], outside ±%g", what, lo, hi, limit)
	}
	if lo > -0.95*limit || hi < 0.95*limit {
		t.Errorf("%s (Glorot): weights in [%g, %g], do not fill ±%g", what, lo, hi, limit)
	}
	if _, std := meanStd(w); math.Abs(std/(limit/math.Sqrt(3))-1) > 0.05 {
		t.Errorf("%s (Glorot): std %g, want %g", what, std, limit/math.Sqrt(3))
	}
}

type plainActivation struct{}

func (plainActivation) Name() string                               { return "plain" }
func (plainActivation) Apply(_ *Scope, x *G.Node) (*G.Node, error) { return x, nil }

// TestSameShapedLayersAreDistinct: gorgonia hash-conses nodes by name and shape, so two layers
// whose weights have the same shape would silently share one node if their names collided. In an
// 8-8-8-2 MLP hidden1.W and hidden2.W are both 8x8 (and hidden1.b, hidden2.b both 1x8).
func TestSameShapedLayersAreDistinct(t *testing.T) {
	// The hazard: same name, same shape -> the same node.
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float64, G.WithShape(8, 8), G.WithName("W"))
	b := G.NewMatrix(g, tensor.Float64, G.WithShape(8, 8), G.WithName("W"))
	if a != b {
		t.Errorf("gorgonia no longer hash-conses same-named inputs: GORGONIA_NOTES.md section 1 is out of date")
	}

	cfg := withDType(MLP(8, []int{8, 8}, 2), "float64")
	net := mustNew(t, cfg, 3)
	params := net.Params()
	names := map[string]bool{}
	for _, p := range params {
		if names[p.Name] {
			t.Errorf("two params are named %s", p.Name)
		}
		names[p.Name] = true
	}
	tg, err := net.NewTrainGraph(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[*G.Node]string{}
	for i, n := range tg.Learnables {
		if other, dup := seen[n]; dup {
			t.Errorf("%s and %s are one graph node", other, params[i].Name)
		}
		seen[n] = params[i].Name
		// Bound to the Param's elements through a header of the graph's own (see Scope.Param).
		if v, _ := n.Value().(*tensor.Dense); v == nil || v == params[i].Value || v.Uintptr() != params[i].Value.Uintptr() {
			t.Errorf("%s's node is not bound to its Param.Value's elements through a header of its own", params[i].Name)
		}
	}
	rng := newRNG(4)
	x := tg.XValue.Data().([]float64)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	fillTargets(tg.YValue.Data().([]float64), cfg.Outputs, rng)
	vm := G.NewTapeMachine(tg.Graph, G.BindDualValues(tg.Learnables...))
	defer vm.Close()
	run(t, vm)
	grads := make([][]float64, len(params))
	for i, n := range tg.Learnables {
		grads[i] = gradOf(t, n)
	}
	for _, pair := range [][2]int{{0, 2}, {1, 3}} { // hidden1.W/hidden2.W, hidden1.b/hidden2.b
		i, j := pair[0], pair[1]
		if !params[i].Value.Shape().Eq(params[j].Value.Shape()) {
			t.Fatalf("%s %v and %s %v: the test needs equal shapes", params[i].Name, params[i].Value.Shape(), params[j].Name, params[j].Value.Shape())
		}
		if slicesEqual(grads[i], grads[j]) {
			t.Errorf("%s and %s have the same gradient", params[i].Name, params[j].Name)
		}
	}
	// One SGD step moves each weight by its own gradient.
	before := make([][]float64, len(params))
	for i, p := range params {
		before[i] = f64s(t, p.Value)
	}
	const lr = 0.1
	if err := G.NewVanillaSolver(G.WithLearnRate(lr)).Step(G.NodesToValueGrads(tg.Learnables)); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		after := f64s(t, p.Value)
		for k := range after {
			if want := before[i][k] - lr*grads[i][k]; math.Abs(after[k]-want) > 1e-15 {
				t.Fatalf("%s[%d] after a step: %g, want %g", p.Name, k, after[k], want)
			}
		}
	}
}

// TestInferenceSeesTrainingUpdates: an inference machine built before a training step computes
// with the updated weights when run after it, exactly as a freshly built graph does.
func TestInferenceSeesTrainingUpdates(t *testing.T) {
	for _, dt := range dtypeNames {
		t.Run(dt, func(t *testing.T) {
			cfg := withDType(withAct(MLP(5, []int{6}, 3), "tanh"), dt)
			net := mustNew(t, cfg, 9)
			rng := newRNG(10)
			xs := make([]float64, 3*5)
			for i := range xs {
				xs[i] = rng.NormFloat64()
			}
			ig, err := net.NewInferGraph(3)
			if err != nil {
				t.Fatal(err)
			}
			setData(t, ig.XValue, xs)
			im := G.NewTapeMachine(ig.Graph)
			defer im.Close()
			run(t, im)
			before := f64s(t, ig.LogitsValue())

			tg, err := net.NewTrainGraph(4)
			if err != nil {
				t.Fatal(err)
			}
			fillBatch(t, tg, rng)
			vm := G.NewTapeMachine(tg.Graph, G.BindDualValues(tg.Learnables...))
			defer vm.Close()
			run(t, vm)
			if err := G.NewVanillaSolver(G.WithLearnRate(0.5)).Step(G.NodesToValueGrads(tg.Learnables)); err != nil {
				t.Fatal(err)
			}

			run(t, im)
			after := f64s(t, ig.LogitsValue())
			for i := range after {
				if after[i] == before[i] {
					t.Errorf("logit %d unchanged by the training step: %g", i, after[i])
				}
			}
			fresh, err := net.NewInferGraph(3)
			if err != nil {
				t.Fatal(err)
			}
			setData(t, fresh.XValue, xs)
			fm := G.NewTapeMachine(fresh.Graph)
			defer fm.Close()
			run(t, fm)
			if want := f64s(t, fresh.LogitsValue()); !slicesEqual(after, want) {
				t.Errorf("old inference graph %v, fresh one %v", after, want)
			}
			ref, _ := refForward(t, net, rows(xs, 5))
			for i, want := range flatten(ref) {
				if !closeTo(after[i], want, 10*tolFor(dt)) {
					t.Errorf("logit %d = %g, Go forward pass %g", i, after[i], want)
				}
			}
		})
	}
}

// TestTrainingReducesLoss: both dtypes build, run and learn, for every loss.
func TestTrainingReducesLoss(t *testing.T) {
	for _, dt := range dtypeNames {
		for _, loss := range Losses {
			t.Run(dt+"/"+loss, func(t *testing.T) {
				outputs := 3
				if loss == BCE {
					outputs = 1
				}
				cfg := withL2(withLoss(withDType(withAct(MLP(4, []int{8}, outputs), "tanh"), dt), loss), 1e-3)
				net := mustNew(t, cfg, 12)
				const batch = 16
				tg, err := net.NewTrainGraph(batch)
				if err != nil {
					t.Fatal(err)
				}
				// a learnable rule: the class is the index of the largest of the first 3 inputs
				// (for bce: whether input 0 is positive)
				rng := newRNG(13)
				x := make([]float64, batch*4)
				y := make([]float64, batch*outputs)
				for b := range batch {
					best := 0
					for i := range 4 {
						x[b*4+i] = rng.NormFloat64()
						if i < 3 && x[b*4+i] > x[b*4+best] {
							best = i
						}
					}
					if loss == BCE {
						if x[b*4] > 0 {
							y[b] = 1
						}
					} else {
						y[b*outputs+best] = 1
					}
				}
				setData(t, tg.XValue, x)
				setData(t, tg.YValue, y)
				vm := G.NewTapeMachine(tg.Graph, G.BindDualValues(tg.Learnables...))
				defer vm.Close()
				solver := G.NewVanillaSolver(G.WithLearnRate(0.5))
				var losses []float64
				for range 40 {
					if err := vm.RunAll(); err != nil {
						t.Fatal(err)
					}
					losses = append(losses, tg.LossValue())
					if got, want := tg.LossValue()-tg.DataLossValue(), net.L2Penalty(); !closeTo(got, want, 1e2*tolFor(dt)) || want <= 0 {
						t.Fatalf("loss - data loss = %g, L2Penalty %g", got, want)
					}
					if err := solver.Step(G.NodesToValueGrads(tg.Learnables)); err != nil {
						t.Fatal(err)
					}
					vm.Reset()
				}
				if !allFinite(losses...) {
					t.Fatalf("losses %v", losses)
				}
				if losses[1] >= losses[0] {
					t.Errorf("one step did not reduce the loss: %g -> %g", losses[0], losses[1])
				}
				if last := losses[len(losses)-1]; last > 0.7*losses[0] {
					t.Errorf("40 steps: loss %g -> %g", losses[0], last)
				}
				t.Logf("loss %.4f -> %.4f -> %.4f", losses[0], losses[1], losses[len(losses)-1])
			})
		}
	}
}
