package train

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/model"
)

// A network of layers the model package does not know, to check that training, checkpoints and
// resuming treat it like a built-in one: a learnable per-feature gain (y = x ⊙ g, g of shape
// (1, features), initialised to 1) and the softsign activation x / (1 + |x|).

type gainLayer struct {
	name     string
	features int
	g        *model.Param
}

const gainKind = "test-gain"

func newGain(name string, features int, dt tensor.Dtype) *gainLayer {
	ones := make([]float64, features)
	for i := range ones {
		ones[i] = 1
	}
	return &gainLayer{name: name, features: features,
		g: &model.Param{Name: name + ".g", Value: model.NewTensor(dt, []int{1, features}, ones)}}
}

func (l *gainLayer) Params() []*model.Param { return []*model.Param{l.g} }

func (l *gainLayer) Forward(s *model.Scope, x *G.Node) (*G.Node, error) {
	return G.BroadcastHadamardProd(x, s.Param(l.g), nil, []byte{0})
}

type gainAttrs struct {
	Features int `json:"features"`
}

func (l *gainLayer) Describe() (model.LayerSpec, error) {
	return model.NewLayerSpec(gainKind, l.name, gainAttrs{l.features})
}

type softsign struct{}

func (softsign) Name() string { return "test-softsign" }

func (softsign) Apply(s *model.Scope, x *G.Node) (*G.Node, error) {
	abs, err := G.Abs(x)
	if err != nil {
		return nil, err
	}
	den, err := G.Add(s.Constant(1), abs)
	if err != nil {
		return nil, err
	}
	return G.HadamardDiv(x, den)
}

func init() {
	model.RegisterLayer(gainKind, func(spec model.LayerSpec, dt tensor.Dtype, _ *rand.Rand) (model.Layer, error) {
		var a gainAttrs
		if err := spec.DecodeAttrs(&a); err != nil {
			return nil, err
		}
		if a.Features <= 0 || a.Features > model.MaxParams {
			return nil, fmt.Errorf("gain layer %q: %d features", spec.Name, a.Features)
		}
		return newGain(spec.Name, a.Features, dt), nil
	})
	model.RegisterActivation(softsign{})
}

// customNet returns inputs -> dense(hidden) -> gain -> softsign -> dropout 0.2 -> dense(outputs),
// with cross-entropy, weights drawn from seed.
func customNet(inputs, hidden, outputs int, seed uint64) (*model.Network, error) {
	rng := rand.New(rand.NewPCG(seed, 0))
	dt := tensor.Float32
	return model.NewNetwork(inputs, outputs, model.CrossEntropy, 0, dt,
		model.NewDense("in", inputs, hidden, model.Glorot, dt, rng),
		newGain("gain", hidden, dt),
		model.ActivationLayer{Activation: softsign{}},
		&model.Dropout{P: 0.2, Name: "drop"},
		model.NewDense("out", hidden, outputs, model.Glorot, dt, rng),
	)
}
