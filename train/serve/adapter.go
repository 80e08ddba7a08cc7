package serve

// This file is the package's only contact with gorgonet's model, train and dataset packages: the
// rest of the server sees a model as a modelInfo and a predictFunc.

import (
	"errors"
	"fmt"
	"image"
	"maps"
	"strconv"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// maxDigitPixels is the largest image image preparation accepts; Options.MaxPixels may not exceed
// it.
const maxDigitPixels = dataset.MaxDigitPixels

// digitSize is the side of the prepared image the network receives (28).
const digitSize = dataset.DigitSize

// ErrModel is wrapped by New's errors about a model that cannot be served: one without a network,
// not taking a 28x28 image, whose outputs are not Options.Classes, not ending in a softmax, or
// whose outputs are not finite numbers.
var ErrModel = errors.New("serve: unusable model")

// New returns a Server answering for the saved model (model.Load reads one from a file). It builds
// Options.Workers evaluators sharing the model's weights and runs each once on a blank input, so
// that the server is ready when New returns; the weights must not change while the Server is in
// use (do not train the network it serves).
func New(saved model.Saved, opts Options) (*Server, error) {
	net := saved.Net
	if net == nil {
		return nil, fmt.Errorf("%w: it holds no network", ErrModel)
	}
	if net.Loss != model.CrossEntropy {
		return nil, fmt.Errorf("%w: %s: its outputs are not softmax probabilities (loss %s, want %s)",
			ErrModel, net, net.Loss, model.CrossEntropy)
	}
	info := modelInfo{
		Description: net.String(),
		Parameters:  net.NumParams(),
		Inputs:      net.Inputs,
		Outputs:     net.Outputs,
		Command:     saved.Meta["command"],
		Meta:        maps.Clone(saved.Meta),
	}
	if info.Meta == nil {
		info.Meta = map[string]string{}
	}
	if v, err := strconv.ParseFloat(saved.Meta["test_accuracy"], 64); err == nil {
		info.TestAccuracy = &v
	}
	if v, err := strconv.Atoi(saved.Meta["epochs"]); err == nil {
		info.Epochs = v
	}
	// The model file says how its pictures are prepared (digits, or Fashion-MNIST's photos) and
	// names its classes; Options.Classes, when given, wins.
	_, names, prep := train.TrainedOn(saved)
	if opts.Classes == nil {
		opts.Classes = names
	}
	newPredict := func() predictFunc { return train.NewEvaluator(net).PredictRows }
	s, err := newServer(info, newPredict, opts)
	if err != nil {
		return nil, err
	}
	s.prepare = func(img image.Image) ([]uint8, error) { return dataset.Prepare(img, prep) }
	return s, nil
}
