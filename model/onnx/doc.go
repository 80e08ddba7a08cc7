// Package onnx writes a trained network as an ONNX model (https://onnx.ai), the file format that
// ONNX Runtime (C, C++, C#, Java, Python, JavaScript in Node and the browser, mobile) and most
// deep-learning tools read, so that a network trained in Go can be used anywhere.
//
// The graph of an exported network, with N free (any batch size) and float32 throughout:
//
//	input   pixels         [N, inputs]   the features as gorgonet feeds them (MNIST: pixel/255)
//	        Gemm           per Dense layer: x·W + b, W (inputs, outputs) as trained (transB = 0)
//	        Relu | LeakyRelu(alpha = model.LeakyReLUSlope) | Sigmoid | Tanh   per activation layer
//	                       (dropout layers are left out: inference)
//	output  logits         [N, outputs]  the last layer's output
//	output  probabilities  [N, outputs]  Softmax(axis 1) for a cross-entropy network, else Sigmoid
//
// The file carries opset OpsetVersion of the default domain and IR version IRVersion,
// producer_name "gorgonet" with its version, and metadata_props: the architecture, the precision,
// and from Metadata the training command, the test accuracy, the data and the class names.
//
// A float64 network is exported in float32 like every other: its weights are rounded to the nearest
// float32 (relative error at most 2^-24) and ONNX Runtime computes in float32, which is what
// consumers of an image classifier expect. On MNIST the probabilities then stay within 1e-5 of
// gorgonet's float64 ones (the tests check this on all 10,000 test images).
//
// Layers and activations of your own export themselves by implementing Exporter; one that does not
// makes Write return an *UnsupportedError naming its Go type.
//
// The protobuf types are those of the onnx package of github.com/advancedclimatesystems/gonnx,
// generated from ONNX's own onnx.proto3.
package onnx
