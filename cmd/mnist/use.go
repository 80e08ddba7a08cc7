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

// modelFileFlag adds --model-file FILE and its older spelling --model (hidden) to fs.
func modelFileFlag(fs *pflag.FlagSet) *string {
	file := fs.String("model-file", "", "model file written by 'mnist train --save' (required; --model FILE also works)")
	fs.StringVar(file, "model", "", "the same as --model-file")
	_ = fs.MarkHidden("model")
	return file
}

// loadModel loads --model-file FILE; a missing flag or file is a usage error.
func loadModel(path string) (model.Saved, error) {
	if path == "" {
		return model.Saved{}, cli.Usagef("--model-file FILE is required")
	}
	if _, err := os.Stat(path); err != nil {
		return model.Saved{}, cli.Usagef("--model-file %s: no such file", path)
	}
	return model.Load(path)
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist eval", pflag.ContinueOnError)
	file := modelFileFlag(fs)
	data := fs.String("data", "", "directory of MNIST-style IDX files (default: $MNIST_DIR, else the bundled MNIST)")
	withReport := fs.Bool("report", false, "print the classification report and confusion matrix")
	plotDir := fs.String("plot-dir", "", "write confusion.png, mistakes.png and weights.png into this directory")
	if err := cli.ParseCommand(fs, args, stdout, "mnist eval --model-file FILE [flags]\n\nEvaluates a saved model on the test set.", false); err != nil {
		return err
	}
	if err := checkPlotDir(*plotDir); err != nil {
		return err
	}
	saved, err := loadModel(*file)
	if err != nil {
		return err
	}
	if err := checkData(*data); err != nil {
		return err
	}
	test, err := dataset.LoadMNISTTest(*data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Model %s: %s, %d parameters\n", *file, saved.Net, saved.Net.NumParams())
	if cmd := saved.Meta["command"]; cmd != "" {
		fmt.Fprintf(stdout, "Trained with: %s (%s epochs; test accuracy then: %s)\n", cmd, saved.Meta["epochs"], saved.Meta["test_accuracy"])
	}
	result, err := train.NewEvaluator(saved.Net).Evaluate(test)
	if err != nil {
		return err
	}
	return report(stdout, *plotDir, *withReport, nil, test, result, saved.Net)
}

func runPredict(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist predict", pflag.ContinueOnError)
	file := modelFileFlag(fs)
	if err := cli.ParseCommand(fs, args, stdout, "mnist predict --model-file FILE IMAGE...\n\n"+
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
	if saved.Net.Inputs != dataset.DigitSize*dataset.DigitSize {
		return fmt.Errorf("--model-file %s takes %d inputs, not a 28x28 image", *file, saved.Net.Inputs)
	}
	if saved.Net.Outputs != dataset.MNISTClasses {
		return fmt.Errorf("--model-file %s has %d outputs, not one per digit (%d)", *file, saved.Net.Outputs, dataset.MNISTClasses)
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
	set := &dataset.Set{Name: path, Data: pixels, Labels: []uint8{0}, Features: dataset.DigitSize * dataset.DigitSize, Rows: dataset.DigitSize, Cols: dataset.DigitSize, Classes: 10, Scale: 1.0 / 255}
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
