package model_test

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/model"
)

// softsign is x / (1 + |x|), a smooth activation bounded by ±1 like tanh but with polynomial
// tails (Bergstra et al. 2009).
type softsign struct{}

func (softsign) Name() string { return "softsign" }

func (softsign) Apply(s *model.Scope, x *G.Node) (*G.Node, error) {
	// The constant must have the graph's dtype (a float64 1 in a float32 graph is a type error):
	// s.Constant makes it so.
	one := s.Constant(1)
	abs, err := G.Abs(x)
	if err != nil {
		return nil, err
	}
	den, err := G.Add(one, abs)
	if err != nil {
		return nil, err
	}
	return G.HadamardDiv(x, den)
}

// Registration belongs in an init function: RegisterActivation panics when a name is taken.
func init() { model.RegisterActivation(softsign{}) }

// A custom activation: implement model.Activation, register it, and name it in the config. It
// does not implement model.Initializer, so its layers get Glorot initialisation.
func ExampleRegisterActivation() {
	cfg := model.MLP(3, []int{2}, 2)
	cfg.Activation = "softsign"
	cfg.Dtype = tensor.Float64
	net, err := model.New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Weights set by hand, so that the output can be checked with pencil and paper:
	// hidden1.W = [[1 0] [0 1] [1 -1]], hidden1.b = [0 0], output.W = [[2 0] [0 2]], output.b = [0 0].
	hand := map[string][]float64{
		"hidden1.W": {1, 0, 0, 1, 1, -1},
		"hidden1.b": {0, 0},
		"output.W":  {2, 0, 0, 2},
		"output.b":  {0, 0},
	}
	for _, p := range net.Params() {
		copy(p.Value.Data().([]float64), hand[p.Name])
	}

	ig, err := net.NewInferGraph(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	// x = [1 2 3]: hidden pre-activations [4 -1] -> softsign [0.8 -0.5] -> logits [1.6 -1]
	// x = [0 0 0]: everything 0 -> probabilities [0.5 0.5]
	copy(ig.XValue.Data().([]float64), []float64{1, 2, 3, 0, 0, 0})
	vm := G.NewTapeMachine(ig.Graph)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg)
	fmt.Printf("logits %.4f\n", ig.LogitsValue().Data())
	fmt.Printf("probabilities %.4f\n", ig.ProbsValue().Data())
	// Output:
	// mlp 3-2-2 softsign loss=crossentropy float64
	// logits [1.6000 -1.0000 0.0000 0.0000]
	// probabilities [0.9309 0.0691 0.5000 0.5000]
}

func ExampleNew() {
	cfg := model.MLP(784, []int{128}, 10)
	net, err := model.New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg)
	fmt.Println(net.NumParams(), "parameters")
	for _, p := range net.Params() {
		fmt.Println(p.Name, p.Value.Shape())
	}
	// Output:
	// mlp 784-128-10 relu loss=crossentropy float32
	// 101770 parameters
	// hidden1.W (784, 128)
	// hidden1.b (1, 128)
	// output.W (128, 10)
	// output.b (1, 10)
}
