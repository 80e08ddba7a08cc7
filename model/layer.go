package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A Param is a learnable tensor. Its Value is created once and shared by every graph built from
// the network, so an update made through the training graph is seen by the inference graph with
// no copy.
type Param struct {
	Name  string        // unique within the network: graph nodes are hash-consed by name and shape
	Value *tensor.Dense // the current values
	Decay bool          // whether the L2 penalty applies (weights yes, biases no)
}

// A Layer adds its part of the forward pass to a graph. To add a layer with weights of its own,
// implement Layer, create its Params when the layer is made, and take their nodes in Forward with
// Scope.Param. Network.Params lists them in layer order, which is the solvers' order.
type Layer interface {
	Params() []*Param
	Forward(s *Scope, x *G.Node) (*G.Node, error)
}

// A Scope is one graph being built: the training graph (fixed batch size, dropout masks, loss) or
// an inference graph (no dropout).
type Scope struct {
	g        *G.ExprGraph
	dt       tensor.Dtype
	batch    int
	training bool
	params   map[*Param]*G.Node
	masks    []*Mask
}

func newScope(dt tensor.Dtype, batch int, training bool) *Scope {
	return &Scope{g: G.NewGraph(), dt: dt, batch: batch, training: training, params: map[*Param]*G.Node{}}
}

// Graph returns the graph under construction.
func (s *Scope) Graph() *G.ExprGraph { return s.g }

// Dtype returns the graph's element type.
func (s *Scope) Dtype() tensor.Dtype { return s.dt }

// Batch returns the number of samples the graph processes at once.
func (s *Scope) Batch() int { return s.batch }

// Training reports whether this is the training graph (dropout active).
func (s *Scope) Training() bool { return s.training }

// Param returns the graph node bound to p's value, creating it on first use.
func (s *Scope) Param(p *Param) *G.Node {
	if n, ok := s.params[p]; ok {
		return n
	}
	shape := p.Value.Shape()
	// WithShape before WithValue/WithInit: the other order panics for some initialisers.
	n := G.NewTensor(s.g, s.dt, len(shape), G.WithShape(shape...), G.WithName(p.Name), G.WithValue(p.Value))
	s.params[p] = n
	return n
}

// Constant returns a scalar constant of the graph's dtype (a float64 constant in a float32 graph
// is a type error).
func (s *Scope) Constant(v float64) *G.Node {
	if s.dt == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
}

// A Mask is a dropout mask: an input node of shape (batch, units) that the training loop fills
// before each batch with 0 (dropped) or 1/(1-P) (kept, scaled so the expected activation is
// unchanged: "inverted dropout", Srivastava et al., JMLR 2014).
type Mask struct {
	Node  *G.Node
	P     float64
	Value *tensor.Dense
}

// Fill draws a fresh mask from rng.
func (m *Mask) Fill(rng *rand.Rand) {
	keep := 1 / (1 - m.P)
	switch data := m.Value.Data().(type) {
	case []float32:
		for i := range data {
			data[i] = 0
			if rng.Float64() >= m.P {
				data[i] = float32(keep)
			}
		}
	case []float64:
		for i := range data {
			data[i] = 0
			if rng.Float64() >= m.P {
				data[i] = keep
			}
		}
	}
}

// Dense is a fully connected layer: y = x·W + b with W of shape (In, Out) and b of shape (1, Out).
type Dense struct {
	W, B *Param
}

// NewDense creates a dense layer named name (its params are name.W and name.b) with weights drawn
// by init from rng and zero biases.
func NewDense(name string, in, out int, init Init, dt tensor.Dtype, rng *rand.Rand) *Dense {
	w := make([]float64, in*out)
	switch init {
	case He:
		std := math.Sqrt(2 / float64(in))
		for i := range w {
			w[i] = rng.NormFloat64() * std
		}
	default:
		limit := math.Sqrt(6 / float64(in+out))
		for i := range w {
			w[i] = (2*rng.Float64() - 1) * limit
		}
	}
	return &Dense{
		W: &Param{Name: name + ".W", Value: denseOf(dt, w, in, out), Decay: true},
		B: &Param{Name: name + ".b", Value: tensor.New(tensor.WithShape(1, out), tensor.Of(dt))},
	}
}

func denseOf(dt tensor.Dtype, v []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// Params returns W then b.
func (d *Dense) Params() []*Param { return []*Param{d.W, d.B} }

// Forward computes x·W + b. The (1,Out) bias is broadcast down the batch axis; a vector bias with
// the other pattern would broadcast along the wrong axis, silently when batch == Out.
func (d *Dense) Forward(s *Scope, x *G.Node) (*G.Node, error) {
	xw, err := G.Mul(x, s.Param(d.W))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.W.Name, err)
	}
	y, err := G.BroadcastAdd(xw, s.Param(d.B), nil, []byte{0})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.B.Name, err)
	}
	return y, nil
}

// ActivationLayer applies an Activation.
type ActivationLayer struct{ Activation }

// Params returns nothing: activations have no weights.
func (ActivationLayer) Params() []*Param { return nil }

// Forward applies the activation.
func (a ActivationLayer) Forward(_ *Scope, x *G.Node) (*G.Node, error) {
	y, err := a.Apply(x)
	if err != nil {
		return nil, fmt.Errorf("activation %s: %w", a.Name(), err)
	}
	return y, nil
}

// Dropout zeroes each unit with probability P in the training graph and is absent from inference
// graphs. It multiplies by a mask input (see Mask) rather than using gorgonia.Dropout, which in
// v0.9.18 scales the gradient by 1/p instead of 1/(1-p), seeds its RNG from the clock, hashes
// Dropout(x,0.2) and Dropout(x,0.8) to one node, and keeps its train/eval switch on the op shared
// by every machine on the graph.
type Dropout struct {
	P    float64
	Name string
}

// Params returns nothing: the mask is an input, not a learnable.
func (*Dropout) Params() []*Param { return nil }

// Forward multiplies x by a fresh mask input in training and returns x unchanged otherwise.
func (d *Dropout) Forward(s *Scope, x *G.Node) (*G.Node, error) {
	if !s.training || d.P == 0 {
		return x, nil
	}
	shape := x.Shape()
	value := tensor.New(tensor.WithShape(shape...), tensor.Of(s.dt))
	node := G.NewTensor(s.g, s.dt, len(shape), G.WithShape(shape...), G.WithName(d.Name+".mask"), G.WithValue(value))
	s.masks = append(s.masks, &Mask{Node: node, P: d.P, Value: value})
	y, err := G.HadamardProd(x, node)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	return y, nil
}
