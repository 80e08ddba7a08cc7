package onnx_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/model"
	"gorgonet/model/onnx"
)

// fixNet builds cfg with weights from seed.
func fixNet(t *testing.T, cfg model.Config, seed uint64) *model.Network {
	t.Helper()
	net, err := model.New(cfg, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatalf("model.New(%v): %v", cfg, err)
	}
	return net
}

func withActivation(c model.Config, act string) model.Config { c.Activation = act; return c }
func withDropout(c model.Config, p float64) model.Config     { c.Dropout = p; return c }
func withFloat64(c model.Config) model.Config                { c.Dtype = tensor.Float64; return c }

// scale multiplies each unit by a learned factor: a layer of the tests' own with a Param, which
// exports itself as a Mul by an initializer of shape (1, units) broadcast over the batch.
type scale struct{ S *model.Param }

func newScale(name string, units int, rng *rand.Rand) *scale {
	v := make([]float32, units)
	for i := range v {
		v[i] = float32(0.5 + rng.Float64())
	}
	return &scale{&model.Param{Name: name, Value: tensor.New(tensor.WithShape(1, units), tensor.WithBacking(v)), Penalized: true}}
}

func (l *scale) Params() []*model.Param { return []*model.Param{l.S} }

func (l *scale) Forward(s *model.Scope, x *G.Node) (*G.Node, error) {
	return G.BroadcastHadamardProd(x, s.Param(l.S), nil, []byte{0})
}

func (l *scale) ExportONNX(b *onnx.Builder, input string) (string, error) {
	s, err := b.Tensor(l.S.Name, l.S.Value)
	if err != nil {
		return "", err
	}
	return b.Node(strings.TrimSuffix(l.S.Name, ".s"), "Mul", []string{input, s})
}

// square is a layer that cannot be exported.
type square struct{}

func (square) Params() []*model.Param { return nil }

func (square) Forward(_ *model.Scope, x *G.Node) (*G.Node, error) { return G.Square(x) }

// cube is an activation that cannot be exported.
type cube struct{}

func (cube) Name() string { return "cube" }

func (cube) Apply(_ *model.Scope, x *G.Node) (*G.Node, error) { return G.Cube(x) }

// failing is a layer whose export fails.
type failing struct{ square }

var errNoONNX = errors.New("no ONNX form for this setting")

func (failing) ExportONNX(*onnx.Builder, string) (string, error) { return "", errNoONNX }

// stray is a layer whose export reads a value that does not exist.
type stray struct{ square }

func (stray) ExportONNX(b *onnx.Builder, input string) (string, error) {
	return b.Node("", "Mul", []string{input, "nowhere"})
}

// named is a layer whose export is a Relu node of the given name.
type named struct {
	square
	name string
}

func (l named) ExportONNX(b *onnx.Builder, input string) (string, error) {
	return b.Node(l.name, "Relu", []string{input})
}

func decode(t *testing.T, net *model.Network, meta onnx.Metadata) *pb.ModelProto {
	t.Helper()
	b, err := onnx.Marshal(net, meta)
	if err != nil {
		t.Fatal(err)
	}
	var m pb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// f32s decodes an initializer's little-endian raw data.
func f32s(t *testing.T, tp *pb.TensorProto) []float32 {
	t.Helper()
	if tp.DataType != int32(pb.TensorProto_FLOAT) || len(tp.RawData)%4 != 0 {
		t.Fatalf("%s: data type %d, %d raw bytes", tp.Name, tp.DataType, len(tp.RawData))
	}
	v := make([]float32, len(tp.RawData)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(tp.RawData[4*i:]))
	}
	return v
}

