package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"gorgonet/model"
)

// The versions written into every exported file. Opset 13 is the first in which Softmax
// normalises along one axis (earlier ones flatten the trailing axes into one) and every operator
// the built-in layers use (Gemm, Relu, LeakyRelu, Sigmoid, Tanh, Softmax) has had its present
// meaning since; IR version 7 is the one that came with it (ONNX 1.8). Both are accepted by Debian
// 12's ONNX 1.12 checker (which knows opsets up to 17) and by ONNX Runtime 1.30, and leave room for
// older runtimes.
const (
	OpsetVersion = 13
	IRVersion    = 7
)

// The names of the graph's input and outputs.
const (
	InputName         = "pixels"
	LogitsName        = "logits"
	ProbabilitiesName = "probabilities"
	// BatchDim is the symbolic name of the free first dimension of the input and the outputs.
	BatchDim = "N"
)

// ProducerName is the model's producer_name.
const ProducerName = "gorgonet"

// Metadata describes where a model comes from. Every field is optional: an empty one is left out
// of the file. The zero Metadata is valid.
type Metadata struct {
	// ProducerVersion is gorgonet's version (producer_version); empty means the version of the
	// gorgonet module this program was built with, "(devel)" for a build from a work tree.
	ProducerVersion string
	Command         string   // the training command line (metadata key "training_command")
	TestAccuracy    string   // the test accuracy as printed, "0.9811" (key "test_accuracy")
	Data            string   // what the model was trained on (key "data")
	Description     string   // free text for the model's doc_string
	ClassNames      []string // one name per output; two (for p < 0.5, then p >= 0.5) for one sigmoid output (key "class_names", a JSON array)
}

// Metadata keys written into metadata_props besides those of Metadata's fields.
const (
	// KeyArchitecture holds the network's one-line description, "mlp 784-64-10 relu
	// loss=crossentropy float32".
	KeyArchitecture = "architecture"
	// KeyPrecision says what the weights and the computation are: "float32", or for a float64
	// network "float32 (float64 weights rounded to float32)".
	KeyPrecision = "precision"
)

// An UnsupportedError reports a layer, or the activation of an activation layer, that has no ONNX
// form: it is not built in and does not implement Exporter.
type UnsupportedError struct {
	Layer      int    // index in Network.Layers
	Type       string // the Go type of the layer or activation, "*main.Conv"
	Activation string // the activation's name when it is the activation that cannot be exported
}

func (e *UnsupportedError) Error() string {
	if e.Activation != "" {
		return fmt.Sprintf("onnx: layer %d: activation %q (%s) has no ONNX form: it is not built in and does not implement onnx.Exporter", e.Layer, e.Activation, e.Type)
	}
	return fmt.Sprintf("onnx: layer %d (%s) has no ONNX form: it is not built in and does not implement onnx.Exporter", e.Layer, e.Type)
}

