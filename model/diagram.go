package model

import (
	"fmt"
	"io"
	"strings"
)

// Mermaid returns a Mermaid flowchart ("graph LR") of the network's layers, from the input to the
// loss, one edge per line, in the manner of the tutorial's diagrams:
//
//	graph LR
//	    input["input 784"] --> h1["dense 784→128 + relu"]
//	    h1 --> d1["dropout 0.2"]
//	    d1 --> out["dense 128→10"]
//	    out --> sm["softmax"]
//	    sm --> loss["cross-entropy"]
//
// A dense layer followed by an activation is one node ("hN"), dropout layers are "dN" (they are
// absent from inference graphs), the last dense layer is "out", and any other layer is "lN",
// labelled by LayerLabel; an L2 penalty is noted on the loss node. For the graph Gorgonia actually
// builds, see InferGraph.DOT.
func Mermaid(n *Network) string {
	var b strings.Builder
	b.WriteString("graph LR\n")
	prev := `input["input ` + fmt.Sprint(n.Inputs) + `"]`
	edge := func(id, label string) {
		// Mermaid has no backslash escapes in labels: a double quote is written #quot;.
		fmt.Fprintf(&b, "    %s --> %s[\"%s\"]\n", prev, id, strings.ReplaceAll(label, `"`, "#quot;"))
		prev = id
	}
	lastDense := -1
	for i, l := range n.Layers {
		if _, ok := l.(*Dense); ok {
			lastDense = i
		}
	}
	hidden, drop, other := 0, 0, 0
	for i := 0; i < len(n.Layers); i++ {
		l := n.Layers[i]
		switch l := l.(type) {
		case *Dense:
			if i == lastDense && i == len(n.Layers)-1 {
				edge("out", l.String())
				continue
			}
			label := l.String()
			if i+1 < len(n.Layers) {
				if a, ok := n.Layers[i+1].(ActivationLayer); ok {
					label += " + " + a.Name()
					i++
				}
			}
			hidden++
			edge(fmt.Sprintf("h%d", hidden), label)
		case *Dropout:
			drop++
			edge(fmt.Sprintf("d%d", drop), l.String())
		default:
			other++
			edge(fmt.Sprintf("l%d", other), LayerLabel(l))
		}
	}
	loss := n.Loss
	switch n.Loss {
	case CrossEntropy:
		edge("sm", "softmax")
		loss = "cross-entropy"
	case BCE:
		edge("sg", "sigmoid")
		loss = "binary cross-entropy"
	case MSE:
		edge("sg", "sigmoid")
		loss = "mean squared error"
	case HalfSquaredError:
		edge("sg", "sigmoid")
		loss = "½ squared error"
	}
	if n.L2 > 0 {
		loss += fmt.Sprintf(" + L2 %g", n.L2)
	}
	edge("loss", loss)
	return b.String()
}

// GraphFormats are the formats WriteGraph writes.
var GraphFormats = []string{"dot", "mermaid"}

// WriteGraph writes the network's inference graph to w: "dot" is Gorgonia's Graphviz export of
// every node of a graph of batch 1 (render it with `dot -Tpng`), "mermaid" the diagram of the
// layers (Mermaid).
func WriteGraph(w io.Writer, net *Network, format string) error {
	switch format {
	case "mermaid":
		if err := net.Validate(); err != nil {
			return err
		}
		_, err := io.WriteString(w, Mermaid(net))
		return err
	case "dot":
		g, err := net.NewInferGraph(1)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, g.DOT())
		return err
	}
	return fmt.Errorf("graph format %q: want dot or mermaid", format)
}