// The file holds the weights bit for bit (float32) or rounded to the nearest float32 (float64),
// with W as (in, out) and b as a vector, and the nodes wired as the package documentation says.
func TestWeightsAndGraph(t *testing.T) {
	for _, dt := range []string{"float32", "float64"} {
		cfg := withActivation(model.MLP(5, []int{4}, 3), "leakyrelu")
		cfg.Dtype, _ = model.ParseDtype(dt)
		net := fixNet(t, cfg, 4)
		m := decode(t, net, onnx.Metadata{})
		params := net.Params()
		if len(m.Graph.Initializer) != len(params) {
			t.Fatalf("%s: %d initializers for %d params", dt, len(m.Graph.Initializer), len(params))
		}
		wantDims := [][]int64{{5, 4}, {4}, {4, 3}, {3}}
		for i, p := range params {
			init := m.Graph.Initializer[i]
			if init.Name != p.Name || !reflect.DeepEqual(init.Dims, wantDims[i]) {
				t.Errorf("%s: initializer %d is %s %v, want %s %v", dt, i, init.Name, init.Dims, p.Name, wantDims[i])
			}
			var want []float32
			switch d := p.Value.Data().(type) {
			case []float32:
				want = d
			case []float64:
				for _, v := range d {
					want = append(want, float32(v))
				}
			}
			if got := f32s(t, init); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %v, want %v", dt, p.Name, got, want)
			}
		}
		type node struct {
			Name, Op string
			In, Out  []string
		}
		var got []node
		for _, n := range m.Graph.Node {
			got = append(got, node{n.Name, n.OpType, n.Input, n.Output})
		}
		want := []node{
			{"hidden1", "Gemm", []string{"pixels", "hidden1.W", "hidden1.b"}, []string{"hidden1"}},
			{"hidden1_leakyrelu", "LeakyRelu", []string{"hidden1"}, []string{"hidden1_leakyrelu"}},
			{"output", "Gemm", []string{"hidden1_leakyrelu", "output.W", "output.b"}, []string{"logits"}},
			{"probabilities", "Softmax", []string{"logits"}, []string{"probabilities"}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: nodes\n%+v\nwant\n%+v", dt, got, want)
		}
		for _, n := range m.Graph.Node {
			if n.OpType == "Gemm" && len(n.Attribute) != 0 {
				t.Errorf("Gemm %s has attributes %v: W is stored (in, out), alpha = beta = 1", n.Name, n.Attribute)
			}
		}
		if a := m.Graph.Node[1].Attribute; len(a) != 1 || a[0].Name != "alpha" || a[0].F != float32(model.LeakyReLUSlope) {
			t.Errorf("LeakyRelu attributes %v, want alpha = %v", a, model.LeakyReLUSlope)
		}
		if a := m.Graph.Node[3].Attribute; len(a) != 1 || a[0].Name != "axis" || a[0].I != 1 {
			t.Errorf("Softmax attributes %v, want axis = 1", a)
		}
	}
}

// Dropout layers are left out; a single-output network gets Sigmoid probabilities.
func TestDropoutAndSigmoid(t *testing.T) {
	cfg := withDropout(withActivation(model.MLP(6, []int{4, 3}, 1), "tanh"), 0.5)
	m := decode(t, fixNet(t, cfg, 1), onnx.Metadata{})
	var ops []string
	for _, n := range m.Graph.Node {
		ops = append(ops, n.OpType)
	}
	if want := []string{"Gemm", "Tanh", "Gemm", "Tanh", "Gemm", "Sigmoid"}; !reflect.DeepEqual(ops, want) {
		t.Errorf("operators %v, want %v", ops, want)
	}
}

// A layer or activation that is neither built in nor an Exporter is refused with an
// *UnsupportedError naming it, and nothing is written.
func TestUnsupported(t *testing.T) {
	layer := fixNet(t, model.MLP(4, []int{3}, 2), 1)
	layer.Layers = append(layer.Layers[:2], append([]model.Layer{square{}}, layer.Layers[2:]...)...)
	act := fixNet(t, model.MLP(4, []int{3}, 2), 1)
	act.Layers[1] = model.ActivationLayer{Activation: cube{}}
	for _, c := range []struct {
		net  *model.Network
		want onnx.UnsupportedError
		msg  string
	}{
		{layer, onnx.UnsupportedError{Layer: 2, Type: "onnx_test.square"},
			"onnx: layer 2 (onnx_test.square) has no ONNX form: it is not built in and does not implement onnx.Exporter"},
		{act, onnx.UnsupportedError{Layer: 1, Type: "onnx_test.cube", Activation: "cube"},
			`onnx: layer 1: activation "cube" (onnx_test.cube) has no ONNX form: it is not built in and does not implement onnx.Exporter`},
	} {
		var buf bytes.Buffer
		err := onnx.Write(&buf, c.net, onnx.Metadata{})
		var u *onnx.UnsupportedError
		if !errors.As(err, &u) || *u != c.want || err.Error() != c.msg {
			t.Errorf("error %v (%#v), want %q", err, u, c.msg)
		}
		if buf.Len() != 0 {
			t.Errorf("%d bytes written despite the error", buf.Len())
		}
	}
}

