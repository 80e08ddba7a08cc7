// Package model expresses the perceptron and the multi-layer perceptron of the tutorial, and any
// other stack of layers, as static Gorgonia expression graphs, differentiated symbolically by
// Gorgonia.
//
// # Networks
//
// A Network is an ordered list of Layers from Inputs features to Outputs logits, with the loss it
// is trained on and the dtype of its weights. Each layer owns its Params: tensors created once,
// when the layer is made, named by the layer ("hidden1.W"), their initial values drawn from a
// seeded *rand.Rand (Gorgonia's own initialisers are clock-seeded). Config with Perceptron and MLP
// is the short way to the tutorial's networks (New); NewNetwork assembles layers of your own.
//
// From one Network two kinds of graph are built, both bound to the very same weight tensors:
//
//	training graph (NewTrainGraph, fixed batch B):
//	  x (B,in) -> layer -> layer -> ... -> logits (B,out)    (dropout layers multiply by a mask)
//	  logits, y -> loss (softmax cross-entropy | binary cross-entropy | mean squared error | 1/2 squared error)
//	  loss + (lambda/2)·sum(W²) -> Loss; Grad(Loss, every Param) for the solvers
//
//	inference graph (NewInferGraph, any batch):
//	  x -> layer -> ... -> logits -> softmax | sigmoid     (no dropout)
//
// A solver updating the weights through the training graph's machine is therefore seen at once by
// every inference graph, with no copy, and evaluating never disturbs the gradients the training
// machine accumulates. Predict turns one sample's logits into a class and its probability, the
// one place every command decides.
//
// # Extending
//
// A new activation implements Activation and is registered with RegisterActivation; a new layer
// implements Layer (see its contract: a (batch, features) matrix in and out, called once per
// graph, parameters made once), Describer (its kind and attributes) and is registered with
// RegisterLayer, so that files holding it load. Example (extending) walks through both.
//
// # Files
//
// A model file (Write, Save, Read, Load) stores the network's description (a NetworkSpec: each
// layer's registered kind, name and attributes) and every parameter by name, the way PyTorch's
// state_dict does, behind a magic number, a format version and a SHA-256 checksum; saves are
// atomic. Loading rebuilds the network from its description and assigns every tensor by name, so
// a file loads as exactly the network that was saved or not at all: a missing, unexpected or
// mismatched tensor (*WeightsError), an unregistered kind (*UnregisteredError), NaN or infinite
// weights (*NonFiniteError), a damaged file (*FormatError) and an older format (*VersionError) are
// refused. ReadWeights and Network.SetWeights load a file's weights into a network the caller
// built.
//
// # Gorgonia
//
// Gorgonia v0.9.18 is wrong in several places this package relies on, and the package works around
// each (see the comments at SoftmaxCrossEntropy, BinaryCrossEntropy, Dropout and New): its softmax
// overflows, Log(SoftMax(z)) is rewritten in place, its Dropout op has a wrong gradient and a clock-
// seeded RNG, its initialisers are clock-seeded, and nodes of one name and shape are merged. The
// tests keep a check for each workaround that fails without it. UseFastBLAS switches Gorgonia's
// matrix products to the fastest implementation of the build; importing the package changes
// nothing global. The machines that TrainGraph.NewMachine and InferGraph.NewMachine compile keep
// their values on a tensor engine of this package (engine.go): tensor's standard engine with
// ReLU's comparison done without branches and in-place float32 sums on SIMD kernels, the same
// numbers bit for bit. Parallel runs tasks at once on a crew of goroutines kept for the process,
// which spin briefly for work before they block (as OpenMP runtimes do): the bands of the matrix
// products and, in package train, a step's replicas and solver shares.
package model
