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
	"os"
	"slices"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
	"gorgonet/train/plot"
)

func main() {
	model.UseFastBLAS()
	os.Exit(cli.Exit(os.Stderr, "xor", "Run 'xor --help' for usage.", run(os.Args[1:], os.Stdout, os.Stderr)))
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("xor", pflag.ContinueOnError)
	r := train.XORRecipe() // a 2-4-1 tanh MLP that learns XOR for every seed from 1 to 20 (see the tests)
	graph := len(args) > 0 && args[0] == "graph"
	format := "dot"
	if graph {
		args = args[1:]
		fs.StringVar(&format, "format", format, "with 'xor graph': dot (Graphviz, every node) or mermaid (the layers)")
	}
	only := fs.String("model", "", "train only this model: perceptron or mlp (default: both, compared)")
	// The recipe's settings that mean something for XOR.
	for _, s := range r.Settings("hidden", "activation", "loss", "optimizer", "lr", "epochs", "l2", "seed") {
		fs.Var(s.Value, s.Name, s.Usage)
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
	recipes := make([]train.Recipe, len(kinds))
	for i, kind := range kinds {
		recipes[i] = r.Clone()
		recipes[i].Model = kind
		if _, _, err := recipes[i].Configs(2, 1); err != nil {
			return err
		}
	}
	if graph {
		if !slices.Contains(model.GraphFormats, format) {
			return cli.Usagef("--format %q: want dot or mermaid", format)
		}
		net, err := recipes[len(recipes)-1].NewNetwork(2, 1)
		if err != nil {
			return err
		}
		return model.WriteGraph(stdout, net, format)
	}
	if err := train.CheckOutput("plot", *plotPath); err != nil {
		return err
	}

	learned := map[string]bool{}
	var acc float64
	var panels []plot.BoundaryPanel
	for i, kind := range kinds {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		t, err := trainOne(stdout, recipes[i], train.NewProgress(stderr, *quiet))
		if err != nil {
			return err
		}
		res, err := t.Eval.Evaluate(dataset.XOR())
		if err != nil {
			return err
		}
		acc, learned[kind] = res.Accuracy, res.Accuracy == 1
		fmt.Fprintf(stdout, "%s accuracy: %.3f\n", kinds[i], acc)
		if *plotPath != "" {
			panel, err := plot.ModelPanel(fmt.Sprintf("%s (accuracy %.2f)", kinds[i], acc), t.Eval, dataset.XOR())
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
	if len(recipes) == 1 {
		fmt.Fprintf(stdout, "Accuracy: %.3f\n", acc)
		return nil
	}
	verdicts := map[[2]bool]string{ // by whether the perceptron and the MLP learned it
		{false, true}: "The MLP learned XOR; the perceptron did not (XOR is not linearly separable).",
		{true, true}:  "Both learned XOR.", {true, false}: "The perceptron learned XOR; the MLP did not.",
		{false, false}: "Neither learned XOR with these settings.",
	}
	fmt.Fprintf(stdout, "\n%s\n", verdicts[[2]bool{learned["perceptron"], learned["mlp"]}])
	return nil
}

// trainOne trains the model of r on XOR, printing the run, five loss lines and the truth table.
func trainOne(w io.Writer, r train.Recipe, progress *train.Progress) (*train.Trainer, error) {
	t, err := r.NewTrainer(2, 1)
	if err != nil {
		return nil, err
	}
	tc := t.Config
	fmt.Fprintf(w, "Training %s, %d parameters; %s lr=%g, %d full-batch epochs, seed %d\n",
		t.Net, t.Net.NumParams(), tc.Optimizer, tc.LearnRate, tc.Epochs, tc.Seed)
	every := max(tc.Epochs/5, 1)
	t.OnEpoch = func(e train.Epoch) error {
		progress.Step(r.Model, e.Epoch, tc.Epochs)
		if e.Epoch%every == 0 || e.Epoch == 1 {
			progress.Done()
			fmt.Fprintf(w, "Epoch %d/%d, loss: %.4f\n", e.Epoch, tc.Epochs, e.Loss)
		}
		return nil
	}
	data := dataset.XOR()
	if err := t.Fit(context.Background(), data, nil); err != nil {
		return nil, err
	}
	return t, t.Eval.WriteTruthTable(w, data)
}
