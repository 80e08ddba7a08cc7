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
				// One graph: how a step's cost grows with the work (BenchmarkTrainStepReplicas
				// compares replicas).
				tr, err := NewTrainer(net, Config{Optimizer: "adam", BatchSize: batch, Seed: 1, Replicas: 1})
				if err != nil {
					b.Fatal(err)
				}
				benchSteps(b, tr, train, nil)
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

// BenchmarkTrainStepReplicas is one training step of the default network (784-256-10 ReLU,
// dropout 0.2, Adam) at PyTorch's batch (100) and the default recipe's (200), on one training
// graph and on two replicas (Config.Replicas). Its CPU time per step over its wall time is the
// cores kept busy.
func BenchmarkTrainStepReplicas(b *testing.B) {
	train, _ := loadBench(b)
	for _, batch := range []int{100, 200} {
		for _, replicas := range []int{1, 2} {
			b.Run(fmt.Sprintf("batch=%d/replicas=%d", batch, replicas), func(b *testing.B) {
				cfg := model.MLP(784, []int{256}, 10)
				cfg.Dropout = 0.2
				net, err := model.New(cfg, rand.New(rand.NewPCG(1, 0)))
				if err != nil {
					b.Fatal(err)
				}
				tr, err := NewTrainer(net, Config{Optimizer: "adam", BatchSize: batch, Seed: 1, Replicas: replicas})
				if err != nil {
					b.Fatal(err)
				}
				benchSteps(b, tr, train, rand.NewPCG(1, 2))
			})
		}
	}
}

// benchSteps times b.N training steps of tr on batches of train in a shuffled order, drawing
// dropout masks from masks (nil: none drawn), and reports samples per second and the cores kept
// busy (the process's CPU time over the wall time, where getrusage is known).
func benchSteps(b *testing.B, tr *Trainer, train *dataset.Set, masks *rand.PCG) {
	batch := tr.Config.BatchSize
	order := dataset.Order(nil, train.Len(), 1, 1)
	b.ReportAllocs()
	b.ResetTimer()
	user0, sys0, ok := processCPU()
	for i := 0; i < b.N; i++ {
		start := (i * batch) % (train.Len() - batch)
		if err := tr.run(tr.full, train, order[start:start+batch], masks); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
	if user1, sys1, ok1 := processCPU(); ok && ok1 {
		b.ReportMetric((user1-user0+sys1-sys0).Seconds()/b.Elapsed().Seconds(), "cores")
	}
}
