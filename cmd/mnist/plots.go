package main

import (
	"fmt"
	"io"
	"strings"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
	"gorgonet/train/plot"
)

// checkPlotDir creates --plot-dir when missing, before any training, and refuses a path that
// cannot be a directory of pictures.
func checkPlotDir(dir string) error {
	if dir == "" {
		return nil
	}
	return cli.MakeDir("plot-dir", dir, dir)
}

// report draws the pictures (with --plot-dir), prints the classification report (with --report)
// and ends with the test accuracy: the end of 'mnist train' and 'mnist eval'.
func report(w io.Writer, plotDir string, withReport bool, h train.History, test *dataset.Set, r *train.Result, net *model.Network) error {
	if plotDir != "" {
		paths, err := plot.WriteRun(plotDir, h, test, r, net)
		if err != nil {
			return fmt.Errorf("--plot-dir: %w", err)
		}
		fmt.Fprintf(w, "Pictures: %s\n", strings.Join(paths, ", "))
	}
	if withReport {
		fmt.Fprintln(w, "Classification report (test set):")
		_ = train.NewReport(r.Confusion).Write(w)
		fmt.Fprintln(w, "Confusion matrix (rows: true digit, columns: predicted):")
		_ = r.Confusion.Write(w)
	}
	fmt.Fprintf(w, "Test accuracy: %.4f\n", r.Accuracy)
	return nil
}

// checkData refuses, before any work, a --data directory without the MNIST files (a usage error),
// and reports a missing bundled copy.
func checkData(dir string) error {
	if _, err := dataset.FindMNIST(dir); err != nil {
		if dir != "" {
			return cli.Usagef("--data: %v", err)
		}
		return err
	}
	return nil
}
