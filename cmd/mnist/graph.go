package main

import (
	"io"
	"math/rand/v2"
	"slices"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// runGraph prints the inference graph of the model the flags describe: Gorgonia's Graphviz DOT
// export of every node, or a Mermaid diagram of the layers.
func runGraph(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist graph", pflag.ContinueOnError)
	r := train.DefaultRecipe()
	addRecipe(fs, &r)
	format := fs.String("format", "dot", "output format: dot (Graphviz, every node) or mermaid (the layers)")
	if err := cli.ParseCommand(fs, args, stdout, "mnist graph [model flags] [--format dot|mermaid]\n\n"+
		"Prints the inference graph of the model the flags describe (render DOT with `dot -Tpng`).", false); err != nil {
		return err
	}
	if !slices.Contains(model.GraphFormats, *format) {
		return cli.Usagef("--format %q: want dot or mermaid", *format)
	}
	mc, _, err := r.Configs(dataset.DigitSize*dataset.DigitSize, dataset.MNISTClasses)
	if err != nil {
		return err
	}
	net, err := model.New(mc, rand.New(rand.NewPCG(r.Seed, 0)))
	if err != nil {
		return err
	}
	return model.WriteGraph(stdout, net, *format)
}
