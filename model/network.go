package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Network is an ordered list of layers from Inputs features to Outputs logits, with the loss it
// is trained on. Build one from a Config with New (the perceptron and MLP of the tutorial), from a
// NetworkSpec with Build (what files do), or from layers of your own with NewNetwork; the fields
// may also be set directly, and every graph builder checks them with Validate.
type Network struct {
	Inputs  int          // features per sample: the width of the first layer's input
	Outputs int          // logits per sample: classes for cross-entropy, 1 for bce
	Loss    string       // CrossEntropy, BCE, MSE or HalfSquaredError
	L2      float64      // lambda of the penalty (lambda/2)·Σw² over the Penalized parameters
	Dtype   tensor.Dtype // tensor.Float32 or tensor.Float64: every parameter's dtype
	Layers  []Layer
}

// A NetworkSpec describes a network completely but for its weights: what a model file stores
// besides them. Build makes the network again.
type NetworkSpec struct {
	Inputs, Outputs int
	Loss            string
	L2              float64
	Dtype           string // "float32" or "float64"
	Layers          []LayerSpec
}

// Equal reports whether two specs describe the same network.
func (s NetworkSpec) Equal(t NetworkSpec) bool {
	return s.Inputs == t.Inputs && s.Outputs == t.Outputs && s.Loss == t.Loss && s.L2 == t.L2 &&
		s.Dtype == t.Dtype && slices.EqualFunc(s.Layers, t.Layers, LayerSpec.Equal)
}

// New builds the network cfg describes (see Config.Spec for its layers). Weights are drawn from
// rng (Glorot or He, as the activation asks; the output layer uses Glorot), biases are zero, so the
// same seed gives the same weights bit for bit. (Gorgonia's own initialisers draw from a
// clock-seeded RNG and cannot be made reproducible.)
func New(cfg Config, rng *rand.Rand) (*Network, error) {
	spec, err := cfg.Spec()
	if err != nil {
		return nil, err
	}
	return Build(spec, rng)
}

// NewNetwork assembles a network from layers made by the caller and validates it (see Validate).
// dt is the dtype of every parameter; loss is CrossEntropy, BCE, MSE or HalfSquaredError.
func NewNetwork(inputs, outputs int, loss string, l2 float64, dt tensor.Dtype, layers ...Layer) (*Network, error) {
	n := &Network{Inputs: inputs, Outputs: outputs, Loss: loss, L2: l2, Dtype: dt, Layers: layers}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return n, nil
}

// Build makes the network spec describes, each layer with the builder registered for its kind,
// drawing initial weights from rng in layer order. An unregistered layer kind or activation is an
// *UnregisteredError.
func Build(spec NetworkSpec, rng *rand.Rand) (*Network, error) {
	return build(spec, rng, -1)
}

