package model_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// gelu is the Gaussian error linear unit in its tanh form (Hendrycks & Gimpel, "Gaussian Error
// Linear Units", 2016): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
type gelu struct{}

func (gelu) Name() string { return "gelu" }

func (gelu) Apply(s *model.Scope, x *G.Node) (*G.Node, error) {
	x2, err := G.HadamardProd(x, x)
	if err != nil {
		return nil, err
	}
	x3, err := G.HadamardProd(x2, x)
	if err != nil {
		return nil, err
	}
	// Constants come from the scope, in the graph's dtype.
	cubic, err := G.HadamardProd(s.Constant(0.044715), x3)
	if err != nil {
		return nil, err
	}
	inner, err := G.Add(x, cubic)
	if err != nil {
		return nil, err
	}
	scaled, err := G.HadamardProd(s.Constant(math.Sqrt(2/math.Pi)), inner)
	if err != nil {
		return nil, err
	}
	th, err := G.Tanh(scaled)
	if err != nil {
		return nil, err
	}
	onePlus, err := G.Add(s.Constant(1), th)
	if err != nil {
		return nil, err
	}
	half, err := G.HadamardProd(s.Constant(0.5), x)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(half, onePlus)
}

// Gain is a layer with weights of its own: a learnable gain per feature, y = x ⊙ g, with g of
// shape (1, Features) starting at 1.
type Gain struct {
	Name     string
	Features int
	G        *model.Param
}

// NewGain makes the layer and its parameter, once: Forward only takes the parameter's node.
func NewGain(name string, features int, dt tensor.Dtype) *Gain {
	ones := make([]float64, features)
	for i := range ones {
		ones[i] = 1
	}
	return &Gain{Name: name, Features: features,
		G: &model.Param{Name: name + ".g", Value: model.NewTensor(dt, []int{1, features}, ones)}}
}

// Params lists the layer's parameters, in a fixed order.
func (l *Gain) Params() []*model.Param { return []*model.Param{l.G} }

// Forward gets a (batch, Features) matrix, in every graph the network builds.
func (l *Gain) Forward(s *model.Scope, x *G.Node) (*G.Node, error) {
	return G.BroadcastHadamardProd(x, s.Param(l.G), nil, []byte{0})
}

// String labels the layer in descriptions and diagrams (model.LayerLabel).
func (l *Gain) String() string { return fmt.Sprintf("gain ×%d", l.Features) }

// gainAttrs are what a file keeps of a Gain besides its weights.
type gainAttrs struct {
	Features int `json:"features"`
}

// Describe makes the layer savable: its registered kind, its name and its attributes.
func (l *Gain) Describe() (model.LayerSpec, error) {
	return model.NewLayerSpec("gain", l.Name, gainAttrs{l.Features})
}

// Registration, in an init function: files that hold a "gain" layer or the "gelu" activation
// then load in this program.
func init() {
	model.RegisterActivation(gelu{})
	model.RegisterLayer("gain", func(spec model.LayerSpec, dt tensor.Dtype, _ *rand.Rand) (model.Layer, error) {
		var a gainAttrs
		if err := spec.DecodeAttrs(&a); err != nil {
			return nil, err
		}
		if a.Features <= 0 || a.Features > model.MaxParams {
			return nil, fmt.Errorf("gain layer %q: %d features", spec.Name, a.Features)
		}
		return NewGain(spec.Name, a.Features, dt), nil
	})
}

// A new activation (GELU) and a new layer with weights (a per-feature gain) in a network that
// learns XOR: it trains, checkpoints and resumes, saves, loads (also into a network the program
// built itself) and predicts identically, with no change to the model or train packages.
func Example_extending() {
	dt := tensor.Float64
	newNet := func(seed uint64) *model.Network {
		rng := rand.New(rand.NewPCG(seed, 0))
		net, err := model.NewNetwork(2, 1, model.BCE, 0, dt,
			model.NewDense("hidden", 2, 8, model.Glorot, dt, rng),
			NewGain("gain", 8, dt),
			model.ActivationLayer{Activation: gelu{}},
			model.NewDense("output", 8, 1, model.Glorot, dt, rng))
		if err != nil {
			panic(err)
		}
		return net
	}
	net := newNet(1)
	fmt.Println(net)
	fmt.Println(net.NumParams(), "parameters")

	// Train 40 full-batch epochs, checkpoint, and resume to 120.
	xor := dataset.XOR()
	cfg := train.Config{Optimizer: "adam", LearnRate: 0.02, Epochs: 40, BatchSize: 4, Seed: 1}
	t, err := train.NewTrainer(net, cfg)
	if err != nil {
		panic(err)
	}
	if err := t.Fit(context.Background(), xor, nil); err != nil {
		panic(err)
	}
	fmt.Printf("after %d epochs: loss %.4f\n", len(t.History), t.History[len(t.History)-1].Loss)
	ck, err := t.Checkpoint(map[string]string{"note": "a third of the way"})
	if err != nil {
		panic(err)
	}
	var file bytes.Buffer
	if err := train.WriteCheckpoint(&file, ck); err != nil {
		panic(err)
	}
	back, err := train.ReadCheckpoint(&file)
	if err != nil {
		panic(err)
	}
	t, err = train.Resume(back, 120)
	if err != nil {
		panic(err)
	}
	if err := t.Fit(context.Background(), xor, nil); err != nil {
		panic(err)
	}
	trained, err := t.Eval.Probabilities(xor)
	if err != nil {
		panic(err)
	}
	fmt.Printf("resumed to %d epochs: loss %.4f\n", len(t.History), t.History[len(t.History)-1].Loss)

	// Save, load, and predict again.
	file.Reset()
	if err := model.Write(&file, model.Saved{Net: t.Net}); err != nil {
		panic(err)
	}
	saved := bytes.Clone(file.Bytes())
	loaded, err := model.Read(&file)
	if err != nil {
		panic(err)
	}
	again, err := train.NewEvaluator(loaded.Net).Probabilities(xor)
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded:", loaded.Net)

	// Or load only the weights, by name, into a network built here.
	mine := newNet(99)
	w, err := model.ReadWeights(bytes.NewReader(saved))
	if err != nil {
		panic(err)
	}
	if err := mine.SetWeights(w); err != nil {
		panic(err)
	}
	weightsOnly, err := train.NewEvaluator(mine).Probabilities(xor)
	if err != nil {
		panic(err)
	}
	for i := range xor.Len() {
		x := xor.Sample(i)
		same := slices.Equal(trained[i], again[i]) && slices.Equal(trained[i], weightsOnly[i])
		fmt.Printf("%d xor %d = %d: p(1) = %.3f, identical after loading: %v\n", x[0], x[1], xor.Labels[i], trained[i][0], same)
	}
	// Output:
	// network 2 -> dense 2→8, gain ×8, gelu, dense 8→1 loss=bce float64
	// 41 parameters
	// after 40 epochs: loss 0.0485
	// resumed to 120 epochs: loss 0.0012
	// loaded: network 2 -> dense 2→8, gain ×8, gelu, dense 8→1 loss=bce float64
	// 0 xor 0 = 0: p(1) = 0.001, identical after loading: true
	// 0 xor 1 = 1: p(1) = 0.998, identical after loading: true
	// 1 xor 0 = 1: p(1) = 0.999, identical after loading: true
	// 1 xor 1 = 0: p(1) = 0.001, identical after loading: true
}
