package model

import (
	"fmt"
	"strings"
)

// Mermaid returns a Mermaid flowchart ("graph LR") of the layers cfg describes, from the input to
// the loss, one edge per line, in the manner of the tutorial's diagrams:
//
//	graph LR
//	    input["input 784"] --> h1["dense 784→128 + relu"]
//	    h1 --> d1["dropout 0.2"]
//	    d1 --> out["dense 128→10"]
//	    out --> sm["softmax"]
//	    sm --> loss["cross-entropy"]
//
// Dropout appears only when cfg.Dropout > 0 (it is absent from inference graphs); an L2 penalty is
// noted on the loss node. The diagram shows what the Config says: layers added to a Network by hand
// are not in it. For the graph Gorgonia actually builds, see InferGraph.DOT.
func Mermaid(cfg Config) string {
	var b strings.Builder
	b.WriteString("graph LR\n")
	prev := `input["input ` + fmt.Sprint(cfg.Inputs) + `"]`
	edge := func(id, label string) {
		// Mermaid has no backslash escapes in labels: a double quote is written #quot;.
		fmt.Fprintf(&b, "    %s --> %s[\"%s\"]\n", prev, id, strings.ReplaceAll(label, `"`, "#quot;"))
		prev = id
	}
	in := cfg.Inputs
	for i, h := range cfg.Hidden {
		label := fmt.Sprintf("dense %d→%d", in, h)
		if cfg.Activation != "" {
			label += " + " + cfg.Activation
		}
		edge(fmt.Sprintf("h%d", i+1), label)
		if cfg.Dropout > 0 {
			edge(fmt.Sprintf("d%d", i+1), fmt.Sprintf("dropout %g", cfg.Dropout))
		}
		in = h
	}
	edge("out", fmt.Sprintf("dense %d→%d", in, cfg.Outputs))
	loss := cfg.Loss
	switch cfg.Loss {
	case CrossEntropy:
		edge("sm", "softmax")
		loss = "cross-entropy"
	case BCE:
		edge("sg", "sigmoid")
		loss = "binary cross-entropy"
	case MSE:
		edge("sg", "sigmoid")
		loss = "squared error"
	}
	if cfg.L2 > 0 {
		loss += fmt.Sprintf(" + L2 %g", cfg.L2)
	}
	edge("loss", loss)
	return b.String()
}
