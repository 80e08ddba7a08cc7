package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaDropoutGradientIsWrong shows why Dropout uses a mask input instead of G.Dropout
// (v0.9.18). For L = sum(Dropout(x)) and x = 1, a kept unit has y = x/(1-p), so the right
// dL/dx is y/x = 1/(1-p); gorgonia's backward pass divides by p instead. Which units are kept is
// random (clock-seeded), but the ratio at kept units is not, so the check is deterministic.
func TestGorgoniaDropoutGradientIsWrong(t *testing.T) {
	const p = 0.2
	g := G.NewGraph()
	ones := make([]float64, 40*50)
	for i := range ones {
		ones[i] = 1
	}
	x := inputNode(t, g, "float64", "x", ones, 40, 50)
	y := must(G.Dropout(x, p))
	loss := must(G.Sum(y))
	if _, err := G.Grad(loss, x); err != nil {
		t.Fatal(err)
	}
	var yv G.Value
	G.Read(y, &yv)
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	defer vm.Close()
	run(t, vm)
	out, grad := f64s(t, yv), gradOf(t, x)

	kept, right := 0, 0
	ratio := math.NaN()
	for i, v := range out {
		if v == 0 {
			continue
		}
		kept++
		if math.Abs(v-1/(1-p)) > 1e-12 {
			t.Fatalf("kept unit %d = %g, want x/(1-p) = %g", i, v, 1/(1-p))
		}
		ratio = grad[i] / v // the right gradient dL/dx = y/x = y: ratio 1
		if math.Abs(ratio-1) < 1e-9 {
			right++
		}
	}
	if kept == 0 || kept == len(out) {
		t.Fatalf("%d of %d units kept at p=%g", kept, len(out), p)
	}
	if right > 0 {
		t.Errorf("G.Dropout's gradient is right at %d of %d kept units at p=%g: Dropout could use it again", right, kept, p)
	}
	t.Logf("G.Dropout p=%g: dL/dx / (y/x) at kept units = %g (right: 1; (1-p)/p = %g)", p, ratio, (1-p)/p)
}

func TestMaskFill(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, p := range []float64{0.2, 0.5, 0.9} {
			m := &Mask{P: p, Value: tensor.New(tensor.WithShape(200, 50), tensor.Of(dt))}
			rng := newRNG(7)
			keep := 1 / (1 - p)
			var kept, total int
			var prev []float64
			for draw := range 5 {
				m.Fill(rng)
				vals := f64s(t, m.Value)
				for i, v := range vals {
					switch v {
					case 0:
					case float64(castTo(dt, keep)):
						kept++
					default:
						t.Fatalf("%v p=%g: mask[%d] = %.17g, want 0 or exactly 1/(1-p) = %.17g", dt, p, i, v, keep)
					}
				}
				total += len(vals)
				if draw > 0 && slicesEqual(prev, vals) {
					t.Errorf("%v p=%g: draw %d repeats the previous mask", dt, p, draw)
				}
				prev = vals
			}
			// 50,000 Bernoulli draws: the keep rate's standard deviation is at most 0.0023.
			if rate := float64(kept) / float64(total); math.Abs(rate-(1-p)) > 0.012 {
				t.Errorf("%v p=%g: keep rate %.4f, want %.2f", dt, p, rate, 1-p)
			}
			// the same seed draws the same mask
			a := &Mask{P: p, Value: tensor.New(tensor.WithShape(10, 10), tensor.Of(dt))}
			b := &Mask{P: p, Value: tensor.New(tensor.WithShape(10, 10), tensor.Of(dt))}
			a.Fill(newRNG(3))
			b.Fill(newRNG(3))
			if !slicesEqual(f64s(t, a.Value), f64s(t, b.Value)) {
				t.Errorf("%v p=%g: the same seed gave different masks", dt, p)
			}
		}
	}
}

