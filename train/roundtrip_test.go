package train

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// TestSavedModelPredictsTheSame trains a small model in each dtype, saves it, loads it, and checks
// that the loaded model gives bit-identical probabilities on 500 test images.
func TestSavedModelPredictsTheSame(t *testing.T) {
	trainSet, testSet, err := dataset.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	test := testSet.Limit(500)
	for _, dtype := range []string{"float32", "float64"} {
		cfg := model.MLP(784, []int{16}, 10)
		cfg.Dtype, _ = model.ParseDtype(dtype)
		tr := newTestTrainer(t, cfg, Config{Epochs: 1, BatchSize: 100, Seed: 3})
		if err := tr.Fit(context.Background(), trainSet.Limit(1000), nil); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), dtype+".model")
		if err := model.Save(path, model.Saved{Net: tr.Net}); err != nil {
			t.Fatal(err)
		}
		saved, err := model.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tr.Eval.Probabilities(test)
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewEvaluator(saved.Net).Probabilities(test)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if !slices.Equal(want[i], got[i]) {
				t.Fatalf("%s: sample %d: loaded model gives %v, trained model %v", dtype, i, got[i], want[i])
			}
		}
	}
}