// build is Build with a bound on the values the parameters may hold in all (limit < 0: MaxParams),
// checked after each layer, so that a crafted file cannot make it allocate much more than the
// weights the file actually holds.
func build(spec NetworkSpec, rng *rand.Rand, limit int64) (*Network, error) {
	dt, err := ParseDtype(spec.Dtype)
	if err != nil {
		return nil, configErr("Dtype", spec.Dtype, "want float32 or float64")
	}
	what := fmt.Sprintf("MaxParams (%d) values", MaxParams)
	if limit < 0 || limit > MaxParams {
		limit = MaxParams
	} else {
		what = fmt.Sprintf("the %d values the file holds", limit)
	}
	n := &Network{Inputs: spec.Inputs, Outputs: spec.Outputs, Loss: spec.Loss, L2: spec.L2, Dtype: dt}
	if err := n.checkHead(); err != nil {
		return nil, err
	}
	var total int64
	for i, ls := range spec.Layers {
		// A dense layer says its size before it allocates (and draws) its weights; other kinds are
		// counted once built.
		var d denseAttrs
		if ls.Kind == KindDense && ls.DecodeAttrs(&d) == nil && d.In > 0 && d.Out > 0 &&
			(int64(d.In) > limit || int64(d.Out) > limit || int64(d.In)*int64(d.Out)+int64(d.Out) > limit-total) {
			return nil, fmt.Errorf("layer %d (%s): the layers' parameters need more than %s", i+1, ls, what)
		}
		l, err := BuildLayer(ls, dt, rng)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		for _, p := range l.Params() {
			total += int64(p.Value.Shape().TotalSize())
		}
		if total > limit {
			return nil, fmt.Errorf("layer %d (%s): the layers' parameters need more than %s", i+1, ls, what)
		}
		n.Layers = append(n.Layers, l)
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return n, nil
}

// checkHead checks the fields other than the layers.
func (n *Network) checkHead() error {
	if n.Inputs <= 0 {
		return configErr("Inputs", n.Inputs, "must be positive")
	}
	if n.Outputs <= 0 {
		return configErr("Outputs", n.Outputs, "must be positive")
	}
	if err := checkLoss(n.Loss, n.Outputs); err != nil {
		return err
	}
	if err := checkL2(n.L2); err != nil {
		return err
	}
	return checkDtype(n.Dtype, false)
}

// Validate checks the network: its fields, at least one layer, no nil layer or parameter, every
// parameter of the network's dtype, and names unique among parameters and among named layers
// (*DuplicateNameError): Gorgonia merges graph nodes of the same name and shape, so a duplicate
// would silently share one weight matrix. Shapes are checked when a graph is built.
func (n *Network) Validate() error {
	if err := n.checkHead(); err != nil {
		return err
	}
	if len(n.Layers) == 0 {
		return fmt.Errorf("model: the network has no layers")
	}
	params := map[string]int{}
	names := map[string]int{}
	for i, l := range n.Layers {
		if l == nil {
			return fmt.Errorf("model: layer %d is nil", i+1)
		}
		if d, ok := l.(*Dropout); ok && d.Name == "" {
			return fmt.Errorf("model: layer %d: a dropout layer needs a Name, unique in the network (its mask node is named after it)", i+1)
		}
		if name := layerName(l); name != "" {
			if j, dup := names[name]; dup {
				return &DuplicateNameError{What: "layer", Name: name, A: j, B: i}
			}
			names[name] = i
		}
		for _, p := range l.Params() {
			if p == nil || p.Value == nil {
				return fmt.Errorf("model: layer %d (%T) has a nil parameter", i+1, l)
			}
			if p.Name == "" {
				return fmt.Errorf("model: layer %d (%T) has a parameter with no name", i+1, l)
			}
			if j, dup := params[p.Name]; dup {
				return &DuplicateNameError{What: "parameter", Name: p.Name, A: j, B: i}
			}
			params[p.Name] = i
			if p.Value.Dtype() != n.Dtype {
				return fmt.Errorf("model: parameter %s is %v, the network is %v", p.Name, p.Value.Dtype(), n.Dtype)
			}
		}
	}
	return nil
}

// layerName returns the name a layer is known by: its spec's name when it describes itself, else
// "" (it may still name parameters, which Validate checks separately).
func layerName(l Layer) string {
	if d, ok := l.(Describer); ok {
		if s, err := d.Describe(); err == nil {
			return s.Name
		}
	}
	return ""
}

// Spec returns the description of the network that files store. A layer that does not implement
// Describer is a *NotDescribableError naming its Go type.
func (n *Network) Spec() (NetworkSpec, error) {
	s := NetworkSpec{Inputs: n.Inputs, Outputs: n.Outputs, Loss: n.Loss, L2: n.L2, Dtype: n.Dtype.String()}
	for i, l := range n.Layers {
		ls, err := describe(l)
		if err != nil {
			return NetworkSpec{}, fmt.Errorf("layer %d: %w", i+1, err)
		}
		s.Layers = append(s.Layers, ls)
	}
	return s, nil
}

// Config returns the Config that builds exactly this network (the same layers, names, sizes,
// initialisation and loss), and false when no Config does: a network with layers of its own.
func (n *Network) Config() (Config, bool) {
	spec, err := n.Spec()
	if err != nil {
		return Config{}, false
	}
	c := Config{Inputs: spec.Inputs, Outputs: spec.Outputs, Loss: spec.Loss, L2: spec.L2, Dtype: n.Dtype, Activation: "relu"}
	layers := spec.Layers
	for len(layers) >= 2 && layers[0].Kind == KindDense && layers[1].Kind == KindActivation {
		var d denseAttrs
		var a activationAttrs
		if layers[0].DecodeAttrs(&d) != nil || layers[1].DecodeAttrs(&a) != nil {
			return Config{}, false
		}
		c.Hidden = append(c.Hidden, d.Out)
		c.Activation = a.Activation
		layers = layers[2:]
		if len(layers) > 0 && layers[0].Kind == KindDropout {
			var p dropoutAttrs
			if layers[0].DecodeAttrs(&p) != nil {
				return Config{}, false
			}
			c.Dropout = p.P
			layers = layers[1:]
		}
	}
	want, err := c.Spec()
	if err != nil || !want.Equal(spec) {
		return Config{}, false
	}
	return c, true
}

// String describes the network on one line. A network a Config builds is described as the Config
// ("mlp 784-256-10 relu loss=crossentropy dropout=0.2 float32"); any other lists its layers:
// "network 784 -> dense 784→64, gelu, layernorm, dense 64→10 loss=crossentropy float32".
func (n *Network) String() string {
	if c, ok := n.Config(); ok {
		return c.String()
	}
	labels := make([]string, len(n.Layers))
	for i, l := range n.Layers {
		labels[i] = LayerLabel(l)
	}
	s := fmt.Sprintf("network %d -> %s loss=%s", n.Inputs, strings.Join(labels, ", "), n.Loss)
	if n.L2 > 0 {
		s += fmt.Sprintf(" l2=%g", n.L2)
	}
	return s + " " + n.Dtype.String()
}

// LayerLabel returns a short label of a layer for descriptions and diagrams: its String method's
// when it has one, else its spec's kind and name, else its Go type.
func LayerLabel(l Layer) string {
	if s, ok := l.(fmt.Stringer); ok {
		return s.String()
	}
	if d, ok := l.(Describer); ok {
		if s, err := d.Describe(); err == nil {
			if s.Name != "" {
				return s.Kind + " " + s.Name
			}
			return s.Kind
		}
	}
	return fmt.Sprintf("%T", l)
}

// Params returns the learnables in their fixed order: layer by layer from the input, each layer's
// in the order its Params gives (W then b for a dense layer). Solvers keep their state by
// position, so this order must not change.
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

// L2Penalty returns (lambda/2) * sum of squared values of the Penalized parameters, computed in
// Go; the training graph adds the same term to the loss.
func (n *Network) L2Penalty() float64 {
	if n.L2 == 0 {
		return 0
	}
	var s float64
	for _, p := range n.Params() {
		if !p.Penalized {
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
	return n.L2 / 2 * s
}

// forward adds every layer of a validated network to the scope's graph and returns the logits,
// checking the shapes the layers hand on.
func (n *Network) forward(s *Scope, x *G.Node) (*G.Node, error) {
	var err error
	for i, l := range n.Layers {
		if x, err = l.Forward(s, x); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, LayerLabel(l), err)
		}
		if x == nil || len(x.Shape()) != 2 || x.Shape()[0] != s.batch {
			return nil, fmt.Errorf("layer %d (%s): Forward returned %v, want a (%d, features) matrix", i+1, LayerLabel(l), shapeOf(x), s.batch)
		}
	}
	if x.Shape()[1] != n.Outputs {
		return nil, fmt.Errorf("the layers produce %d logits per sample, the network declares Outputs = %d", x.Shape()[1], n.Outputs)
	}
	return x, nil
}

func shapeOf(x *G.Node) any {
	if x == nil {
		return "nil"
	}
	return x.Shape()
}

// CopyWeightsFrom copies every parameter value of src into n; the two must have the same
// parameters (names, shapes and dtypes, in order). It is how the best epoch's weights are kept and
// restored.
func (n *Network) CopyWeightsFrom(src *Network) error {
	dst, from := n.Params(), src.Params()
	if len(dst) != len(from) {
		return fmt.Errorf("copy weights: %d params, source has %d", len(dst), len(from))
	}
	for i, p := range dst {
		if p.Name != from[i].Name || !p.Value.Shape().Eq(from[i].Value.Shape()) || p.Value.Dtype() != from[i].Value.Dtype() {
			return fmt.Errorf("copy weights: %s is %v %v, source %s %v %v", p.Name, p.Value.Shape(), p.Value.Dtype(), from[i].Name, from[i].Value.Shape(), from[i].Value.Dtype())
		}
		if err := tensor.Copy(p.Value, from[i].Value); err != nil {
			return fmt.Errorf("copy weights: %s: %w", p.Name, err)
		}
	}
	return nil
}
