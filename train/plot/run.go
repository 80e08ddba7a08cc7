package plot

import (
	"io"
	"path/filepath"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// WriteRun draws the pictures of a run into dir (created when missing: model.PrepareDir) and returns the paths
// written: curves.png (when h is not empty), confusion.png, mistakes.png (when the model made a
// mistake) and weights.png (when the first layer reads images of test's size and is dense).
// Each file is written atomically.
func WriteRun(dir string, h train.History, test *dataset.Set, r *train.Result, net *model.Network, names []string) ([]string, error) {
	if err := model.PrepareDir(dir); err != nil {
		return nil, err
	}
	type picture struct {
		name string
		draw func(io.Writer) error
	}
	var pics []picture
	if len(h) > 0 {
		pics = append(pics, picture{"curves.png", func(w io.Writer) error { return Curves(w, h) }})
	}
	pics = append(pics, picture{"confusion.png", func(w io.Writer) error { return ConfusionMatrix(w, r.Confusion, names) }})
	if _, err := MostConfidentMistakes(test, r, 1); err == nil {
		pics = append(pics, picture{"mistakes.png", func(w io.Writer) error { return Mistakes(w, test, r, 36, names) }})
	}
	if templates, titles := WeightTemplates(net, names); templates != nil && test.Rows > 0 && test.Rows*test.Cols == net.Inputs {
		pics = append(pics, picture{"weights.png", func(w io.Writer) error { return Weights(w, templates, test.Rows, test.Cols, titles) }})
	}
	var written []string
	for _, p := range pics {
		path := filepath.Join(dir, p.name)
		if err := model.WriteFileAtomic(path, p.draw); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}
