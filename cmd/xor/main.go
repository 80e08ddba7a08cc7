// Command xor trains the tutorial's first example: the XOR function, which a single-layer
// perceptron cannot learn (no straight line separates its classes: at best 3 of 4 right) and an
// MLP with one small hidden layer can.
//
//	xor                        train both models and compare them
//	xor --model perceptron     train one; the last line is "Accuracy: X.XXX"
//	xor graph [--model mlp]    print the inference graph (Graphviz DOT or Mermaid)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
	"gorgonet/train/plot"
)

// xorRecipe returns the defaults of xor, in one place. A 2-4-1 tanh MLP with binary cross-entropy
// and Adam at 0.1 learns XOR in a few hundred full-batch steps for every seed tried (1 to 20, see
// the tests).
func xorRecipe() train.Recipe {
	r := train.DefaultRecipe()
	r.Hidden, r.Activation, r.Dropout, r.Dtype, r.LearnRate, r.Epochs, r.BatchSize = "4", "tanh", 0, "float64", 0.1, 500, 4
	return r
}

// xorSettings are the recipe's settings xor offers as flags.
var xorSettings = []string{"hidden", "activation", "loss", "optimizer", "lr", "epochs", "l2", "seed"}

func main() {
	model.UseFastBLAS()
	os.Exit(cli.Exit(os.Stderr, "xor", "Run 'xor --help' for usage.", run(os.Args[1:], os.Stdout, os.Stderr)))
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("xor", pflag.ContinueOnError)
	r := xorRecipe()
	graph := len(args) > 0 && args[0] == "graph"
	format := "dot"
	if graph {
		args = args[1:]
		fs.StringVar(&format, "format", format, "with 'xor graph': dot (Graphviz, every node) or mermaid (the layers)")
	}
	only := fs.String("model", "", "train only this model: perceptron or mlp (default: both, compared)")
	for _, s := range r.Settings() {
		if slices.Contains(xorSettings, s.Name) {
			fs.Var(s.Value, s.Name, s.Usage)
		}
	}
	quiet := fs.Bool("quiet", false, "no progress bar (shown only on a terminal; the loss lines and results are always printed)")
	plotPath := fs.String("plot", "", "draw the decision boundary of each trained model into this PNG file")
	if err := cli.ParseCommand(fs, args, stdout, "xor [flags]\n       xor graph [--model perceptron|mlp] [--format dot|mermaid]\n\n"+
		"Trains a perceptron and an MLP on XOR and shows which learned it; 'xor graph' prints the\ninference graph of one model instead.", false); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	kinds := []string{"perceptron", "mlp"}
	switch *only {
	case "":
	case "perceptron", "mlp":
		kinds = []string{*only}
	default:
		return cli.Usagef("--model %q: want perceptron or mlp", *only)
	}
	configs := make([]model.Config, len(kinds))
	var tc train.Config
	for i, kind := range kinds {
		r.Model = kind
		var err error
		if configs[i], tc, err = r.Configs(2, 1); err != nil {
			return err
		}
	}
	if graph {
		if !slices.Contains(model.GraphFormats, format) {
			return cli.Usagef("--format %q: want dot or mermaid", format)
		}
		net, err := model.New(configs[len(configs)-1], rand.New(rand.NewPCG(r.Seed, 0)))
		if err != nil {
			return err
		}
		return model.WriteGraph(stdout, net, format)
	}
	if err := cli.CheckWritable("plot", *plotPath); err != nil {
		return err
	}

	learned := map[string]bool{}
	var acc float64
	var panels []plot.BoundaryPanel
	for i, mc := range configs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		var ev *train.Evaluator
		var err error
		if acc, ev, err = trainOne(stdout, mc, tc, cli.NewProgress(stderr, !*quiet && cli.IsTerminal(stderr))); err != nil {
			return err
		}
		learned[mc.Kind()] = acc == 1
		if *plotPath != "" {
			panel, err := plot.ModelPanel(fmt.Sprintf("%s (accuracy %.2f)", mc.Kind(), acc), ev, dataset.XOR())
			if err != nil {
				return err
			}
			panels = append(panels, panel)
		}
	}
	if *plotPath != "" {
		if err := model.WriteFileAtomic(*plotPath, func(w io.Writer) error { return plot.Boundary(w, panels) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Decision boundary: %s\n", *plotPath)
	}
	if len(configs) == 1 {
		fmt.Fprintf(stdout, "Accuracy: %.3f\n", acc)
		return nil
	}
	fmt.Fprintln(stdout)
	switch {
	case learned["mlp"] && !learned["perceptron"]:
		fmt.Fprintln(stdout, "The MLP learned XOR; the perceptron did not (XOR is not linearly separable).")
	case learned["mlp"] && learned["perceptron"]:
		fmt.Fprintln(stdout, "Both learned XOR.")
	case learned["perceptron"]:
		fmt.Fprintln(stdout, "The perceptron learned XOR; the MLP did not.")
	default:
		fmt.Fprintln(stdout, "Neither learned XOR with these settings.")
	}
	return nil
}

// trainOne trains one model on XOR, prints its truth table and returns its accuracy and an
// evaluator of the trained model.
func trainOne(w io.Writer, mc model.Config, tc train.Config, progress *cli.Progress) (float64, *train.Evaluator, error) {
	net, err := model.New(mc, rand.New(rand.NewPCG(tc.Seed, 0)))
	if err != nil {
		return 0, nil, err
	}
	trainer, err := train.NewTrainer(net, tc)
	if err != nil {
		return 0, nil, err
	}
	fmt.Fprintf(w, "Training %s, %d parameters; %s lr=%g, %d full-batch epochs, seed %d\n",
		mc, net.NumParams(), tc.Optimizer, tc.LearnRate, tc.Epochs, tc.Seed)
	every := max(tc.Epochs/5, 1)
	trainer.OnEpoch = func(e train.Epoch) error {
		progress.Step(mc.Kind(), e.Epoch, tc.Epochs)
		if e.Epoch%every == 0 || e.Epoch == 1 {
			progress.Done()
			fmt.Fprintf(w, "Epoch %d/%d, loss: %.4f\n", e.Epoch, tc.Epochs, e.Loss)
		}
		return nil
	}
	data := dataset.XOR()
	if err := trainer.Fit(context.Background(), data, nil); err != nil {
		return 0, nil, err
	}
	r, err := trainer.Eval.Evaluate(data)
	if err != nil {
		return 0, nil, err
	}
	probs, err := trainer.Eval.Probabilities(data)
	if err != nil {
		return 0, nil, err
	}
	fmt.Fprintln(w, " x1  x2  target  output  class")
	for i := range data.Len() {
		x := data.Sample(i)
		fmt.Fprintf(w, "%3d %3d %7d %7.3f %6d\n", x[0], x[1], data.Labels[i], probs[i][0], r.Predicted[i])
	}
	fmt.Fprintf(w, "%s accuracy: %.3f\n", mc.Kind(), r.Accuracy)
	return r.Accuracy, trainer.Eval, nil
}
