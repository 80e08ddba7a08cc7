package onnx_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
	G "gorgonia.org/gorgonia"

	"gorgonet/model"
	"gorgonet/model/onnx"
)

// Export a network and read the file back with any ONNX protobuf package (here gonnx's, which
// this package writes with).
func ExampleWrite() {
	net, err := model.New(model.MLP(784, []int{64}, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	meta := onnx.Metadata{ProducerVersion: "v1.0.0", TestAccuracy: "0.9750", ClassNames: strings.Fields("0 1 2 3 4 5 6 7 8 9")}
	if err := onnx.Write(&buf, net, meta); err != nil {
		fmt.Println(err)
		return
	}

	var m pb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &m); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("IR %d, opset %d, %s %s\n", m.IrVersion, m.OpsetImport[0].Version, m.ProducerName, m.ProducerVersion)
	for _, v := range append(m.Graph.Input, m.Graph.Output...) {
		fmt.Println(v.Name, shape(v))
	}
	for _, n := range m.Graph.Node {
		fmt.Printf("%s(%s) -> %s\n", n.OpType, strings.Join(n.Input, ", "), n.Output[0])
	}
	for _, kv := range m.MetadataProps {
		fmt.Printf("%s: %s\n", kv.Key, kv.Value)
	}
	// Output:
	// IR 7, opset 13, gorgonet v1.0.0
	// pixels [N 784]
	// logits [N 10]
	// probabilities [N 10]
	// Gemm(pixels, hidden1.W, hidden1.b) -> hidden1
	// Relu(hidden1) -> hidden1_relu
	// Gemm(hidden1_relu, output.W, output.b) -> logits
	// Softmax(logits) -> probabilities
	// architecture: mlp 784-64-10 relu loss=crossentropy float32
	// precision: float32
	// test_accuracy: 0.9750
	// class_names: ["0","1","2","3","4","5","6","7","8","9"]
}

// shape returns a value's dimensions: names for free ones, sizes for the others.
func shape(v *pb.ValueInfoProto) []string {
	var dims []string
	for _, d := range v.GetType().GetTensorType().GetShape().GetDim() {
		if p := d.GetDimParam(); p != "" {
			dims = append(dims, p)
		} else {
			dims = append(dims, fmt.Sprint(d.GetDimValue()))
		}
	}
	return dims
}

// swish is x·sigmoid(x) (Ramachandran et al. 2017): an activation of one's own, which exports
// itself as a Sigmoid and a Mul node.
type swish struct{}

func (swish) Name() string { return "swish" }

func (swish) Apply(_ *model.Scope, x *G.Node) (*G.Node, error) {
	s, err := G.Sigmoid(x)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(x, s)
}

func (swish) ExportONNX(b *onnx.Builder, input string) (string, error) {
	s, err := b.Node("", "Sigmoid", []string{input})
	if err != nil {
		return "", err
	}
	return b.Node("", "Mul", []string{input, s})
}

func init() { model.RegisterActivation(swish{}) }

// An activation (or a layer) of your own becomes exportable by implementing onnx.Exporter.
func ExampleExporter() {
	cfg := model.MLP(784, []int{32}, 10)
	cfg.Activation = "swish"
	net, err := model.New(cfg, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := onnx.Marshal(net, onnx.Metadata{})
	if err != nil {
		fmt.Println(err)
		return
	}
	var m pb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range m.Graph.Node {
		fmt.Printf("%s(%s) -> %s\n", n.OpType, strings.Join(n.Input, ", "), n.Output[0])
	}
	// Output:
	// Gemm(pixels, hidden1.W, hidden1.b) -> hidden1
	// Sigmoid(hidden1) -> hidden1_sigmoid
	// Mul(hidden1, hidden1_sigmoid) -> hidden1_mul
	// Gemm(hidden1_mul, output.W, output.b) -> logits
	// Softmax(logits) -> probabilities
}
