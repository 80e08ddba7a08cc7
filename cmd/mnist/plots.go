package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
	"gorgonet/train/plot"
)

// checkPlotDir fails, before any training, when --plot-dir is not a writable directory.
func checkPlotDir(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return cli.Usagef("--plot-dir %s: not an existing directory", dir)
	}
	return cli.CheckWritable("plot-dir", filepath.Join(dir, "curves.png"))
}

// writePlots draws the pictures of a run into dir: curves.png (when there is a history),
// confusion.png, mistakes.png and weights.png. It returns the paths written.
func writePlots(dir string, h train.History, test *dataset.Set, r *train.Result, net *model.Network) ([]string, error) {
	type picture struct {
		name string
		draw func(io.Writer) error
	}
	var pics []picture
	if len(h) > 0 {
		pics = append(pics, picture{"curves.png", func(w io.Writer) error { return plot.Curves(w, h) }})
	}
	pics = append(pics, picture{"confusion.png", func(w io.Writer) error { return plot.ConfusionMatrix(w, r.Confusion) }})
	if _, err := plot.MostConfidentMistakes(test, r, 1); err == nil {
		pics = append(pics, picture{"mistakes.png", func(w io.Writer) error { return plot.Mistakes(w, test, r, 36) }})
	}
	if test.Rows > 0 && test.Rows*test.Cols == net.Config.Inputs {
		templates, titles := plot.WeightTemplates(net)
		pics = append(pics, picture{"weights.png", func(w io.Writer) error {
			return plot.Weights(w, templates, test.Rows, test.Cols, titles)
		}})
	}
	var written []string
	for _, p := range pics {
		path := filepath.Join(dir, p.name)
		if err := model.WriteFileAtomic(path, p.draw); err != nil {
			return written, fmt.Errorf("--plot-dir: %w", err)
		}
		written = append(written, path)
	}
	return written, nil
}
