package model_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/model"
)

// Scale is a layer without weights but with an attribute: y = Factor·x. Such a layer was once
// dropped silently by saving (files kept only the weights), so a loaded model answered otherwise.
type Scale struct{ Factor float64 }

func (Scale) Params() []*model.Param { return nil }

func (l Scale) Forward(s *model.Scope, x *G.Node) (*G.Node, error) {
	return G.HadamardProd(s.Constant(l.Factor), x)
}

func (l Scale) Describe() (model.LayerSpec, error) {
	return model.NewLayerSpec("scale", "", map[string]float64{"factor": l.Factor})
}

func init() {
	model.RegisterLayer("scale", func(spec model.LayerSpec, _ tensor.Dtype, _ *rand.Rand) (model.Layer, error) {
		var a struct{ Factor float64 }
		if err := spec.DecodeAttrs(&a); err != nil {
			return nil, err
		}
		return Scale{a.Factor}, nil
	})
}

// customNet is inputs -> dense 6 -> gain -> gelu -> scale 2.5 -> dropout -> dense outputs.
func customNet(t testing.TB, dt tensor.Dtype, seed uint64) *model.Network {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	net, err := model.NewNetwork(4, 3, model.CrossEntropy, 1e-3, dt,
		model.NewDense("in", 4, 6, model.He, dt, rng), NewGain("gain", 6, dt),
		model.ActivationLayer{Activation: gelu{}}, Scale{2.5}, &model.Dropout{P: 0.3, Name: "drop"},
		model.NewDense("out", 6, 3, model.Glorot, dt, rng))
	if err != nil {
		t.Fatal(err)
	}
	// Make the gain's values matter: not all ones.
	gain := net.Layers[1].(*Gain)
	gain.G.Value = model.NewTensor(dt, []int{1, 6}, []float64{0.5, 0.75, 1, 1.25, 1.5, 1.75})
	return net
}

// logitsOf runs rows of inputs through an inference graph of net.
func logitsOf(t testing.TB, net *model.Network, rows int) []float64 {
	t.Helper()
	ig, err := net.NewInferGraph(rows)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float64, rows*net.Inputs)
	for i := range x {
		x[i] = rng.Float64()*2 - 1
	}
	switch d := ig.XValue.Data().(type) {
	case []float64:
		copy(d, x)
	case []float32:
		for i := range d {
			d[i] = float32(x[i])
		}
	}
	vm := G.NewTapeMachine(ig.Graph)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	switch d := ig.LogitsValue().Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	default:
		return slices.Clone(d.([]float64))
	}
}

// A network of custom layers (one with weights, one without but with an attribute), a custom
// activation and dropout saves, loads as the same network, and answers bit for bit the same, in
// both dtypes.
func TestCustomNetworkSaveLoad(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		net := customNet(t, dt, 3)
		var b bytes.Buffer
		if err := model.Write(&b, model.Saved{Net: net}); err != nil {
			t.Fatal(err)
		}
		got, err := model.Read(&b)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := net.Spec()
		c, _ := got.Net.Spec()
		if !a.Equal(c) || got.Net.String() != net.String() {
			t.Errorf("%v: saved %s, loaded %s", dt, net, got.Net)
		}
		if s, ok := got.Net.Layers[3].(Scale); !ok || s.Factor != 2.5 {
			t.Errorf("%v: the weightless layer came back as %#v", dt, got.Net.Layers[3])
		}
		if want, have := logitsOf(t, net, 5), logitsOf(t, got.Net, 5); !slices.Equal(want, have) {
			t.Errorf("%v: the loaded network answers %v, the saved one %v", dt, have, want)
		}
	}
}

type plainLayer struct{}

func (plainLayer) Params() []*model.Param                             { return nil }
func (plainLayer) Forward(_ *model.Scope, x *G.Node) (*G.Node, error) { return x, nil }

type unregistered struct{ plainLayer }

