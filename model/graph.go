package model

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TrainGraph is the training graph of a network: fixed batch size, dropout masks, loss (with the L2
// term) and its symbolic gradients w.r.t. the learnables. Run it with a TapeMachine bound to
// Learnables; see package train.
type TrainGraph struct {
	Graph      *G.ExprGraph
	X, Y       *G.Node // inputs (Batch, Inputs) and targets (Batch, Outputs)
	Logits     *G.Node // (Batch, Outputs)
	DataLoss   *G.Node // the loss of the batch, without the penalty
	Loss       *G.Node // DataLoss + L2 penalty: what the solver minimises
	Learnables G.Nodes // in Network.Params order
	Masks      []*Mask // dropout masks to fill before each batch
	XValue     *tensor.Dense
	YValue     *tensor.Dense
	Batch      int
	grads      G.Nodes
	dataLoss   G.Value
	loss       G.Value
	logits     G.Value
}

// NewTrainGraph builds the training graph for batches of batch samples. X and Y are bound to
// XValue and YValue: fill their backing arrays in place before each run.
func (n *Network) NewTrainGraph(batch int) (*TrainGraph, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("model: batch size %d must be positive", batch)
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("model: training graph: %w", err)
	}
	s := newScope(n.Dtype, batch, true)
	t := &TrainGraph{Graph: s.g, Batch: batch}
	t.XValue = tensor.New(tensor.WithShape(batch, n.Inputs), tensor.Of(s.dt))
	t.YValue = tensor.New(tensor.WithShape(batch, n.Outputs), tensor.Of(s.dt))
	t.X = G.NewMatrix(s.g, s.dt, G.WithShape(batch, n.Inputs), G.WithName("x"), G.WithValue(t.XValue))
	t.Y = G.NewMatrix(s.g, s.dt, G.WithShape(batch, n.Outputs), G.WithName("y"), G.WithValue(t.YValue))
	var err error
	if t.Logits, err = n.forward(s, t.X); err != nil {
		return nil, fmt.Errorf("model: training graph: %w", err)
	}
	if t.DataLoss, err = dataLoss(s, n.Loss, t.Logits, t.Y); err != nil {
		return nil, fmt.Errorf("model: training graph: loss %s: %w", n.Loss, err)
	}
	t.Loss = t.DataLoss
	for _, p := range n.Params() {
		t.Learnables = append(t.Learnables, s.Param(p))
	}
	if n.L2 > 0 {
		if t.Loss, err = addL2(s, t.Loss, n.Params(), n.L2); err != nil {
			return nil, fmt.Errorf("model: training graph: L2: %w", err)
		}
	}
	t.Masks = s.masks
	G.Read(t.DataLoss, &t.dataLoss)
	G.Read(t.Loss, &t.loss)
	G.Read(t.Logits, &t.logits)
	if t.grads, err = G.Grad(t.Loss, t.Learnables...); err != nil {
		return nil, fmt.Errorf("model: training graph: gradients: %w", err)
	}
	return t, nil
}

// NewMachine compiles the training graph into a TapeMachine bound to the learnables (their
// gradients land in the learnables' dual values, where the solvers find them). It compiles only
// the part that the loss, the logits and the learnables' gradients need: gorgonia's symbolic
// differentiation also adds the gradient w.r.t. the input x, a (B,in)x(in,H) product per step
// that nothing reads and that a machine on the whole graph would compute. Its values are on a
// tensor engine of the package's (graphEngine: tensor's standard engine with ReLU's comparison
// done without branches and in-place float32 sums on SIMD kernels, the same numbers); opts come
// after, so G.WithEngine among them replaces it. Run it with Run (or RunAll), and Rewind (or
// Reset) it before the next run.
func (t *TrainGraph) NewMachine(opts ...G.VMOpt) G.VM {
	roots := append(G.Nodes{t.Loss, t.DataLoss, t.Logits}, t.grads...)
	sub := t.Graph.SubgraphRoots(roots...)
	return G.NewTapeMachine(sub, append([]G.VMOpt{G.BindDualValues(t.Learnables...), G.WithEngine(graphEngine{})}, opts...)...)
}

// FillMasks draws new dropout masks from rng; call it before each batch.
func (t *TrainGraph) FillMasks(rng *rand.Rand) {
	for _, m := range t.Masks {
		m.Fill(rng)
	}
}

// LossValue returns the loss (with penalty) of the last run.
func (t *TrainGraph) LossValue() float64 { return scalar(t.loss) }

// DataLossValue returns the loss without penalty of the last run.
func (t *TrainGraph) DataLossValue() float64 { return scalar(t.dataLoss) }

