package main

import (
	"io"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
)

// runGraph prints the inference graph of the model the flags describe: Gorgonia's Graphviz DOT
// export of every node, or a Mermaid diagram of the layers.
func runGraph(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist graph", pflag.ContinueOnError)
	var f trainFlags
	f.register(fs)
	format := fs.String("format", "dot", "output format: dot (Graphviz, every node) or mermaid (the layers)")
	if err := cli.ParseCommand(fs, args, stdout, "mnist graph [model flags] [--format dot|mermaid]\n\n"+
		"Prints the inference graph of the model the flags describe (render DOT with `dot -Tpng`).", false); err != nil {
		return err
	}
	if f.Model == "perceptron" && !fs.Changed("dropout") {
		f.Dropout = 0
	}
	mc, _, err := f.configs(28*28, dataset.MNISTClasses)
	if err != nil {
		return err
	}
	return cli.PrintGraph(stdout, mc, *format, f.Seed)
}
