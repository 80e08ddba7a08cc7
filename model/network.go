package model

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Network is a stack of layers ending in logits, with the loss its Config names. Build one with
// New; a network with layers of your own can be assembled by setting Layers directly.
type Network struct {
	Config Config
	Layers []Layer
}

// New builds the network cfg describes: for each hidden layer a Dense layer, the activation and,
// when cfg.Dropout > 0, a Dropout layer; then a Dense output layer producing logits. Weights are
// drawn from rng (Glorot or He, as the activation asks; the output layer uses Glorot), biases are
// zero, so the same seed gives the same weights bit for bit. (gorgonia's own initialisers draw
// from a clock-seeded RNG and cannot be made reproducible.)
func New(cfg Config, rng *rand.Rand) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dt := cfg.Dtype()
	n := &Network{Config: cfg}
	in := cfg.Inputs
	for i, h := range cfg.Hidden {
		act, _ := ActivationByName(cfg.Activation) // checked by Validate
		name := fmt.Sprintf("hidden%d", i+1)
		n.Layers = append(n.Layers, NewDense(name, in, h, initOf(act), dt, rng), ActivationLayer{act})
		if cfg.Dropout > 0 {
			n.Layers = append(n.Layers, &Dropout{P: cfg.Dropout, Name: fmt.Sprintf("dropout%d", i+1)})
		}
		in = h
	}
	n.Layers = append(n.Layers, NewDense("output", in, cfg.Outputs, Glorot, dt, rng))
	return n, nil
}

// Params returns the learnables in their fixed order: layer by layer from the input, and within a
// dense layer W then b. Solvers keep their state by position, so this order must not change.
func (n *Network) Params() []*Param {
	var ps []*Param
	for _, l := range n.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// NumParams returns the number of learnable values: 101,770 for 784-128-10.
func (n *Network) NumParams() int {
	total := 0
	for _, p := range n.Params() {
		total += p.Value.Shape().TotalSize()
	}
	return total
}

// L2Penalty returns (lambda/2) * sum of squared weights over the Params with Decay set, computed in
// Go; the graph adds the same term to the training loss.
func (n *Network) L2Penalty() float64 {
	if n.Config.L2 == 0 {
		return 0
	}
	var s float64
	for _, p := range n.Params() {
		if !p.Decay {
			continue
		}
		switch d := p.Value.Data().(type) {
		case []float32:
			for _, v := range d {
				s += float64(v) * float64(v)
			}
		case []float64:
			for _, v := range d {
				s += v * v
			}
		}
	}
	return n.Config.L2 / 2 * s
}

// forward adds every layer to the scope's graph and returns the logits.
func (n *Network) forward(s *Scope, x *G.Node) (*G.Node, error) {
	var err error
	for _, l := range n.Layers {
		if x, err = l.Forward(s, x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// CopyWeightsFrom copies every parameter value of src into n; the two must have the same
// architecture. It is how the best epoch's weights are kept and restored.
func (n *Network) CopyWeightsFrom(src *Network) error {
	dst, from := n.Params(), src.Params()
	if len(dst) != len(from) {
		return fmt.Errorf("copy weights: %d params, source has %d", len(dst), len(from))
	}
	for i, p := range dst {
		if !p.Value.Shape().Eq(from[i].Value.Shape()) || p.Value.Dtype() != from[i].Value.Dtype() {
			return fmt.Errorf("copy weights: %s is %v %v, source %v %v", p.Name, p.Value.Shape(), p.Value.Dtype(), from[i].Value.Shape(), from[i].Value.Dtype())
		}
		if err := tensor.Copy(p.Value, from[i].Value); err != nil {
			return fmt.Errorf("copy weights: %s: %w", p.Name, err)
		}
	}
	return nil
}
