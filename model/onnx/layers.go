package onnx

// This file is the only one that knows the model package's API: what a network, a dense layer, an
// activation and a dropout layer look like. Everything else works on netInfo and the Builder.

import (
	"fmt"

	"gorgonia.org/tensor"

	"gorgonet/model"
)

// netInfo is what the exporter needs to know about a network besides its layers.
type netInfo struct {
	inputs, outputs int
	softmax         bool   // probabilities by Softmax over the outputs (cross-entropy), else Sigmoid
	float64         bool   // the weights are float64 (exported rounded to float32)
	describe        string // one line: kind, sizes, activation, loss, dtype
	layers          []model.Layer
}

// infoOf reads the network's description.
func infoOf(net *model.Network) (netInfo, error) {
	info := netInfo{inputs: net.Inputs, outputs: net.Outputs, float64: net.Dtype == tensor.Float64,
		describe: net.String(), layers: net.Layers}
	switch net.Loss {
	case model.CrossEntropy:
		info.softmax = true
	case model.BCE, model.MSE, model.HalfSquaredError:
	default:
		return netInfo{}, fmt.Errorf("onnx: the network's loss %q is unknown: its probabilities cannot be exported", net.Loss)
	}
	if info.inputs <= 0 || info.outputs <= 0 {
		return netInfo{}, fmt.Errorf("onnx: the network has %d inputs and %d outputs: both must be positive", info.inputs, info.outputs)
	}
	return info, nil
}

// exportLayer adds layer i, l, to the graph after the value input and returns its output value.
// A layer (or activation) implementing Exporter exports itself; then come the built-in layers.
func exportLayer(b *Builder, i int, l model.Layer, input string) (string, error) {
	if e, ok := l.(Exporter); ok {
		return e.ExportONNX(b, input)
	}
	switch l := l.(type) {
	case *model.Dense:
		return b.gemm(l.Name, l.W.Name, l.W.Value, l.B.Name, l.B.Value, input)
	case model.ActivationLayer:
		return exportActivation(b, i, l.Activation, input)
	case *model.ActivationLayer:
		return exportActivation(b, i, l.Activation, input)
	case *model.Dropout:
		return input, nil // inference: dropout is the identity
	}
	return "", &UnsupportedError{Layer: i, Type: fmt.Sprintf("%T", l)}
}

// exportActivation maps the built-in activations, by name, to their ONNX operators.
func exportActivation(b *Builder, i int, a model.Activation, input string) (string, error) {
	if e, ok := a.(Exporter); ok {
		return e.ExportONNX(b, input)
	}
	name := a.Name()
	switch name {
	case "relu":
		return b.Node("", "Relu", []string{input})
	case "leakyrelu":
		return b.Node("", "LeakyRelu", []string{input}, FloatAttr("alpha", model.LeakyReLUSlope))
	case "sigmoid":
		return b.Node("", "Sigmoid", []string{input})
	case "tanh":
		return b.Node("", "Tanh", []string{input})
	}
	return "", &UnsupportedError{Layer: i, Type: fmt.Sprintf("%T", a), Activation: name}
}