func (unregistered) Describe() (model.LayerSpec, error) {
	return model.NewLayerSpec("nobody-registered-this", "", nil)
}

// lossy describes itself without the factor its builder needs: it would load as another layer.
type lossy struct{ Scale }

func (lossy) Describe() (model.LayerSpec, error) { return model.NewLayerSpec("scale", "", nil) }

// Saving refuses what could not load back as the same network, naming the layer.
func TestWriteRefuses(t *testing.T) {
	dt := tensor.Float32
	dense := func(name string, in, out int) *model.Dense {
		return model.NewDense(name, in, out, model.Glorot, dt, rand.New(rand.NewPCG(1, 0)))
	}
	for _, c := range []struct {
		name  string
		layer model.Layer
		want  string
		as    any
	}{
		{"no Describe", plainLayer{}, "layer 2: layer of type model_test.plainLayer cannot be saved: it does not implement model.Describer", new(*model.NotDescribableError)},
		{"unregistered kind", unregistered{}, `unknown layer kind "nobody-registered-this"`, new(*model.UnregisteredError)},
		{"lossy description", lossy{Scale{3}}, "do not survive a rebuild", nil},
	} {
		net, err := model.NewNetwork(2, 2, model.CrossEntropy, 0, dt, dense("a", 2, 2), c.layer, dense("b", 2, 2))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		err = model.Write(&b, model.Saved{Net: net})
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.as != nil && !errors.As(err, c.as)) {
			t.Errorf("%s: Write: %v, want %q", c.name, err, c.want)
		}
		if b.Len() != 0 {
			t.Errorf("%s: %d bytes written before the refusal", c.name, b.Len())
		}
	}
}

// Two parameters (or two layers) of one name would be one Gorgonia node: refused, naming it.
func TestDuplicateNamesRefused(t *testing.T) {
	dt := tensor.Float32
	rng := rand.New(rand.NewPCG(1, 0))
	_, err := model.NewNetwork(3, 2, model.CrossEntropy, 0, dt,
		model.NewDense("layer", 3, 3, model.Glorot, dt, rng), model.NewDense("layer", 3, 2, model.Glorot, dt, rng))
	var de *model.DuplicateNameError
	if !errors.As(err, &de) || de.Name != "layer" || !strings.Contains(err.Error(), `"layer" is used by layers 1 and 2`) {
		t.Errorf("two dense layers named layer: %v", err)
	}
	// The same with parameters of layers that are not named, and in a network assembled by hand:
	// the graph builders refuse it too.
	net := &model.Network{Inputs: 3, Outputs: 3, Loss: model.CrossEntropy, Dtype: dt, Layers: []model.Layer{NewGain("g", 3, dt), NewGain("g", 3, dt)}}
	if _, err := net.NewTrainGraph(4); !errors.As(err, &de) {
		t.Errorf("two gains named g: NewTrainGraph gives %v", err)
	}
	if _, err := net.NewInferGraph(4); !errors.As(err, &de) {
		t.Errorf("two gains named g: NewInferGraph gives %v", err)
	}
	drop := &model.Network{Inputs: 3, Outputs: 3, Loss: model.CrossEntropy, Dtype: dt,
		Layers: []model.Layer{&model.Dropout{P: 0.5, Name: "d"}, &model.Dropout{P: 0.2, Name: "d"}, NewGain("g", 3, dt)}}
	if err := drop.Validate(); !errors.As(err, &de) || de.What != "layer" {
		t.Errorf("two dropout layers named d (their masks would be one node): %v", err)
	}
	unnamed := &model.Network{Inputs: 3, Outputs: 3, Loss: model.CrossEntropy, Dtype: dt,
		Layers: []model.Layer{&model.Dropout{P: 0.5}, &model.Dropout{P: 0.2}, NewGain("g", 3, dt)}}
	if _, err := unnamed.NewTrainGraph(4); err == nil || !strings.Contains(err.Error(), "layer 1: a dropout layer needs a Name") {
		t.Errorf("unnamed dropout layers (both masks named .mask): %v", err)
	}
}

