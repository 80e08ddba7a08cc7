// Command xor trains the tutorial's first example: the XOR function, which a single-layer
// perceptron cannot learn (no straight line separates its classes: at best 3 of 4 right) and an
// MLP with one small hidden layer can.
//
//	xor                        train both models and compare them
//	xor --model perceptron     train one; the last line is "Accuracy: X.XXX"
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
	"gorgonet/train/plot"
)

// Defaults of xor, in one place. A 2-4-1 tanh MLP with binary cross-entropy and Adam at 0.1
// learns XOR in a few hundred full-batch steps for every seed tried (1 to 20, see the tests).
var defaults = flags{
	Hidden:     "4",
	Activation: "tanh",
	Loss:       model.BCE,
	Optimizer:  "adam",
	LearnRate:  0.1,
	Epochs:     500,
	Seed:       1,
}

type flags struct {
	Model, Hidden, Activation, Loss, Optimizer string
	LearnRate, L2                              float64
	Epochs                                     int
	Seed                                       uint64
	Quiet                                      bool
	Plot, Format                               string
}

func main() {
	os.Exit(cli.Exit(os.Stderr, "xor", "Run 'xor --help' for usage.", run(os.Args[1:], os.Stdout, os.Stderr)))
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("xor", pflag.ContinueOnError)
	f := defaults
	graph := len(args) > 0 && args[0] == "graph"
	if graph {
		args = args[1:]
		fs.StringVar(&f.Format, "format", "dot", "with 'xor graph': dot (Graphviz, every node) or mermaid (the layers)")
	}
	fs.StringVar(&f.Model, "model", "", "train only this model: perceptron or mlp (default: both, compared)")
	fs.StringVar(&f.Hidden, "hidden", f.Hidden, "hidden layer sizes of the mlp, comma separated")
	fs.StringVar(&f.Activation, "activation", f.Activation, "hidden activation: "+strings.Join(model.Activations(), ", "))
	fs.StringVar(&f.Loss, "loss", f.Loss, "loss: bce (binary cross-entropy) or mse (the tutorial's 1/2 (y - y_hat)^2)")
	fs.StringVar(&f.Optimizer, "optimizer", f.Optimizer, "solver: "+strings.Join(train.Optimizers, ", "))
	fs.Float64Var(&f.LearnRate, "lr", f.LearnRate, "learning rate")
	fs.IntVar(&f.Epochs, "epochs", f.Epochs, "full-batch training steps over the four samples")
	fs.Float64Var(&f.L2, "l2", f.L2, "L2 penalty lambda: adds (lambda/2)*sum(W^2) to the loss")
	fs.Uint64Var(&f.Seed, "seed", f.Seed, "seed of the initial weights")
	fs.BoolVar(&f.Quiet, "quiet", f.Quiet, "no progress bar (shown only on a terminal; the loss lines and results are always printed)")
	fs.StringVar(&f.Plot, "plot", "", "draw the decision boundary of each trained model into this PNG file")
	if err := cli.ParseCommand(fs, args, stdout, "xor [flags]\n       xor graph [--model perceptron|mlp] [--format dot|mermaid]\n\n"+
		"Trains a perceptron and an MLP on XOR and shows which learned it; 'xor graph' prints the\ninference graph of one model instead.", false); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	kinds := []string{"perceptron", "mlp"}
	switch f.Model {
	case "":
	case "perceptron", "mlp":
		kinds = []string{f.Model}
	default:
		return cli.Usagef("--model %q: want perceptron or mlp", f.Model)
	}
	configs := make([]model.Config, len(kinds))
	for i, kind := range kinds {
		c, err := f.config(kind)
		if err != nil {
			return err
		}
		configs[i] = c
	}
	if graph {
		return cli.PrintGraph(stdout, configs[len(configs)-1], f.Format, f.Seed)
	}
	if !slices.Contains(train.Optimizers, f.Optimizer) {
		return cli.Usagef("--optimizer %q: want one of %s", f.Optimizer, strings.Join(train.Optimizers, ", "))
	}
	tc := train.Config{Optimizer: f.Optimizer, LearnRate: f.LearnRate, Epochs: f.Epochs, BatchSize: 4, Seed: f.Seed}
	if err := tc.Validate(); err != nil {
		return &cli.UsageError{Err: err}
	}
	if err := cli.CheckWritable("plot", f.Plot); err != nil {
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
		if acc, ev, err = trainOne(stdout, mc, tc, cli.NewProgress(stderr, !f.Quiet && isTerminal(stderr))); err != nil {
			return err
		}
		learned[mc.Kind()] = acc == 1
		if f.Plot != "" {
			panel, err := boundaryPanel(fmt.Sprintf("%s (accuracy %.2f)", mc.Kind(), acc), ev)
			if err != nil {
				return err
			}
			panels = append(panels, panel)
		}
	}
	if f.Plot != "" {
		if err := model.WriteFileAtomic(f.Plot, func(w io.Writer) error { return plot.Boundary(w, panels) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Decision boundary: %s\n", f.Plot)
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

func (f flags) config(kind string) (model.Config, error) {
	c := model.Perceptron(2, 1)
	if kind == "mlp" {
		hidden, err := cli.ParseSizes("hidden", f.Hidden)
		if err != nil {
			return c, err
		}
		if len(hidden) == 0 {
			return c, cli.Usagef("--hidden is empty: an mlp needs at least one hidden layer")
		}
		c = model.MLP(2, hidden, 1)
	}
	if f.Loss != model.BCE && f.Loss != model.MSE {
		return c, cli.Usagef("--loss %q: want bce or mse", f.Loss)
	}
	if err := cli.CheckRange("l2", f.L2, 0, 10); err != nil {
		return c, err
	}
	if err := cli.CheckRange("epochs", float64(f.Epochs), 1, 1e7); err != nil {
		return c, err
	}
	if err := cli.CheckRange("lr", f.LearnRate, 1e-12, 100); err != nil {
		return c, err
	}
	if _, err := model.ActivationByName(f.Activation); err != nil {
		return c, cli.Usagef("--activation: %v", err)
	}
	c.Activation, c.Loss, c.L2, c.DType = f.Activation, f.Loss, f.L2, "float64"
	if err := c.Validate(); err != nil {
		return c, &cli.UsageError{Err: err}
	}
	return c, nil
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
	probs, err := trainer.Eval.Probabilities(data)
	if err != nil {
		return 0, nil, err
	}
	fmt.Fprintln(w, " x1  x2  target  output  class")
	correct := 0
	for i := range data.Len() {
		x := data.Sample(i)
		class := 0
		if probs[i][0] >= 0.5 {
			class = 1
		}
		if class == int(data.Labels[i]) {
			correct++
		}
		fmt.Fprintf(w, "%3d %3d %7d %7.3f %6d\n", x[0], x[1], data.Labels[i], probs[i][0], class)
	}
	acc := float64(correct) / float64(data.Len())
	fmt.Fprintf(w, "%s accuracy: %.3f\n", mc.Kind(), acc)
	return acc, trainer.Eval, nil
}

// boundaryPanel evaluates the model over the picture's grid in one batch.
func boundaryPanel(title string, ev *train.Evaluator) (plot.BoundaryPanel, error) {
	prob, err := plot.GridProb(func(points [][2]float64) ([]float64, error) {
		rows := make([][]float64, len(points))
		for i, p := range points {
			rows[i] = []float64{p[0], p[1]}
		}
		probs, err := ev.ProbabilitiesOf(rows)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(probs))
		for i, p := range probs {
			out[i] = p[0]
		}
		return out, nil
	})
	if err != nil {
		return plot.BoundaryPanel{}, err
	}
	data := dataset.XOR()
	points := make([]plot.BoundaryPoint, data.Len())
	for i := range points {
		x := data.Sample(i)
		points[i] = plot.BoundaryPoint{X1: float64(x[0]), X2: float64(x[1]), Label: int(data.Labels[i])}
	}
	return plot.BoundaryPanel{Title: title, Prob: prob, Points: points}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && cli.IsTerminal(f)
}
