package train

import (
	"fmt"
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
	inf := &inference{g: g, vm: G.NewTapeMachine(g.Graph)}
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

// Evaluate runs every sample of s through the network.
func (e *Evaluator) Evaluate(s *dataset.Set) (*Result, error) {
	if err := checkLabels(e.net, s); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	classes := max(s.Classes, e.net.Outputs)
	r := &Result{Predicted: make([]int, s.Len()), Confidence: make([]float64, s.Len()), Confusion: NewConfusion(classes)}
	var lossSum float64
	correct := 0
	err := e.forEachLogits(s, func(i int, logits []float64) {
		label := int(s.Labels[i])
		lossSum += model.SampleLoss(e.net.Loss, logits, label)
		pred := model.Predict(logits)
		model.Probabilities(e.net.Loss, logits)
		conf := logits[min(pred, len(logits)-1)]
		if len(logits) == 1 && pred == 0 {
			conf = 1 - logits[0]
		}
		r.Predicted[i], r.Confidence[i] = pred, conf
		r.Confusion.Add(label, pred)
		if pred == label {
			correct++
		}
	})
	if err != nil {
		return nil, err
	}
	r.Loss = lossSum/float64(s.Len()) + e.net.L2Penalty()
	r.Accuracy = float64(correct) / float64(s.Len())
	return r, nil
}

// Probabilities returns the output probabilities of every sample of s (softmax or sigmoid).
func (e *Evaluator) Probabilities(s *dataset.Set) ([][]float64, error) {
	out := make([][]float64, s.Len())
	err := e.forEachLogits(s, func(i int, logits []float64) {
		p := append([]float64(nil), logits...)
		model.Probabilities(e.net.Loss, p)
		out[i] = p
	})
	return out, err
}

// forEachLogits runs s through the network batch by batch and calls fn with each sample's logits
// (a reused buffer).
func (e *Evaluator) forEachLogits(s *dataset.Set, fn func(i int, logits []float64)) error {
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
func (e *Evaluator) runBatches(n int, fill func(start, size int, x *tensor.Dense) error, fn func(i int, logits []float64)) error {
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
		err = inf.vm.RunAll()
		inf.vm.Reset()
		if err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
		switch d := inf.g.LogitsValue().Data().(type) {
		case []float32:
			for b := 0; b < size; b++ {
				for j := range logits {
					logits[j] = float64(d[b*k+j])
				}
				fn(start+b, logits)
			}
		case []float64:
			for b := 0; b < size; b++ {
				copy(logits, d[b*k:(b+1)*k])
				fn(start+b, logits)
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

// countCorrect counts the rows of logits whose prediction matches the labels of idx.
func countCorrect(s *dataset.Set, idx []int, logits *tensor.Dense) int {
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
		if model.Predict(row) == int(s.Labels[i]) {
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
	out := make([][]float64, len(rows))
	err := e.runBatches(len(rows), fill, func(i int, logits []float64) {
		p := append([]float64(nil), logits...)
		model.Probabilities(e.net.Loss, p)
		out[i] = p
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
