// Package model expresses the perceptron and the multi-layer perceptron of the tutorial as static
// Gorgonia expression graphs, differentiated symbolically by Gorgonia.
//
// A Config describes a model; New turns it into a Network of Layers whose weights (Params) are
// tensors drawn from a seeded *rand.Rand. From one Network two kinds of graph are built, both bound
// to the very same weight tensors:
//
//	training graph (NewTrainGraph, fixed batch B):
//	  x (B,in) -> [Dense -> activation -> dropout mask] per hidden layer -> Dense -> logits (B,out)
//	  logits, y -> loss (softmax cross-entropy | binary cross-entropy | 1/2 squared error)
//	  loss + (lambda/2)·sum(W²) -> Loss; Grad(Loss, W1, b1, W2, b2, ...) for the solvers
//
//	inference graph (NewInferGraph, any batch):
//	  x -> [Dense -> activation] per hidden layer -> Dense -> logits -> softmax | sigmoid
//
// A solver updating the weights through the training graph's machine is therefore seen at once by
// every inference graph, with no copy, and evaluating never disturbs the gradients the training
// machine accumulates.
//
// Gorgonia v0.9.18 is wrong in several places this package relies on, and the package works around
// each (see the comments at SoftmaxCrossEntropy, BinaryCrossEntropy, Dropout and New): its softmax
// overflows, Log(SoftMax(z)) is rewritten in place, its Dropout op has a wrong gradient and a clock-
// seeded RNG, and its initialisers are clock-seeded. The tests keep a check for each workaround
// that fails without it.
//
// To extend the package, implement Activation (and register it) or Layer; see the examples.
package model
