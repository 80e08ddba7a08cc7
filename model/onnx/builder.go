package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"gorgonia.org/tensor"
)

// An Exporter adds its own part of the ONNX graph. A layer or an activation of your own implements
// it to be exportable: Write calls ExportONNX with the name of the value the layer receives (a
// float32 tensor of shape [N, features]) and expects the name of the value it produces. The
// operators must be those of the default ONNX domain at OpsetVersion.
type Exporter interface {
	ExportONNX(b *Builder, input string) (output string, err error)
}

// A Builder collects the nodes and initializers of the graph being exported. Every name in it
// (values, initializers, nodes) is unique; inputs must name values that already exist. The zero
// Builder is not usable: Write makes one and hands it to each layer.
type Builder struct {
	graph  *pb.GraphProto
	values map[string]bool // graph inputs, initializers and node outputs
	nodes  map[string]bool
}

func newBuilder(name string) *Builder {
	return &Builder{graph: &pb.GraphProto{Name: name}, values: map[string]bool{}, nodes: map[string]bool{}}
}

// An Attr is a node attribute; make one with FloatAttr, IntAttr, FloatsAttr, IntsAttr or
// StringAttr.
type Attr struct{ p *pb.AttributeProto }

// FloatAttr returns the float attribute name = v (LeakyRelu's alpha, say).
func FloatAttr(name string, v float32) Attr {
	return Attr{&pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOAT, F: v}}
}

// IntAttr returns the integer attribute name = v (Softmax's axis, say).
func IntAttr(name string, v int64) Attr {
	return Attr{&pb.AttributeProto{Name: name, Type: pb.AttributeProto_INT, I: v}}
}

// FloatsAttr returns the float list attribute name = v.
func FloatsAttr(name string, v ...float32) Attr {
	return Attr{&pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOATS, Floats: v}}
}

// IntsAttr returns the integer list attribute name = v (Transpose's perm, say).
func IntsAttr(name string, v ...int64) Attr {
	return Attr{&pb.AttributeProto{Name: name, Type: pb.AttributeProto_INTS, Ints: v}}
}

// StringAttr returns the string attribute name = v.
func StringAttr(name, v string) Attr {
	return Attr{&pb.AttributeProto{Name: name, Type: pb.AttributeProto_STRING, S: []byte(v)}}
}

// Node adds a node running the operator op (of the default domain, e.g. "Mul") on the named input
// values and returns the name of its single output value, which is also the node's name: name if
// given, else the first input's name followed by "_" and the operator in lower case ("hidden1_relu"),
// made unique with a numeric suffix. It returns an error when op is empty, an input names no
// existing value, or the given name is taken.
func (b *Builder) Node(name, op string, inputs []string, attrs ...Attr) (string, error) {
	what := op + " node"
	if name != "" {
		what = fmt.Sprintf("%s node %q", op, name)
	}
	if op == "" {
		return "", fmt.Errorf("node %q: no operator", name)
	}
	for _, in := range inputs {
		if !b.values[in] {
			return "", fmt.Errorf("%s: input %q is not a value of the graph", what, in)
		}
	}
	if name == "" {
		base := strings.ToLower(op)
		if len(inputs) > 0 {
			base = inputs[0] + "_" + base
		}
		name = b.unique(base)
	} else if b.values[name] || b.nodes[name] {
		return "", fmt.Errorf("%s: the name is taken", what)
	}
	n := &pb.NodeProto{Name: name, OpType: op, Input: append([]string(nil), inputs...), Output: []string{name}}
	for _, a := range attrs {
		if a.p == nil {
			return "", fmt.Errorf("%s: a zero Attr (make one with FloatAttr, IntAttr, ...)", what)
		}
		n.Attribute = append(n.Attribute, a.p)
	}
	b.graph.Node = append(b.graph.Node, n)
	b.nodes[name] = true
	b.values[name] = true
	return name, nil
}

func (b *Builder) unique(base string) string {
	name := base
	for k := 2; b.values[name] || b.nodes[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	return name
}

// Initializer adds a float32 constant tensor of the given shape (row-major values) named name and
// returns name. It returns an error when the name is taken, the number of values does not match
// the shape, or a value is NaN or infinite.
func (b *Builder) Initializer(name string, shape []int, values []float32) (string, error) {
	if name == "" || b.values[name] || b.nodes[name] {
		return "", fmt.Errorf("initializer %q: the name is empty or taken", name)
	}
	size := 1
	dims := make([]int64, len(shape))
	for i, d := range shape {
		if d < 0 {
			return "", fmt.Errorf("initializer %q: shape %v has a negative dimension", name, shape)
		}
		size *= d
		dims[i] = int64(d)
	}
	if size != len(values) {
		return "", fmt.Errorf("initializer %q: %d values for shape %v", name, len(values), shape)
	}
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return "", fmt.Errorf("initializer %q: value %d is %v", name, i, v)
		}
		// ONNX's raw_data is little-endian whatever the machine (onnx.proto, TensorProto.raw_data).
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b.graph.Initializer = append(b.graph.Initializer, &pb.TensorProto{
		Name: name, Dims: dims, DataType: int32(pb.TensorProto_FLOAT), RawData: raw,
	})
	b.values[name] = true
	return name, nil
}

// Tensor adds t as a float32 initializer named name, with t's shape, and returns name. float64
// values are rounded to the nearest float32; a value beyond float32's range is an error, as in
// Initializer.
func (b *Builder) Tensor(name string, t *tensor.Dense) (string, error) {
	v, err := float32s(name, t)
	if err != nil {
		return "", err
	}
	return b.Initializer(name, t.Shape(), v)
}

// float32s returns t's values as float32.
func float32s(name string, t *tensor.Dense) ([]float32, error) {
	switch d := t.Data().(type) {
	case []float32:
		return d, nil
	case []float64:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = float32(v) // NaN and values beyond float32 (now ±Inf) are refused by Initializer
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: dtype %v, want float32 or float64", name, t.Dtype())
}

// gemm adds a dense layer y = x·W + b as one Gemm node named name: W (in, out) is Gemm's B input
// as it is (transB = 0), b (1, out) or (out) becomes a vector of out values broadcast over the
// batch (Gemm's C).
func (b *Builder) gemm(name, wName string, w *tensor.Dense, bName string, bias *tensor.Dense, input string) (string, error) {
	if w.Dims() != 2 {
		return "", fmt.Errorf("%s: shape %v, want (inputs, outputs)", wName, w.Shape())
	}
	out := w.Shape()[1]
	if bias.Shape().TotalSize() != out {
		return "", fmt.Errorf("%s: shape %v, want (1, %d)", bName, bias.Shape(), out)
	}
	if _, err := b.Tensor(wName, w); err != nil {
		return "", err
	}
	bv, err := float32s(bName, bias)
	if err != nil {
		return "", err
	}
	if _, err := b.Initializer(bName, []int{out}, bv); err != nil {
		return "", err
	}
	if b.values[name] || b.nodes[name] {
		name = ""
	}
	return b.Node(name, "Gemm", []string{input, wName, bName})
}
