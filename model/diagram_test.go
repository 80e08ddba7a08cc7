package model

import (
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

func TestMermaid(t *testing.T) {
	mlp := MLP(784, []int{128, 64}, 10)
	mlp.Dropout = 0.2
	bce := Perceptron(2, 1)
	mse := MLP(2, []int{2}, 1)
	mse.Loss, mse.Activation, mse.L2 = MSE, "sigmoid", 0.001
	for _, tc := range []struct {
		name  string
		cfg   Config
		nodes []string // the node labels, in order
	}{
		{"mlp", mlp, []string{
			`input["input 784"]`, `h1["dense 784→128 + relu"]`, `d1["dropout 0.2"]`,
			`h2["dense 128→64 + relu"]`, `d2["dropout 0.2"]`, `out["dense 64→10"]`,
			`sm["softmax"]`, `loss["cross-entropy"]`,
		}},
		{"perceptron", Perceptron(784, 10), []string{
			`input["input 784"]`, `out["dense 784→10"]`, `sm["softmax"]`, `loss["cross-entropy"]`,
		}},
		{"bce perceptron", bce, []string{
			`input["input 2"]`, `out["dense 2→1"]`, `sg["sigmoid"]`, `loss["binary cross-entropy"]`,
		}},
		{"mse mlp with l2", mse, []string{
			`input["input 2"]`, `h1["dense 2→2 + sigmoid"]`, `out["dense 2→1"]`, `sg["sigmoid"]`,
			`loss["mean squared error + L2 0.001"]`,
		}},
	} {
		got := Mermaid(mustNew(t, tc.cfg, 1))
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if lines[0] != "graph LR" {
			t.Errorf("%s: first line %q, want \"graph LR\"", tc.name, lines[0])
		}
		// One edge per line, each from the previous node to the next: the layers in order.
		if len(lines) != len(tc.nodes) {
			t.Errorf("%s: %d lines, want %d:\n%s", tc.name, len(lines), len(tc.nodes), got)
			continue
		}
		for i := 1; i < len(tc.nodes); i++ {
			from := tc.nodes[i-1]
			if i > 1 {
				from = from[:strings.IndexByte(from, '[')] // later lines name the source by id
			}
			want := "    " + from + " --> " + tc.nodes[i]
			if lines[i] != want {
				t.Errorf("%s: line %d is %q, want %q", tc.name, i, lines[i], want)
			}
		}
	}
}

func TestMermaidEscapesQuotes(t *testing.T) {
	net := mustNew(t, MLP(3, []int{2}, 2), 1)
	net.Layers[1] = ActivationLayer{fnActivation{name: `my"act`, fn: G.Tanh}}
	if got := Mermaid(net); !strings.Contains(got, `h1["dense 3→2 + my#quot;act"]`) {
		t.Errorf("a double quote in a label must be written #quot;:\n%s", got)
	}
}

// InferGraph.DOT is gorgonia's ToDot: a Graphviz digraph whose input nodes carry the param names.
func TestInferGraphDOT(t *testing.T) {
	net, err := New(MLP(4, []int{3}, 2), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ig, err := net.NewInferGraph(2)
	if err != nil {
		t.Fatal(err)
	}
	dot := ig.DOT()
	if !strings.HasPrefix(dot, "digraph") {
		t.Errorf("DOT output starts with %q, want \"digraph\"", dot[:min(len(dot), 40)])
	}
	for _, name := range []string{"x", "hidden1.W", "hidden1.b", "output.W", "output.b"} {
		// ToDot prints each node as "<TD>name :: Matrix float32</TD>".
		if !strings.Contains(dot, "<TD>"+name+" :: ") {
			t.Errorf("DOT output does not name the node %s", name)
		}
	}
}
