package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The built-in layer kinds.
const (
	KindDense      = "dense"
	KindActivation = "activation"
	KindDropout    = "dropout"
)

func init() {
	RegisterLayer(KindDense, buildDense)
	RegisterLayer(KindActivation, buildActivation)
	RegisterLayer(KindDropout, buildDropout)
}

// Dense is a fully connected layer: y = x·W + b with W of shape (In, Out) and b of shape (1, Out).
type Dense struct {
	Name    string
	In, Out int
	Init    Init // how W was initialised (kept in files, so a rebuilt network draws the same way)
	W, B    *Param
}

// NewDense creates a dense layer named name (its params are name.W and name.b) with weights of
// dtype dt drawn by init from rng and zero biases. In and out must be positive.
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
		Name: name, In: in, Out: out, Init: init,
		W: &Param{Name: name + ".W", Value: NewTensor(dt, []int{in, out}, w), Penalized: true},
		B: &Param{Name: name + ".b", Value: NewTensor(dt, []int{1, out}, nil)},
	}
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

type denseAttrs struct {
	In   int    `json:"in"`
	Out  int    `json:"out"`
	Init string `json:"init"`
}

// Describe returns the spec files store: kind "dense", the layer's name, in, out and init.
func (d *Dense) Describe() (LayerSpec, error) {
	return NewLayerSpec(KindDense, d.Name, denseAttrs{In: d.In, Out: d.Out, Init: d.Init.String()})
}

// String returns "dense 784→128".
func (d *Dense) String() string { return fmt.Sprintf("dense %d→%d", d.In, d.Out) }

func buildDense(spec LayerSpec, dt tensor.Dtype, rng *rand.Rand) (Layer, error) {
	var a denseAttrs
	if err := spec.DecodeAttrs(&a); err != nil {
		return nil, err
	}
	if spec.Name == "" {
		return nil, fmt.Errorf("dense layer: no name (its parameters are named after it)")
	}
	if a.In <= 0 || a.Out <= 0 || int64(a.In)*int64(a.Out) > MaxParams {
		return nil, fmt.Errorf("dense layer %q: %d→%d: sizes must be positive and hold at most MaxParams (%d) weights", spec.Name, a.In, a.Out, MaxParams)
	}
	init, err := ParseInit(a.Init)
	if err != nil {
		return nil, fmt.Errorf("dense layer %q: %w", spec.Name, err)
	}
	return NewDense(spec.Name, a.In, a.Out, init, dt, rng), nil
}

// ActivationLayer applies a registered Activation element-wise.
type ActivationLayer struct{ Activation }

// Params returns nothing: activations have no weights.
func (ActivationLayer) Params() []*Param { return nil }

// Forward applies the activation.
func (a ActivationLayer) Forward(s *Scope, x *G.Node) (*G.Node, error) {
	y, err := a.Apply(s, x)
	if err != nil {
		return nil, fmt.Errorf("activation %s: %w", a.Name(), err)
	}
	return y, nil
}

type activationAttrs struct {
	Activation string `json:"activation"`
}

// Describe returns kind "activation" with the activation's registered name.
func (a ActivationLayer) Describe() (LayerSpec, error) {
	return NewLayerSpec(KindActivation, "", activationAttrs{a.Name()})
}

// String returns the activation's name.
func (a ActivationLayer) String() string { return a.Name() }

func buildActivation(spec LayerSpec, _ tensor.Dtype, _ *rand.Rand) (Layer, error) {
	var a activationAttrs
	if err := spec.DecodeAttrs(&a); err != nil {
		return nil, err
	}
	act, err := ActivationByName(a.Activation)
	if err != nil {
		return nil, err
	}
	return ActivationLayer{act}, nil
}

// Dropout zeroes each unit with probability P in the training graph and is absent from inference
// graphs. It multiplies by a mask input (see Mask) rather than using gorgonia.Dropout, which in
// v0.9.18 scales the gradient by 1/p instead of 1/(1-p), seeds its RNG from the clock, hashes
// Dropout(x,0.2) and Dropout(x,0.8) to one node, and keeps its train/eval switch on the op shared
// by every machine on the graph.
type Dropout struct {
	P    float64 // probability of dropping a unit, in [0,1)
	Name string  // names the mask node (Name + ".mask"): required, and unique within the network
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

type dropoutAttrs struct {
	P float64 `json:"p"`
}

// Describe returns kind "dropout" with the layer's name and p.
func (d *Dropout) Describe() (LayerSpec, error) {
	return NewLayerSpec(KindDropout, d.Name, dropoutAttrs{d.P})
}

// String returns "dropout 0.2".
func (d *Dropout) String() string { return fmt.Sprintf("dropout %g", d.P) }

func buildDropout(spec LayerSpec, _ tensor.Dtype, _ *rand.Rand) (Layer, error) {
	var a dropoutAttrs
	if err := spec.DecodeAttrs(&a); err != nil {
		return nil, err
	}
	if !(a.P >= 0 && a.P < 1) {
		return nil, fmt.Errorf("dropout layer %q: p = %g: must be in [0,1)", spec.Name, a.P)
	}
	if spec.Name == "" {
		return nil, fmt.Errorf("dropout layer: no name (its mask node is named after it)")
	}
	return &Dropout{P: a.P, Name: spec.Name}, nil
}