func castTo(dt tensor.Dtype, v float64) float64 {
	if dt == tensor.Float32 {
		return float64(float32(v))
	}
	return v
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestTrainGraphMasks: the training graph has one mask per hidden layer, shaped (batch, units),
// and FillMasks fills them.
func TestTrainGraphMasks(t *testing.T) {
	cfg := withDropout(MLP(6, []int{8, 5}, 3), 0.2)
	tg, err := mustNew(t, cfg, 1).NewTrainGraph(16)
	if err != nil {
		t.Fatal(err)
	}
	if len(tg.Masks) != len(cfg.Hidden) {
		t.Fatalf("%d masks, want %d", len(tg.Masks), len(cfg.Hidden))
	}
	tg.FillMasks(newRNG(2))
	for i, m := range tg.Masks {
		if want := (tensor.Shape{16, cfg.Hidden[i]}); !m.Value.Shape().Eq(want) || !m.Node.Shape().Eq(want) {
			t.Errorf("mask %d: shape %v (node %v), want %v", i, m.Value.Shape(), m.Node.Shape(), want)
		}
		if m.P != cfg.Dropout {
			t.Errorf("mask %d: P = %g", i, m.P)
		}
		zeros := 0
		for _, v := range f64s(t, m.Value) {
			if v == 0 {
				zeros++
			}
		}
		if zeros == 0 || zeros == m.Value.Shape().TotalSize() {
			t.Errorf("mask %d after FillMasks: %d zeros of %d", i, zeros, m.Value.Shape().TotalSize())
		}
	}
	// without dropout there is nothing to fill
	tg0, err := mustNew(t, withDropout(cfg, 0), 1).NewTrainGraph(16)
	if err != nil {
		t.Fatal(err)
	}
	if len(tg0.Masks) != 0 || countMaskNodes(tg0.Graph) != 0 {
		t.Errorf("dropout 0: %d masks, %d mask nodes", len(tg0.Masks), countMaskNodes(tg0.Graph))
	}
}

func countMaskNodes(g *G.ExprGraph) int {
	n := 0
	for _, node := range g.AllNodes() {
		if strings.HasSuffix(node.Name(), ".mask") {
			n++
		}
	}
	return n
}

// TestInferenceIgnoresDropout: models that differ only in p have the same weights (the dropout
// layers draw nothing from the RNG) and give bit-identical inference outputs, and their inference
// graphs are identical in size and contain no mask.
func TestInferenceIgnoresDropout(t *testing.T) {
	base := withDType(withAct(MLP(6, []int{8, 5}, 3), "tanh"), "float64")
	x := make([]float64, 4*6)
	rng := newRNG(11)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	var firstLogits, firstProbs []float64
	var firstNodes int
	for i, p := range []float64{0, 0.2, 0.5} {
		net := mustNew(t, withDropout(base, p), 42)
		tg, err := net.NewTrainGraph(4)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := countMaskNodes(tg.Graph), len(tg.Masks); got != want || (p > 0 && want != len(base.Hidden)) {
			t.Errorf("p=%g: training graph has %d mask nodes and %d masks", p, got, want)
		}
		ig, err := net.NewInferGraph(4)
		if err != nil {
			t.Fatal(err)
		}
		if n := countMaskNodes(ig.Graph); n != 0 {
			t.Errorf("p=%g: the inference graph has %d mask nodes", p, n)
		}
		setData(t, ig.XValue, x)
		vm := G.NewTapeMachine(ig.Graph)
		run(t, vm)
		vm.Close()
		logits, probs := f64s(t, ig.LogitsValue()), f64s(t, ig.ProbsValue())
		nodes := len(ig.Graph.AllNodes())
		if i == 0 {
			firstLogits, firstProbs, firstNodes = logits, probs, nodes
			continue
		}
		if !slicesEqual(logits, firstLogits) || !slicesEqual(probs, firstProbs) {
			t.Errorf("p=%g: inference logits %v, without dropout %v", p, logits, firstLogits)
		}
		if nodes != firstNodes {
			t.Errorf("p=%g: inference graph has %d nodes, without dropout %d", p, nodes, firstNodes)
		}
	}
}

// TestMaskFillIsFloat64 checks Mask.Fill's integer test against the rule it stands for, a unit
// kept when rng.Float64() >= P, draw by draw from the same stream, for the usual rates and for
// rates whose P·2^53 is (0.5, 0.25) or is not (0.1, 0.3) a whole number.
func TestMaskFillIsFloat64(t *testing.T) {
	for _, p := range []float64{0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.9, 1 - 1.0/(1<<53)} {
		m := &Mask{P: p, Value: NewTensor(tensor.Float64, []int{100, 100}, nil)}
		m.Fill(rand.New(rand.NewPCG(7, uint64(p*100))))
		ref := rand.New(rand.NewPCG(7, uint64(p*100)))
		for i, v := range m.Value.Data().([]float64) {
			if kept := ref.Float64() >= p; kept != (v != 0) {
				t.Fatalf("P=%v: unit %d kept=%v, rng.Float64() >= P says %v", p, i, v != 0, kept)
			}
		}
	}
}

// TestFillPCGIsFill: FillPCG draws the masks Fill draws from the same stream, bit for bit, for
// both dtypes and every kind of P, and leaves the stream where Fill leaves it.
func TestFillPCGIsFill(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, p := range []float64{0, 0.2, 0.5, 0.9, 1 - 1.0/(1<<53)} {
			a := &Mask{P: p, Value: NewTensor(dt, []int{37, 11}, nil)}
			b := &Mask{P: p, Value: NewTensor(dt, []int{37, 11}, nil)}
			for i := range b.Value.Len() { // FillPCG must write every unit, the dropped ones too
				b.Value.Set(i, scalarLike(dt, 3))
			}
			srcA, srcB := rand.NewPCG(3, uint64(p*10)), rand.NewPCG(3, uint64(p*10))
			a.Fill(rand.New(srcA))
			b.FillPCG(srcB)
			x, y := f64s(t, a.Value), f64s(t, b.Value)
			for i := range x {
				if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
					t.Fatalf("%v, P=%v: unit %d is %v, Fill's %v", dt, p, i, y[i], x[i])
				}
			}
			if srcA.Uint64() != srcB.Uint64() {
				t.Errorf("%v, P=%v: the streams are not left at the same draw", dt, p)
			}
		}
	}
}

// BenchmarkMaskFill draws a 50x256 float32 mask (a replica's share of the default network's
// hidden layer at batch 100) with Fill and with FillPCG.
func BenchmarkMaskFill(b *testing.B) {
	m := &Mask{P: 0.2, Value: NewTensor(tensor.Float32, []int{50, 256}, nil)}
	src := rand.NewPCG(1, 2)
	rng := rand.New(src)
	b.Run("Fill", func(b *testing.B) {
		for range b.N {
			m.Fill(rng)
		}
	})
	b.Run("FillPCG", func(b *testing.B) {
		for range b.N {
			m.FillPCG(src)
		}
	})
}
