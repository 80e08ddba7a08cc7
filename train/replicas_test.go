package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"gorgonet/model"
)

// TestReplicasAreOneBatch trains the same float64 network (dropout, L2) on 3, 2 and 1 replicas
// for two epochs of 230 samples in batches of 50 (so the remainder batch of 30 is split too) and
// requires the same training: every weight within a relative 1e-9 of the one graph's, the epochs'
// losses and accuracies the same. Combining the replicas' gradients with the wrong weights (a sum
// instead of a mean, the remainder's shares, the L2 term counted per replica) or drawing the
// dropout masks in another order moves the weights by far more. SGD, because Adam's step
// (m/√v) turns the last-bit differences of gradients that are nearly zero into full steps.
func TestReplicasAreOneBatch(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(230)
	cfg := model.MLP(784, []int{24, 12}, 10)
	cfg.Dropout, cfg.L2, cfg.Dtype = 0.3, 1e-3, tensor.Float64
	run := func(replicas int) (History, [][]float64) {
		net := fixNet(t, cfg, 3)
		tr := fixTrainer(t, net, Config{Optimizer: "sgd", LearnRate: 0.1, Epochs: 2, BatchSize: 50, Seed: 3, Replicas: replicas})
		if err := tr.Fit(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		return tr.History, fixWeights(net)
	}
	h1, w1 := run(1)
	for _, replicas := range []int{2, 3} {
		t.Run(fmt.Sprint(replicas), func(t *testing.T) {
			h, w := run(replicas)
			for i := range h1 {
				if math.Abs(h[i].Loss-h1[i].Loss) > 1e-9*h1[i].Loss || h[i].TrainAcc != h1[i].TrainAcc {
					t.Errorf("epoch %d: loss %v, accuracy %v; one graph: %v, %v", i+1, h[i].Loss, h[i].TrainAcc, h1[i].Loss, h1[i].TrainAcc)
				}
			}
			worst := 0.0
			for i := range w1 {
				for j := range w1[i] {
					worst = max(worst, math.Abs(w[i][j]-w1[i][j])/max(math.Abs(w1[i][j]), 1e-3))
				}
			}
			if worst > 1e-9 {
				t.Errorf("weights differ from one graph's by up to %.3g (relative)", worst)
			}
		})
	}
}

// TestGraphsShareWeightsNotHeaders runs two replicas at once for 100 steps of the default
// network: Gorgonia transposes a product's operand in place, so if the replicas' graphs were bound
// to one *tensor.Dense per parameter (not headers of their own over its elements) a product in
// one would find the other's weights transposed ("Shape mismatch"). With the products of the
// default network (784-256-10, batch 100) that happens within the first few steps; with small
// ones (hidden 32, batch 20) it was not seen.
func TestGraphsShareWeightsNotHeaders(t *testing.T) {
	all, _ := fixMNIST(t)
	data := all.Limit(10000)
	cfg := model.MLP(784, []int{256}, 10)
	cfg.Dropout = 0.2
	net := fixNet(t, cfg, 4)
	tr := fixTrainer(t, net, Config{Optimizer: "adam", Epochs: 1, BatchSize: 100, Seed: 4, Replicas: 2})
	if err := tr.Fit(context.Background(), data, nil); err != nil {
		t.Fatal(err)
	}
}

// TestSkipPCG checks the jump ahead against drawing: skipping n draws leaves the stream where n
// calls of Uint64 leave it.
func TestSkipPCG(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 63, 64, 65, 1000, 123457} {
		for _, seed := range []uint64{0, 1, 1 << 63} {
			drawn, skipped := rand.NewPCG(seed, maskStream+7), rand.NewPCG(seed, maskStream+7)
			for range n {
				drawn.Uint64()
			}
			skipPCG(skipped, n)
			if a, b := drawn.Uint64(), skipped.Uint64(); a != b {
				t.Fatalf("seed %d, %d draws: next draw %#x after skipping, %#x after drawing", seed, n, b, a)
			}
		}
	}
}

// TestMasksOneStream checks that replicas drawing their own rows of the masks at once get, bit for
// bit, the masks one graph of the whole batch draws from one stream, layer by layer, over several
// steps: two dropout layers of different widths, shares of uneven size.
func TestMasksOneStream(t *testing.T) {
	cfg := model.MLP(6, []int{5, 3}, 2)
	cfg.Dropout = 0.4
	net, err := model.New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	const batch = 7
	one, err := newStep(net, batch, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 3} {
		s, err := newStep(net, batch, n)
		if err != nil {
			t.Fatal(err)
		}
		want, stream := rand.New(rand.NewPCG(5, 6)), rand.NewPCG(5, 6)
		for step := range 3 {
			for _, m := range one.replicas[0].g.Masks {
				m.Fill(want)
			}
			start := *stream
			skipPCG(stream, s.maskDraws)
			for _, r := range s.replicas {
				r.fillMasks(&start)
			}
			for l, m := range one.replicas[0].g.Masks {
				units := m.Value.Shape()[1]
				all := m.Value.Data().([]float32)
				for _, r := range s.replicas {
					got := r.g.Masks[l].Value.Data().([]float32)
					if !slices.Equal(got, all[r.lo*units:r.hi*units]) {
						t.Fatalf("%d replicas, step %d, mask %d, rows %d-%d: %v, one graph's %v", n, step, l, r.lo, r.hi, got, all[r.lo*units:r.hi*units])
					}
				}
			}
		}
		if a, b := want.Uint64(), stream.Uint64(); a != b {
			t.Fatalf("%d replicas: the stream is not where one graph's draws leave it", n)
		}
	}
}
