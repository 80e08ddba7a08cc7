package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// loadModel loads --model FILE; a missing flag is a usage error.
func loadModel(path string) (model.Saved, error) {
	if path == "" {
		return model.Saved{}, cli.Usagef("--model FILE is required")
	}
	if _, err := os.Stat(path); err != nil {
		return model.Saved{}, cli.Usagef("--model %s: no such file", path)
	}
	return model.Load(path)
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist eval", pflag.ContinueOnError)
	file := fs.String("model", "", "model file written by 'mnist train --save' (required)")
	data := fs.String("data", "", "directory of MNIST-style IDX files (default: $MNIST_DIR, else the bundled MNIST)")
	report := fs.Bool("report", false, "print the classification report and confusion matrix")
	plotDir := fs.String("plot-dir", "", "write confusion.png, mistakes.png and weights.png into this directory")
	if err := cli.ParseCommand(fs, args, stdout, "mnist eval --model FILE [flags]\n\nEvaluates a saved model on the test set.", false); err != nil {
		return err
	}
	if err := checkPlotDir(*plotDir); err != nil {
		return err
	}
	saved, err := loadModel(*file)
	if err != nil {
		return err
	}
	if _, err := dataset.FindMNIST(*data); err != nil && *data != "" {
		return cli.Usagef("--data: %v", err)
	}
	test, err := dataset.LoadMNISTTest(*data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Model %s: %s, %d parameters\n", *file, saved.Net.Config, saved.Net.NumParams())
	if cmd := saved.Meta["command"]; cmd != "" {
		fmt.Fprintf(stdout, "Trained with: %s (%s epochs; test accuracy then: %s)\n", cmd, saved.Meta["epochs"], saved.Meta["test_accuracy"])
	}
	result, err := train.NewEvaluator(saved.Net).Evaluate(test)
	if err != nil {
		return err
	}
	if *plotDir != "" {
		paths, err := writePlots(*plotDir, nil, test, result, saved.Net)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Pictures: %s\n", strings.Join(paths, ", "))
	}
	if *report {
		printReport(stdout, result)
	}
	fmt.Fprintf(stdout, "Test accuracy: %.4f\n", result.Accuracy)
	return nil
}

func runPredict(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist predict", pflag.ContinueOnError)
	file := fs.String("model", "", "model file written by 'mnist train --save' (required)")
	if err := cli.ParseCommand(fs, args, stdout, "mnist predict --model FILE IMAGE...\n\n"+
		"Predicts the digit in each PNG, JPEG or GIF image (any size or colour; prepared like MNIST:\n"+
		"grayscale, light digit on dark, cropped, scaled to 20x20, centred by mass in 28x28).", true); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return cli.Usagef("no image given")
	}
	saved, err := loadModel(*file)
	if err != nil {
		return err
	}
	if saved.Net.Config.Inputs != 28*28 {
		return fmt.Errorf("--model %s takes %d inputs, not a 28x28 image", *file, saved.Net.Config.Inputs)
	}
	if saved.Net.Config.Outputs != dataset.MNISTClasses {
		return fmt.Errorf("--model %s has %d outputs, not one per digit (%d)", *file, saved.Net.Config.Outputs, dataset.MNISTClasses)
	}
	eval := train.NewEvaluator(saved.Net)
	failed := 0
	for _, path := range fs.Args() {
		line, err := predictOne(eval, path)
		if err != nil {
			fmt.Fprintf(stderr, "mnist predict: %s: %v\n", path, err)
			failed++
			continue
		}
		fmt.Fprintln(stdout, line)
	}
	if failed > 0 {
		return &quietError{fmt.Errorf("%d of %d images failed", failed, fs.NArg())}
	}
	return nil
}

// quietError is a runtime failure already reported line by line.
type quietError struct{ error }

func predictOne(eval *train.Evaluator, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errors.Unwrap(err) // the path is already in the message
	}
	defer f.Close()
	pixels, err := dataset.ReadDigit(f)
	if err != nil {
		return "", err
	}
	set := &dataset.Set{Name: path, Data: pixels, Labels: []uint8{0}, Features: 28 * 28, Rows: 28, Cols: 28, Classes: 10, Scale: 1.0 / 255}
	probs, err := eval.Probabilities(set)
	if err != nil {
		return "", err
	}
	p := probs[0]
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
	top := make([]string, 0, 3)
	for _, d := range order[:min(3, len(order))] {
		top = append(top, fmt.Sprintf("%d %.3f", d, p[d]))
	}
	return fmt.Sprintf("%s: %d (p=%.3f); top 3: %s", path, order[0], p[order[0]], strings.Join(top, ", ")), nil
}

// Reported marks the error as already printed (cli.Exit prints nothing more).
func (quietError) Reported() {}
