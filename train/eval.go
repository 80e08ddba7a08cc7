package train

import (
	"bufio"
	"fmt"
	"io"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/dataset"
	"gorgonet/model"
)

// EvalBatch is the number of samples an Evaluator runs at once: large enough to keep the matrix
// multiplications efficient, small enough that the intermediates of a wide MLP stay a few MB.
const EvalBatch = 1000

// An Evaluator runs sets through inference graphs of the network: one of EvalBatch samples and,
// when a set's size is not a multiple of it, one for the remainder, so every sample counts. The
// graphs share the network's weights, so an Evaluator sees every update; it must not run while a
// training machine of the same network runs.
type Evaluator struct {
	net    *model.Network
	graphs map[int]*inference
}

type inference struct {
	g  *model.InferGraph
	vm G.VM
}

// NewEvaluator returns an Evaluator for net.
func NewEvaluator(net *model.Network) *Evaluator {
	return &Evaluator{net: net, graphs: map[int]*inference{}}
}

func (e *Evaluator) graph(batch int) (*inference, error) {
	if inf, ok := e.graphs[batch]; ok {
		return inf, nil
	}
	g, err := e.net.NewInferGraph(batch)
	if err != nil {
		return nil, err
	}
	inf := &inference{g: g, vm: g.NewMachine()}
	e.graphs[batch] = inf
	return inf, nil
}

// Result is the outcome of evaluating a set.
type Result struct {
	Loss       float64   // mean data loss plus the L2 penalty, comparable with the training loss
	Accuracy   float64   // fraction of samples predicted right
	Predicted  []int     // the predicted class of each sample
	Confidence []float64 // the probability the model gives its prediction
	Confusion  Confusion // Confusion[true][predicted] counts
}

// Evaluate runs every sample of s through the network. Each sample's class and confidence are
// decided by model.Predict, as for every other prediction; an output that is not finite (a
// diverged model) is an error naming the sample, never an accuracy, and a loss that is not finite
// is one too.
func (e *Evaluator) Evaluate(s *dataset.Set) (*Result, error) {
	if err := checkLabels(e.net, s); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	classes := max(s.Classes, e.net.Outputs)
	r := &Result{Predicted: make([]int, s.Len()), Confidence: make([]float64, s.Len()), Confusion: NewConfusion(classes)}
	var lossSum float64
	correct := 0
	err := e.forEach(s, func(i int, p model.Prediction, logits []float64) {
		label := int(s.Labels[i])
		lossSum += model.SampleLoss(e.net.Loss, logits, label)
		r.Predicted[i], r.Confidence[i] = p.Class, p.Prob
		r.Confusion.Add(label, p.Class)
		if p.Class == label {
			correct++
		}
	})
	if err != nil {
		return nil, err
	}
	r.Loss = lossSum/float64(s.Len()) + e.net.L2Penalty()
	if math.IsNaN(r.Loss) { // +Inf is a true loss: some sample was given probability 0
		return nil, fmt.Errorf("evaluate: the %s loss is NaN: %w", s.Name, model.ErrNonFiniteOutput)
	}
	r.Accuracy = float64(correct) / float64(s.Len())
	return r, nil
}

// Predict returns the prediction of every sample of s (see model.Predict).
func (e *Evaluator) Predict(s *dataset.Set) ([]model.Prediction, error) {
	out := make([]model.Prediction, s.Len())
	err := e.forEach(s, func(i int, p model.Prediction, _ []float64) { out[i] = p })
	return out, err
}

// Probabilities returns the output probabilities of every sample of s (softmax or sigmoid).
func (e *Evaluator) Probabilities(s *dataset.Set) ([][]float64, error) {
	out := make([][]float64, s.Len())
	err := e.forEach(s, func(i int, p model.Prediction, _ []float64) { out[i] = p.Probs })
	return out, err
}

// PredictPixels returns the prediction for one image of Inputs pixels in 0..255 (as
// dataset.PrepareDigit makes them), scaled to [0,1] as the training images were.
func (e *Evaluator) PredictPixels(pixels []uint8) (model.Prediction, error) {
	if len(pixels) != e.net.Inputs {
		return model.Prediction{}, fmt.Errorf("%d pixels, the model takes %d", len(pixels), e.net.Inputs)
	}
	s := &dataset.Set{Name: "image", Data: pixels, Labels: []uint8{0}, Features: len(pixels), Scale: 1.0 / 255}
	p, err := e.Predict(s)
	if err != nil {
		return model.Prediction{}, err
	}
	return p[0], nil
}

// forEach runs s through the network and calls fn with each sample's prediction and logits (a
// reused buffer); an output that is not finite stops it with an error naming the sample.
func (e *Evaluator) forEach(s *dataset.Set, fn func(i int, p model.Prediction, logits []float64)) error {
	return e.forEachLogits(s, func(i int, logits []float64) error {
		p, err := model.Predict(e.net.Loss, logits)
		if err != nil {
			return fmt.Errorf("evaluate: %s sample %d: %w", s.Name, i, err)
		}
		fn(i, p, logits)
		return nil
	})
}

// forEachLogits runs s through the network batch by batch and calls fn with each sample's logits
// (a reused buffer).
func (e *Evaluator) forEachLogits(s *dataset.Set, fn func(i int, logits []float64) error) error {
	if s.Len() == 0 {
		return fmt.Errorf("evaluate: the %s set is empty", s.Name)
	}
	if s.Features != e.net.Inputs {
		return fmt.Errorf("evaluate: the %s set has %d features per sample, the model takes %d", s.Name, s.Features, e.net.Inputs)
	}
	idx := make([]int, 0, EvalBatch)
	fill := func(start, size int, x *tensor.Dense) error {
		idx = idx[:0]
		for i := start; i < start+size; i++ {
			idx = append(idx, i)
		}
		fillX(s, idx, x)
		return nil
	}
	return e.runBatches(s.Len(), fill, fn)
}