// Errors of an Exporter come back wrapped with the layer, and wrong graphs are stopped in Go.
func TestExporterErrors(t *testing.T) {
	net := func(l model.Layer) *model.Network {
		n := fixNet(t, model.MLP(4, []int{3}, 2), 1)
		n.Layers = append(n.Layers[:2], append([]model.Layer{l}, n.Layers[2:]...)...)
		return n
	}
	_, err := onnx.Marshal(net(failing{}), onnx.Metadata{})
	if !errors.Is(err, errNoONNX) || err.Error() != "onnx: layer 2 (onnx_test.failing): no ONNX form for this setting" {
		t.Errorf("failing exporter: %v", err)
	}
	_, err = onnx.Marshal(net(stray{}), onnx.Metadata{})
	if err == nil || err.Error() != `onnx: layer 2 (onnx_test.stray): Mul node: input "nowhere" is not a value of the graph` {
		t.Errorf("stray input: %v", err)
	}
	// The output names belong to the graph's outputs, unless the last layer gives its own output
	// the name logits.
	_, err = onnx.Marshal(net(named{name: "logits"}), onnx.Metadata{})
	if err == nil || err.Error() != `onnx: a layer used the name "logits", which the graph's output needs` {
		t.Errorf("a hidden value named logits: %v", err)
	}
	_, err = onnx.Marshal(net(named{name: "probabilities"}), onnx.Metadata{})
	if err == nil || err.Error() != `onnx: Softmax node "probabilities": the name is taken` {
		t.Errorf("a hidden value named probabilities: %v", err)
	}
	last := fixNet(t, model.MLP(4, []int{3}, 2), 1)
	last.Layers = append(last.Layers, named{name: "logits"})
	m := decode(t, last, onnx.Metadata{})
	if n := m.Graph.Node[len(m.Graph.Node)-2]; n.OpType != "Relu" || n.Output[0] != "logits" || m.Graph.Node[len(m.Graph.Node)-3].Output[0] != "output" {
		t.Errorf("a last layer with output logits: nodes %v", m.Graph.Node)
	}
	// A second scale layer with the same param name: initializer names must be unique.
	n := net(newScale("scale1.s", 3, rand.New(rand.NewPCG(1, 1))))
	n.Layers = append(n.Layers[:3], append([]model.Layer{newScale("scale1.s", 3, rand.New(rand.NewPCG(1, 1)))}, n.Layers[3:]...)...)
	_, err = onnx.Marshal(n, onnx.Metadata{})
	if err == nil || err.Error() != `onnx: layer 3 (*onnx_test.scale): initializer "scale1.s": the name is empty or taken` {
		t.Errorf("duplicate initializer: %v", err)
	}
}

// Weights that float32 cannot hold, and metadata that does not fit the network, are refused.
func TestBadInput(t *testing.T) {
	nan := fixNet(t, model.MLP(4, []int{3}, 2), 1)
	nan.Params()[0].Value.Data().([]float32)[5] = float32(math.NaN())
	big := fixNet(t, withFloat64(model.MLP(4, []int{3}, 2)), 1)
	big.Params()[2].Value.Data().([]float64)[1] = 1e39
	ten := fixNet(t, model.Perceptron(4, 10), 1)
	one := fixNet(t, model.Perceptron(4, 1), 1)
	badLoss := fixNet(t, model.Perceptron(4, 10), 1)
	badLoss.Loss = "hinge"
	for _, c := range []struct {
		net  *model.Network
		meta onnx.Metadata
		want string
	}{
		{nan, onnx.Metadata{}, `onnx: layer 0 (*model.Dense): initializer "hidden1.W": value 5 is NaN`},
		{big, onnx.Metadata{}, `onnx: layer 2 (*model.Dense): initializer "output.W": value 1 is +Inf`},
		{ten, onnx.Metadata{ClassNames: []string{"a", "b"}}, "onnx: Metadata.ClassNames has 2 names, the network has 10 outputs"},
		{one, onnx.Metadata{ClassNames: []string{"a"}}, "onnx: Metadata.ClassNames has 1 names, the network has one sigmoid output, for 2 classes"},
		{badLoss, onnx.Metadata{}, `onnx: the network's loss "hinge" is unknown: its probabilities cannot be exported`},
		{nil, onnx.Metadata{}, "onnx: no network"},
	} {
		if _, err := onnx.Marshal(c.net, c.meta); err == nil || err.Error() != c.want {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	if _, err := onnx.Marshal(one, onnx.Metadata{ClassNames: []string{"not 7", "7"}}); err != nil {
		t.Errorf("two class names for one sigmoid output: %v", err)
	}
}

type brokenWriter struct{}

var errDiskFull = errors.New("disk full")

func (brokenWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// Write returns the writer's error; Marshal gives the same bytes every time.
func TestWriteAndMarshal(t *testing.T) {
	net := fixNet(t, model.MLP(4, []int{3}, 2), 1)
	if err := onnx.Write(brokenWriter{}, net, onnx.Metadata{}); !errors.Is(err, errDiskFull) {
		t.Errorf("Write to a failing writer: %v", err)
	}
	a, err := onnx.Marshal(net, onnx.Metadata{Command: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := onnx.Write(&buf, net, onnx.Metadata{Command: "x"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, buf.Bytes()) {
		t.Error("Write and Marshal give different bytes")
	}
	m := decode(t, net, onnx.Metadata{})
	if m.ProducerVersion != "(devel)" {
		t.Errorf("producer version %q in a test binary, want (devel)", m.ProducerVersion)
	}
}

// A network without layers passes its input through an Identity node to logits.
func TestNoLayers(t *testing.T) {
	net := fixNet(t, model.Perceptron(3, 3), 1)
	net.Layers = nil
	m := decode(t, net, onnx.Metadata{})
	var got []string
	for _, n := range m.Graph.Node {
		got = append(got, n.OpType+"("+strings.Join(n.Input, ",")+")->"+n.Output[0])
	}
	if want := []string{"Identity(pixels)->logits", "Softmax(logits)->probabilities"}; !reflect.DeepEqual(got, want) {
		t.Errorf("nodes %v, want %v", got, want)
	}
}
