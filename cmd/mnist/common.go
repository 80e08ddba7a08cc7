package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
	"gorgonet/train/plot"
)

// runFlags are the flags of the commands that train besides the recipe's settings: what to print
// and keep.
type runFlags struct {
	History, Save, Checkpoint, Resume, PlotDir string // (these four and the profiles: 'mnist train' only)
	CPUProfile, MemProfile                     string
	Report, Quiet                              bool
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.History, "history", "", "write one CSV row per epoch to this file")
	fs.BoolVar(&f.Report, "report", false, "print the classification report and confusion matrix of the test set")
	fs.BoolVar(&f.Quiet, "quiet", false, "no progress bar (the run, epoch and result lines are always printed)")
}

// addRecipe makes the settings of r a flag of fs: those named, or every one.
func addRecipe(fs *pflag.FlagSet, r *train.Recipe, names ...string) {
	for _, s := range r.Settings(names...) {
		fs.Var(s.Value, s.Name, s.Usage)
	}
}

// loadData loads the recipe's data and prints its warnings (pixels on another scale, say).
func loadData(r *train.Recipe, testOnly bool, stderr io.Writer, prog string) (*dataset.Data, error) {
	d, err := r.LoadData(testOnly)
	if err == nil {
		for _, w := range r.Warnings(d) {
			fmt.Fprintf(stderr, "%s: warning: %s\n", prog, w)
		}
	}
	return d, err
}

// report draws the pictures (with --plot-dir), prints the classification report (with --report)
// and ends with the test accuracy: the end of 'mnist train' and 'mnist eval'.
func report(w io.Writer, plotDir string, withReport bool, h train.History, test *dataset.Set, r *train.Result, net *model.Network, names []string) error {
	if plotDir != "" {
		paths, err := plot.WriteRun(plotDir, h, test, r, net, names)
		if err != nil {
			return fmt.Errorf("--plot-dir: %w", err)
		}
		fmt.Fprintf(w, "Pictures: %s\n", strings.Join(paths, ", "))
	}
	if withReport {
		_ = r.WriteReport(w, names)
	}
	fmt.Fprintf(w, "Test accuracy: %.4f\n", r.Accuracy)
	return nil
}

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
	net, err := r.NewNetwork(dataset.DigitSize*dataset.DigitSize, dataset.MNISTClasses)
	if err != nil {
		return err
	}
	return model.WriteGraph(stdout, net, *format)
}