// Write writes net as an ONNX model (protobuf, OpsetVersion, IRVersion) to w. See the package
// documentation for the graph. It returns an *UnsupportedError for a layer that cannot be
// exported and other errors for a network or Metadata it cannot describe; nothing is written
// then.
func Write(w io.Writer, net *model.Network, meta Metadata) error {
	b, err := Marshal(net, meta)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MetadataOf returns the metadata a gorgonet model file says about its network: the training
// command, the test accuracy, the data, and the class names ("class_names", a JSON array, as
// train.DataMeta writes it; a comma-separated list is read too).
func MetadataOf(saved model.Saved) Metadata {
	m := Metadata{Command: saved.Meta["command"], TestAccuracy: saved.Meta["test_accuracy"], Data: saved.Meta["data"]}
	if names := saved.Meta["class_names"]; names != "" && json.Unmarshal([]byte(names), &m.ClassNames) != nil {
		m.ClassNames = strings.Split(names, ",")
	}
	return m
}

// Save writes a saved model's network as ONNX to path, atomically, with the metadata of its file
// (MetadataOf), and returns the file's size in bytes.
func Save(path string, saved model.Saved) (int, error) {
	b, err := Marshal(saved.Net, MetadataOf(saved))
	if err != nil {
		return 0, err
	}
	return len(b), model.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// Marshal returns net as an ONNX model in protobuf form, as Write writes it.
func Marshal(net *model.Network, meta Metadata) ([]byte, error) {
	m, err := build(net, meta)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// build makes the model proto.
func build(net *model.Network, meta Metadata) (*pb.ModelProto, error) {
	if net == nil {
		return nil, errors.New("onnx: no network")
	}
	info, err := infoOf(net)
	if err != nil {
		return nil, err
	}
	if n := len(meta.ClassNames); n > 0 && n != max(info.outputs, 2) {
		return nil, fmt.Errorf("onnx: Metadata.ClassNames has %d names, the network has %s", n, classesOf(info.outputs))
	}
	b := newBuilder("gorgonet " + info.describe)
	b.graph.Input = []*pb.ValueInfoProto{valueInfo(InputName, info.inputs,
		fmt.Sprintf("N samples of %d features each, as gorgonet feeds them (MNIST: the 28x28 pixels row by row, each divided by 255 so in [0,1])", info.inputs))}
	b.values[InputName] = true
	x := InputName
	for i, l := range info.layers {
		if x, err = exportLayer(b, i, l, x); err != nil {
			var unsupported *UnsupportedError
			if errors.As(err, &unsupported) {
				return nil, err
			}
			return nil, fmt.Errorf("onnx: layer %d (%T): %w", i, l, err)
		}
		if !b.values[x] {
			return nil, fmt.Errorf("onnx: layer %d (%T) returned %q, which is not a value of the graph", i, l, x)
		}
	}
	if err := b.rename(x, LogitsName); err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	var probs []Attr
	op := "Sigmoid"
	if info.softmax {
		op, probs = "Softmax", []Attr{IntAttr("axis", 1)}
	}
	if _, err := b.Node(ProbabilitiesName, op, []string{LogitsName}, probs...); err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	kind := "sigmoid of each logit"
	if info.softmax {
		kind = "softmax over the classes"
	}
	b.graph.Output = []*pb.ValueInfoProto{
		valueInfo(LogitsName, info.outputs, "the network's outputs before the final activation"),
		valueInfo(ProbabilitiesName, info.outputs, "the probabilities: "+kind),
	}

	version := meta.ProducerVersion
	if version == "" {
		version = moduleVersion()
	}
	precision := "float32"
	if info.float64 {
		precision = "float32 (float64 weights rounded to float32)"
	}
	props := [][2]string{{KeyArchitecture, info.describe}, {KeyPrecision, precision},
		{"training_command", meta.Command}, {"test_accuracy", meta.TestAccuracy}, {"data", meta.Data}}
	if len(meta.ClassNames) > 0 {
		names, err := json.Marshal(meta.ClassNames)
		if err != nil {
			return nil, fmt.Errorf("onnx: Metadata.ClassNames: %w", err)
		}
		props = append(props, [2]string{"class_names", string(names)})
	}
	m := &pb.ModelProto{
		IrVersion:       IRVersion,
		OpsetImport:     []*pb.OperatorSetIdProto{{Domain: "", Version: OpsetVersion}},
		ProducerName:    ProducerName,
		ProducerVersion: version,
		ModelVersion:    1,
		DocString:       meta.Description,
		Graph:           b.graph,
	}
	for _, kv := range props {
		if kv[1] != "" {
			m.MetadataProps = append(m.MetadataProps, &pb.StringStringEntryProto{Key: kv[0], Value: kv[1]})
		}
	}
	return m, nil
}

func classesOf(outputs int) string {
	if outputs == 1 {
		return "one sigmoid output, for 2 classes"
	}
	return fmt.Sprintf("%d outputs", outputs)
}

// rename gives the value from the name to, in the node that produces it and every node that reads
// it. A value no node produces (the input itself, when the network has no layers, or an
// initializer) is passed through an Identity node instead.
func (b *Builder) rename(from, to string) error {
	if from == to {
		return nil
	}
	if b.values[to] {
		return fmt.Errorf("a layer used the name %q, which the graph's output needs", to)
	}
	var producer *pb.NodeProto
	for _, n := range b.graph.Node {
		if len(n.Output) > 0 && n.Output[0] == from {
			producer = n
		}
	}
	if producer == nil {
		_, err := b.Node(to, "Identity", []string{from})
		return err
	}
	for _, n := range b.graph.Node {
		for i, in := range n.Input {
			if in == from {
				n.Input[i] = to
			}
		}
	}
	producer.Output[0] = to
	delete(b.values, from)
	b.values[to] = true
	return nil
}

// valueInfo describes a float32 tensor of shape [N, features].
func valueInfo(name string, features int, doc string) *pb.ValueInfoProto {
	return &pb.ValueInfoProto{
		Name:      name,
		DocString: doc,
		Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: &pb.TypeProto_Tensor{
			ElemType: int32(pb.TensorProto_FLOAT),
			Shape: &pb.TensorShapeProto{Dim: []*pb.TensorShapeProto_Dimension{
				{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: BatchDim}},
				{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(features)}},
			}},
		}}},
	}
}

// moduleVersion returns the version of the gorgonet module in this program.
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	version := ""
	if info.Main.Path == "gorgonet" {
		version = info.Main.Version
	}
	for _, m := range info.Deps {
		if m.Path == "gorgonet" {
			version = m.Version
		}
	}
	if version == "" {
		return "(devel)"
	}
	return version
}
