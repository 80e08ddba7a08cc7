package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A Param is a learnable tensor of a layer. Its Value is created once, when the layer is made,
// and shared by every graph built from the network, so an update made through the training graph
// is seen by the inference graphs with no copy.
type Param struct {
	// Name identifies the parameter in the network and in files, by convention the layer's name,
	// a dot, and the parameter's role: "hidden1.W". It must be unique within the network:
	// Gorgonia hash-conses nodes by name and shape, so two parameters of one name would silently
	// become one (Network.Validate refuses that).
	Name string
	// Value holds the current values, of the network's dtype.
	Value *tensor.Dense
	// Penalized says whether the L2 penalty (lambda/2)·Σw² applies: weights yes, biases no.
	Penalized bool
}

// A Layer is one step of a network's forward pass: it maps a (batch, features) matrix to another.
//
// The contract an implementation relies on and must keep:
//
//   - Forward receives a matrix of shape (batch, in), where in is the previous layer's width
//     (Network.Inputs for the first layer), and returns a matrix of shape (batch, out). A layer
//     that works on images reshapes inside Forward (G.Reshape) and flattens back before it returns.
//   - Forward is called once per graph, and a network builds several graphs: one training graph
//     (Scope.Training, fixed batch size) and inference graphs of several batch sizes (evaluation
//     runs 1,000 samples at a time and then the remainder). It must not assume one batch size, and
//     it must not create its parameters in Forward: parameters are created once, when the layer is
//     made, and taken into each graph with Scope.Param.
//   - Params lists the layer's parameters in a fixed order; solvers keep their state by position.
//   - Every node a layer names must carry a name unique in the network (use the layer's name as a
//     prefix): Gorgonia merges input nodes of the same name and shape.
//   - Constants must have the graph's dtype: use Scope.Constant, and NewTensor for tensors.
//
// To be saved to a file, a layer must also implement Describer and its kind must be registered
// with RegisterLayer; Save refuses a network with a layer that cannot be described.
type Layer interface {
	Params() []*Param
	Forward(s *Scope, x *G.Node) (*G.Node, error)
}

// A Scope is one graph being built: the training graph (fixed batch size, dropout masks, loss) or
// an inference graph (no dropout). Layers take their parameters' nodes from it.
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

// Dtype returns the graph's element type (tensor.Float32 or tensor.Float64).
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
	// Each graph gets its own tensor header over the parameter's elements, not p.Value itself:
	// Gorgonia transposes an operand in place for some products (tensor's T, the product, then
	// UT: the gradient of x·W reads W as Wᵀ), so two graphs run at once over one *tensor.Dense
	// would see each other's transposes (TestGraphsShareWeightsNotHeaders). The elements are
	// shared: what a solver writes through one graph, every graph reads.
	view := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(p.Value.Data()))
	// WithShape before WithValue/WithInit: the other order panics for some initialisers.
	n := G.NewTensor(s.g, s.dt, len(shape), G.WithShape(shape...), G.WithName(p.Name), G.WithValue(view))
	s.params[p] = n
	return n
}

// Constant returns a scalar constant of the graph's dtype (a float64 constant in a float32 graph
// is a type error in Gorgonia).
func (s *Scope) Constant(v float64) *G.Node {
	if s.dt == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
}

// NewTensor returns a tensor of dtype dt (tensor.Float32 or tensor.Float64) and the given shape,
// holding values converted to dt, or zeros when values is nil. It panics when values has another
// length than the shape asks for.
func NewTensor(dt tensor.Dtype, shape []int, values []float64) *tensor.Dense {
	n := tensor.Shape(shape).TotalSize()
	if values != nil && len(values) != n {
		panic(fmt.Sprintf("model.NewTensor: %d values for shape %v", len(values), shape))
	}
	if dt == tensor.Float64 {
		v := make([]float64, n)
		copy(v, values)
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	v := make([]float32, n)
	for i, x := range values {
		v[i] = float32(x)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
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
	keep, threshold := m.draw()
	switch data := m.Value.Data().(type) {
	case []float32:
		for i := range data {
			data[i] = 0
			if rng.Uint64()&mantissa53 >= threshold {
				data[i] = float32(keep)
			}
		}
	case []float64:
		for i := range data {
			data[i] = 0
			if rng.Uint64()&mantissa53 >= threshold {
				data[i] = keep
			}
		}
	}
}

// FillPCG is Fill drawing straight from src: the same mask as Fill(rand.New(src)) (TestFillPCGIsFill),
// faster, as each unit costs no call through rand.Rand's Source interface and no branch (the
// value kept or dropped is picked by a conditional move: a dropout draw is unpredictable).
func (m *Mask) FillPCG(src *rand.PCG) {
	keep, threshold := m.draw()
	switch data := m.Value.Data().(type) {
	case []float32:
		kept := math.Float32bits(float32(keep))
		for i := range data {
			var bits uint32
			if src.Uint64()&mantissa53 >= threshold {
				bits = kept
			}
			data[i] = math.Float32frombits(bits)
		}
	case []float64:
		kept := math.Float64bits(keep)
		for i := range data {
			var bits uint64
			if src.Uint64()&mantissa53 >= threshold {
				bits = kept
			}
			data[i] = math.Float64frombits(bits)
		}
	}
}

// mantissa53 keeps the 53 bits of a Uint64 draw that math/rand/v2's Float64 uses.
const mantissa53 = 1<<53 - 1

// draw returns the value of a kept unit, 1/(1-P), and the threshold of the draws that keep a unit.
// A unit is kept when rng.Float64() >= P, the draw of math/rand/v2's Float64 being
// float64(u & (2^53-1)) / 2^53 for u = rng.Uint64(); as P·2^53 is exact, that is
// u & (2^53-1) >= ceil(P·2^53), tested on the integer without the conversion and the division
// (the same masks: TestMaskFillIsFloat64).
func (m *Mask) draw() (keep float64, threshold uint64) {
	return 1 / (1 - m.P), uint64(math.Ceil(m.P * (1 << 53)))
}
