package model

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// newRNG returns the seeded generator the commands use: PCG with a fixed second word.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// mustNew builds the network cfg describes or stops the test.
func mustNew(t testing.TB, cfg Config, seed uint64) *Network {
	t.Helper()
	net, err := New(cfg, newRNG(seed))
	if err != nil {
		t.Fatalf("New(%v): %v", cfg, err)
	}
	return net
}

// run executes one pass of a tape machine and rewinds it for the next.
func run(t testing.TB, vm G.VM) {
	t.Helper()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("RunAll: %v", err)
	}
	vm.Reset()
}

// f64s returns a float64 copy of a tensor's (or a gorgonia value's) elements.
func f64s(t testing.TB, v any) []float64 {
	t.Helper()
	if tt, ok := v.(tensor.Tensor); ok {
		v = tt.Data()
	}
	switch d := v.(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	t.Fatalf("f64s: unsupported %T", v)
	return nil
}

// setData overwrites the elements of a float32 or float64 tensor with vals.
func setData(t testing.TB, d *tensor.Dense, vals []float64) {
	t.Helper()
	switch data := d.Data().(type) {
	case []float64:
		if len(data) != len(vals) {
			t.Fatalf("setData: %d values for %d elements", len(vals), len(data))
		}
		copy(data, vals)
	case []float32:
		if len(data) != len(vals) {
			t.Fatalf("setData: %d values for %d elements", len(vals), len(data))
		}
		for i, v := range vals {
			data[i] = float32(v)
		}
	default:
		t.Fatalf("setData: unsupported %T", data)
	}
}

// gradOf returns a float64 copy of the gradient accumulated in node n.
func gradOf(t testing.TB, n *G.Node) []float64 {
	t.Helper()
	g, err := n.Grad()
	if err != nil {
		t.Fatalf("%s.Grad(): %v", n.Name(), err)
	}
	return f64s(t, g)
}

func allFinite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// refForward computes the inference forward pass of net in Go, in float64, from the current
// parameter values: the reference the graphs are compared with. It returns the logits (one row
// per sample) and every value that entered an activation (to keep inputs away from ReLU's kink).
func refForward(t testing.TB, net *Network, x [][]float64) (logits [][]float64, preacts []float64) {
	t.Helper()
	h := x
	for _, l := range net.Layers {
		switch l := l.(type) {
		case *Dense:
			w, b := f64s(t, l.W.Value), f64s(t, l.B.Value)
			in, out := l.W.Value.Shape()[0], l.W.Value.Shape()[1]
			next := make([][]float64, len(h))
			for r, row := range h {
				if len(row) != in {
					t.Fatalf("refForward: %s: input width %d, want %d", l.W.Name, len(row), in)
				}
				next[r] = make([]float64, out)
				for j := range out {
					s := b[j]
					for i := range in {
						s += row[i] * w[i*out+j]
					}
					next[r][j] = s
				}
			}
			h = next
		case ActivationLayer:
			f := refActivation(t, l.Name())
			next := make([][]float64, len(h))
			for r, row := range h {
				next[r] = make([]float64, len(row))
				for j, v := range row {
					preacts = append(preacts, v)
					next[r][j] = f(v)
				}
			}
			h = next
		case *Dropout: // inference: identity
		default:
			t.Fatalf("refForward: unknown layer %T", l)
		}
	}
	return h, preacts
}

func refActivation(t testing.TB, name string) func(float64) float64 {
	switch name {
	case "sigmoid":
		return sigmoid
	case "tanh":
		return math.Tanh
	case "relu":
		return func(v float64) float64 { return math.Max(v, 0) }
	case "leakyrelu":
		return func(v float64) float64 {
			if v < 0 {
				return LeakyReLUSlope * v
			}
			return v
		}
	}
	t.Fatalf("refActivation: no reference for %q", name)
	return nil
}

// rows splits a row-major slice into rows of width n.
func rows(v []float64, n int) [][]float64 {
	out := make([][]float64, 0, len(v)/n)
	for i := 0; i+n <= len(v); i += n {
		out = append(out, v[i:i+n])
	}
	return out
}

// fillTargets writes targets into y (batch rows of outputs columns): one-hot rows
// for several outputs, 0/1 labels (both present) for a single output. It returns the labels.
func fillTargets(y []float64, outputs int, rng *rand.Rand) []int {
	batch := len(y) / outputs
	labels := make([]int, batch)
	clear(y)
	for b := range batch {
		if outputs == 1 {
			labels[b] = b % 2
			y[b] = float64(labels[b])
			continue
		}
		labels[b] = rng.IntN(outputs)
		y[b*outputs+labels[b]] = 1
	}
	return labels
}

// fillBatch loads a training graph with a batch of standard-normal inputs and random targets
// (fillTargets), drawn from rng in that order.
func fillBatch(t testing.TB, tg *TrainGraph, rng *rand.Rand) {
	t.Helper()
	xs := make([]float64, tg.XValue.Shape().TotalSize())
	for i := range xs {
		xs[i] = rng.NormFloat64()
	}
	setData(t, tg.XValue, xs)
	ys := make([]float64, tg.YValue.Shape().TotalSize())
	fillTargets(ys, tg.YValue.Shape()[1], rng)
	setData(t, tg.YValue, ys)
}

// trainTrail trains a network of cfg (seed 3) for four Adam steps on a training graph of 16 rows of
// random inputs, targets and dropout masks, then runs an inference graph of 7 random rows. Every
// machine is compiled with opts and run by run. It returns what a change to how the machines run
// must not move by a bit: each step's loss, logits and gradients, the trained weights and the
// inference outputs.
func trainTrail(t *testing.T, cfg Config, run func(G.VM), opts ...G.VMOpt) []float64 {
	t.Helper()
	net := mustNew(t, cfg, 3)
	tg, err := net.NewTrainGraph(16)
	if err != nil {
		t.Fatal(err)
	}
	vm := tg.NewMachine(opts...)
	rng := newRNG(4)
	random := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.NormFloat64()
		}
		return xs
	}
	solver := G.NewAdamSolver(G.WithLearnRate(0.05))
	var trail []float64
	for range 4 {
		fillBatch(t, tg, rng)
		tg.FillMasks(rng)
		run(vm)
		trail = append(trail, tg.LossValue())
		trail = append(trail, f64s(t, tg.LogitsValue())...)
		for _, n := range tg.Learnables {
			trail = append(trail, gradOf(t, n)...)
		}
		if err := solver.Step(G.NodesToValueGrads(tg.Learnables)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range tg.Learnables {
		trail = append(trail, f64s(t, n.Value())...)
	}
	ig, err := net.NewInferGraph(7)
	if err != nil {
		t.Fatal(err)
	}
	setData(t, ig.XValue, random(7*cfg.Inputs))
	run(ig.NewMachine(opts...))
	return append(trail, f64s(t, ig.ProbsValue())...)
}

// sameTrails fails t unless two trails are equal bit for bit.
func sameTrails(t *testing.T, what string, want, got []float64) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(want[i]) != math.Float64bits(got[i]) {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}
