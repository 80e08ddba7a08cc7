package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// Benchmarks of one training step and of inference over the test set, at a few model and batch
// sizes. Compare builds and commits with benchstat; README has the commands and a table.
//
//	go test ./train -run XXX -bench . -benchmem
//	go test ./train -run XXX -bench . -benchmem -tags openblas

var benchData struct {
	train, test *dataset.Set
}

// loadBench loads MNIST once and installs the BLAS the programs use (model.UseFastBLAS: banded
// gonum, or OpenBLAS with -tags openblas), so that the benchmarks measure what a run does.
func loadBench(b *testing.B) (train, test *dataset.Set) {
	model.UseFastBLAS()
	if benchData.train == nil {
		tr, te, err := dataset.LoadMNIST("")
		if err != nil {
			b.Fatal(err)
		}
		benchData.train, benchData.test = tr, te
	}
	return benchData.train, benchData.test
}

func BenchmarkTrainStep(b *testing.B) {
	train, _ := loadBench(b)
	for _, hidden := range []int{128, 512, 1024} {
		for _, batch := range []int{32, 128, 512} {
			b.Run(fmt.Sprintf("hidden=%d/batch=%d", hidden, batch), func(b *testing.B) {
				net, err := model.New(model.MLP(784, []int{hidden}, 10), rand.New(rand.NewPCG(1, 0)))
				if err != nil {
					b.Fatal(err)
				}
				tr, err := NewTrainer(net, Config{Optimizer: "adam", BatchSize: batch, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				order := dataset.Order(nil, train.Len(), 1, 1)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := (i * batch) % (train.Len() - batch)
					if err := tr.run(tr.full, train, order[start:start+batch], nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}

func BenchmarkInferenceTestSet(b *testing.B) {
	_, test := loadBench(b)
	for _, hidden := range []int{128, 512} {
		b.Run(fmt.Sprintf("hidden=%d", hidden), func(b *testing.B) {
			net, err := model.New(model.MLP(784, []int{hidden}, 10), rand.New(rand.NewPCG(1, 0)))
			if err != nil {
				b.Fatal(err)
			}
			ev := NewEvaluator(net)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := ev.Evaluate(test); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