// LogitsValue returns the logits of the last run. They are read through a Read node because an
// intermediate node's own Value can be overwritten by the backward pass.
func (t *TrainGraph) LogitsValue() *tensor.Dense { return asDense(t.logits) }

func dataLoss(s *Scope, loss string, logits, y *G.Node) (*G.Node, error) {
	switch loss {
	case CrossEntropy:
		return SoftmaxCrossEntropy(s, logits, y)
	case BCE:
		return BinaryCrossEntropy(s, logits, y)
	case MSE, HalfSquaredError:
		p, err := G.Sigmoid(logits)
		if err != nil {
			return nil, err
		}
		if loss == MSE {
			return MeanSquaredError(p, y)
		}
		return HalfSumSquaredError(s, p, y)
	}
	return nil, fmt.Errorf("unknown loss %q", loss)
}

// addL2 returns loss + (lambda/2) * sum of squared values of the Penalized params: a graph term, so it
// is the same whatever solver runs (gorgonia's solver options apply L2 inconsistently) and it shows
// in the reported loss.
func addL2(s *Scope, loss *G.Node, params []*Param, lambda float64) (*G.Node, error) {
	var total *G.Node
	for _, p := range params {
		if !p.Penalized {
			continue
		}
		sq, err := G.Square(s.Param(p))
		if err != nil {
			return nil, err
		}
		sum, err := G.Sum(sq)
		if err != nil {
			return nil, err
		}
		if total == nil {
			total = sum
		} else if total, err = G.Add(total, sum); err != nil {
			return nil, err
		}
	}
	if total == nil {
		return loss, nil
	}
	pen, err := G.HadamardProd(s.Constant(lambda/2), total)
	if err != nil {
		return nil, err
	}
	return G.Add(loss, pen)
}

// InferGraph is an inference graph: no dropout, no loss, no gradients, sharing the network's weight
// tensors. Its batch size is its own, so evaluation covers every sample.
type InferGraph struct {
	Graph  *G.ExprGraph
	X      *G.Node // (Batch, Inputs), bound to XValue
	Logits *G.Node
	Probs  *G.Node // softmax (cross-entropy) or sigmoid outputs
	XValue *tensor.Dense
	Batch  int
	logits G.Value
	probs  G.Value
}

// NewInferGraph builds an inference graph for batches of batch samples.
func (n *Network) NewInferGraph(batch int) (*InferGraph, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("model: batch size %d must be positive", batch)
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("model: inference graph: %w", err)
	}
	s := newScope(n.Dtype, batch, false)
	ig := &InferGraph{Graph: s.g, Batch: batch}
	ig.XValue = tensor.New(tensor.WithShape(batch, n.Inputs), tensor.Of(s.dt))
	ig.X = G.NewMatrix(s.g, s.dt, G.WithShape(batch, n.Inputs), G.WithName("x"), G.WithValue(ig.XValue))
	var err error
	if ig.Logits, err = n.forward(s, ig.X); err != nil {
		return nil, fmt.Errorf("model: inference graph: %w", err)
	}
	if n.Loss == CrossEntropy {
		ig.Probs, err = Softmax(ig.Logits)
	} else {
		ig.Probs, err = G.Sigmoid(ig.Logits)
	}
	if err != nil {
		return nil, fmt.Errorf("model: inference graph: output: %w", err)
	}
	G.Read(ig.Logits, &ig.logits)
	G.Read(ig.Probs, &ig.probs)
	return ig, nil
}

// NewMachine compiles the inference graph into a TapeMachine on the training machines' tensor
// engine (see TrainGraph.NewMachine); opts come after, so G.WithEngine among them replaces it.
func (ig *InferGraph) NewMachine(opts ...G.VMOpt) G.VM {
	return G.NewTapeMachine(ig.Graph, append([]G.VMOpt{G.WithEngine(graphEngine{})}, opts...)...)
}

// LogitsValue returns the logits of the last run.
func (ig *InferGraph) LogitsValue() *tensor.Dense { return asDense(ig.logits) }

// ProbsValue returns the output probabilities of the last run.
func (ig *InferGraph) ProbsValue() *tensor.Dense { return asDense(ig.probs) }

// DOT returns the graph in Graphviz DOT form (gorgonia's exporter).
func (ig *InferGraph) DOT() string { return ig.Graph.ToDot() }

func scalar(v G.Value) float64 {
	switch x := v.(type) {
	case *G.F32:
		return float64(*x)
	case *G.F64:
		return float64(*x)
	case tensor.Tensor:
		switch d := x.Data().(type) {
		case float32:
			return float64(d)
		case float64:
			return d
		case []float32:
			return float64(d[0])
		case []float64:
			return d[0]
		}
	}
	return 0
}

func asDense(v G.Value) *tensor.Dense {
	d, _ := v.(*tensor.Dense)
	return d
}