// runBatches runs n samples through inference graphs of up to EvalBatch samples: fill puts samples
// start..start+size-1 into the graph's input, and fn gets each sample's logits (a reused buffer).
func (e *Evaluator) runBatches(n int, fill func(start, size int, x *tensor.Dense) error, fn func(i int, logits []float64) error) error {
	logits := make([]float64, e.net.Outputs)
	k := len(logits)
	for start := 0; start < n; start += EvalBatch {
		size := min(EvalBatch, n-start)
		inf, err := e.graph(size)
		if err != nil {
			return err
		}
		if err := fill(start, size, inf.g.XValue); err != nil {
			return err
		}
		err = model.Run(inf.vm)
		if rerr := rewind(inf.vm); err == nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
		switch d := inf.g.LogitsValue().Data().(type) {
		case []float32:
			for b := 0; b < size; b++ {
				for j := range logits {
					logits[j] = float64(d[b*k+j])
				}
				if err := fn(start+b, logits); err != nil {
					return err
				}
			}
		case []float64:
			for b := 0; b < size; b++ {
				copy(logits, d[b*k:(b+1)*k])
				if err := fn(start+b, logits); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkLabels returns an error when s holds a label the network has no output for: one output
// stands for the classes 0 and 1, k > 1 outputs for the classes 0 to k-1. (A model file for
// another task, say 2 classes, would otherwise index past its logits on MNIST's labels.)
func checkLabels(net *model.Network, s *dataset.Set) error {
	classes := max(net.Outputs, 2)
	for i, l := range s.Labels {
		if int(l) >= classes {
			return fmt.Errorf("the %s set has label %d (sample %d), the model %s has outputs for classes 0-%d only",
				s.Name, l, i, net, classes-1)
		}
	}
	return nil
}

// fillX converts the samples at idx into the input tensor x.
func fillX(s *dataset.Set, idx []int, x *tensor.Dense) {
	switch d := x.Data().(type) {
	case []float32:
		dataset.Fill(s, idx, d, nil)
	case []float64:
		dataset.Fill(s, idx, d, nil)
	}
}

// fillXY converts the samples at idx into the input and target tensors.
func fillXY(s *dataset.Set, idx []int, x, y *tensor.Dense) {
	switch d := x.Data().(type) {
	case []float32:
		dataset.Fill(s, idx, d, y.Data().([]float32))
	case []float64:
		dataset.Fill(s, idx, d, y.Data().([]float64))
	}
}

// countCorrect counts the rows of logits whose prediction (model.Predict) matches the labels of idx.
func countCorrect(net *model.Network, s *dataset.Set, idx []int, logits *tensor.Dense) int {
	k := logits.Shape()[1]
	row := make([]float64, k)
	correct := 0
	for b, i := range idx {
		switch d := logits.Data().(type) {
		case []float32:
			for j := range row {
				row[j] = float64(d[b*k+j])
			}
		case []float64:
			copy(row, d[b*k:(b+1)*k])
		}
		if p, err := model.Predict(net.Loss, row); err == nil && p.Class == int(s.Labels[i]) {
			correct++
		}
	}
	return correct
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ProbabilitiesOf returns the output probabilities for input rows given as numbers rather than a
// Set (for example the grid of a decision-boundary picture). Each row has the model's Inputs
// values.
func (e *Evaluator) ProbabilitiesOf(rows [][]float64) ([][]float64, error) {
	preds, err := e.PredictRows(rows)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(preds))
	for i, p := range preds {
		out[i] = p.Probs
	}
	return out, nil
}

// PredictRows returns the prediction (model.Predict) of each input row, given as numbers rather
// than a Set: Inputs values each, scaled as the network was trained (pixels in [0,1]).
func (e *Evaluator) PredictRows(rows [][]float64) ([]model.Prediction, error) {
	in := e.net.Inputs
	fill := func(start, size int, x *tensor.Dense) error {
		for b, row := range rows[start : start+size] {
			if len(row) != in {
				return fmt.Errorf("row %d has %d values, the model takes %d", start+b, len(row), in)
			}
			switch d := x.Data().(type) {
			case []float32:
				for j, v := range row {
					d[b*in+j] = float32(v)
				}
			case []float64:
				copy(d[b*in:(b+1)*in], row)
			}
		}
		return nil
	}
	out := make([]model.Prediction, len(rows))
	err := e.runBatches(len(rows), fill, func(i int, logits []float64) error {
		p, err := model.Predict(e.net.Loss, logits)
		if err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		out[i] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteTruthTable writes the truth table of the network on s, a small set such as dataset.XOR: a
// header, then one line per sample with its stored values (columns x1, x2, ...), its label
// (target), the probability the network gives class 1 (output: the sigmoid of a single output,
// else the softmax's second) and the predicted class (model.Predict):
//
//	x1  x2  target  output  class
//	 0   1       1   0.996      1
//
// Errors are Predict's and w's.
func (e *Evaluator) WriteTruthTable(w io.Writer, s *dataset.Set) error {
	preds, err := e.Predict(s)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for i := range s.Features {
		fmt.Fprintf(bw, "%3s ", fmt.Sprintf("x%d", i+1))
	}
	fmt.Fprintf(bw, "%7s %7s %6s\n", "target", "output", "class")
	for i, p := range preds {
		for _, x := range s.Sample(i) {
			fmt.Fprintf(bw, "%3d ", x)
		}
		fmt.Fprintf(bw, "%7d %7.3f %6d\n", s.Labels[i], p.ProbOf(1), p.Class)
	}
	return bw.Flush()
}