// SetWeights is strict and lists every difference; SetSomeWeights takes what fits and says what
// it left; neither changes anything when it fails.
func TestSetWeights(t *testing.T) {
	dt := tensor.Float64
	src := customNet(t, dt, 1)
	w := src.Weights()
	dst := customNet(t, dt, 2)
	if err := dst.SetWeights(w); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(logitsOf(t, src, 3), logitsOf(t, dst, 3)) {
		t.Error("after SetWeights the networks answer differently")
	}

	other := customNet(t, dt, 5)
	before := other.Weights()
	broken := model.Weights{}
	for name, td := range w {
		broken[name] = td
	}
	delete(broken, "gain.g")
	broken["extra.W"] = model.TensorData{Shape: []int{1, 1}, F64: []float64{1}}
	broken["in.W"] = model.TensorData{Shape: []int{6, 4}, F64: make([]float64, 24)}
	err := other.SetWeights(broken)
	var we *model.WeightsError
	if !errors.As(err, &we) || !slices.Equal(we.Missing, []string{"gain.g"}) || !slices.Equal(we.Unexpected, []string{"extra.W"}) ||
		len(we.Mismatched) != 1 || !strings.HasPrefix(we.Mismatched[0], "in.W: stored (6, 4) float64, network (4, 6) float64") {
		t.Fatalf("SetWeights of broken weights: %v", err)
	}
	if fmt.Sprint(other.Weights()) != fmt.Sprint(before) {
		t.Error("a failed SetWeights changed the weights")
	}
	delete(broken, "in.W")
	missing, unexpected, err := other.SetSomeWeights(broken)
	if err != nil || !slices.Equal(missing, []string{"in.W", "gain.g"}) || !slices.Equal(unexpected, []string{"extra.W"}) {
		t.Errorf("SetSomeWeights: missing %v, unexpected %v, %v", missing, unexpected, err)
	}
	if got := other.Weights()["out.W"]; !slices.Equal(got.F64, w["out.W"].F64) {
		t.Error("SetSomeWeights did not set out.W")
	}
	if got := other.Weights()["in.W"]; !slices.Equal(got.F64, before["in.W"].F64) {
		t.Error("SetSomeWeights changed in.W, which it was not given")
	}
}

// A network a Config builds is described as the Config; any other lists its layers, and the
// diagram shows every layer.
func TestDescriptionsOfCustomNetworks(t *testing.T) {
	cfg := model.MLP(4, []int{6}, 3)
	cfg.Dropout = 0.25
	std, err := model.New(cfg, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := std.Config(); !ok || !got.Equal(cfg) || std.String() != cfg.String() {
		t.Errorf("Config() of New(%v) = %v, %v; String %q", cfg, got, ok, std)
	}
	custom := customNet(t, tensor.Float32, 1)
	if _, ok := custom.Config(); ok {
		t.Error("a network with custom layers has a Config")
	}
	const want = "network 4 -> dense 4→6, gain ×6, gelu, scale, dropout 0.3, dense 6→3 loss=crossentropy l2=0.001 float32"
	if got := custom.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	mermaid := model.Mermaid(custom)
	for _, node := range []string{`h1["dense 4→6"]`, `l1["gain ×6"]`, `l2["gelu"]`, `l3["scale"]`, `d1["dropout 0.3"]`, `out["dense 6→3"]`, `loss["cross-entropy + L2 0.001"]`} {
		if !strings.Contains(mermaid, node) {
			t.Errorf("the diagram lacks %s:\n%s", node, mermaid)
		}
	}
	// A Config-built network whose layer was swapped is no longer described as the Config.
	std.Layers[1] = model.ActivationLayer{Activation: gelu{}}
	if _, ok := std.Config(); ok || !strings.HasPrefix(std.String(), "network 4 -> dense 4→6, gelu") {
		t.Errorf("after swapping the activation: %s", std)
	}
}
