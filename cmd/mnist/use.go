package main

import (
	"errors"
	"fmt"
	"io"
	"os"
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
	r := train.DefaultRecipe()
	addRecipe(fs, &r, "dataset", "data", "classes")
	withReport := fs.Bool("report", false, "print the classification report and confusion matrix")
	plotDir := fs.String("plot-dir", "", "write confusion.png, mistakes.png and weights.png into this directory")
	if err := cli.ParseCommand(fs, args, stdout, "mnist eval --model-file FILE [flags]\n\nEvaluates a saved model on the test set.", false); err != nil {
		return err
	}
	if err := train.CheckOutputDir("plot-dir", *plotDir); err != nil {
		return err
	}
	saved, err := loadModel(*file)
	if err != nil {
		return err
	}
	given := fs.Changed("dataset") || fs.Changed("data") // --classes names the classes, not the data
	if err := r.FindData(); given && err != nil {
		return err
	}
	data, warning, err := train.TestDataFor(saved, r, given)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Model %s: %s\nTest data: %s\n", *file, saved.Summary(), data.Source)
	result, err := train.NewEvaluator(saved.Net).Evaluate(data.Test)
	if err != nil {
		return err
	}
	if warning != "" {
		fmt.Fprintf(stderr, "mnist eval: %s\n", warning)
	}
	names := train.ClassNames(saved)
	if fs.Changed("classes") {
		names = data.Classes
	}
	return report(stdout, *plotDir, *withReport, nil, data.Test, result, saved.Net, names)
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
	_, names, prep := train.TrainedOn(saved)
	if n := saved.Net; n.Inputs != dataset.DigitSize*dataset.DigitSize || names == nil && n.Outputs != dataset.MNISTClasses {
		return fmt.Errorf("--model-file %s takes %d inputs to %d outputs, not a 28x28 image to one of %d digits", *file, n.Inputs, n.Outputs, dataset.MNISTClasses)
	}
	eval, names := train.NewEvaluator(saved.Net), train.ClassNames(saved)
	failed := 0
	for _, path := range fs.Args() {
		line, err := predictOne(eval, path, prep, names)
		if err != nil {
			fmt.Fprintf(stderr, "mnist predict: %s: %v\n", path, err)
			failed++
			continue
		}
		fmt.Fprintln(stdout, line)
	}
	if failed > 0 {
		return cli.Reported(fmt.Errorf("%d of %d images failed", failed, fs.NArg()))
	}
	return nil
}

func predictOne(eval *train.Evaluator, path string, prep dataset.Preparation, names []string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errors.Unwrap(err) // the path is already in the message
	}
	defer f.Close()
	pixels, err := dataset.ReadImage(f, prep)
	if err != nil {
		return "", err
	}
	p, err := eval.PredictPixels(pixels)
	if err != nil {
		return "", err
	}
	var top []string
	for _, c := range p.Top(3) {
		top = append(top, fmt.Sprintf("%s %.3f", names[c], p.ProbOf(c)))
	}
	return fmt.Sprintf("%s: %s (p=%.3f); top 3: %s", path, names[p.Class], p.Prob, strings.Join(top, ", ")), nil
}
