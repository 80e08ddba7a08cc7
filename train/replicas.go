package train

import (
	"fmt"
	"runtime"
	"sync"

	"gorgonia.org/tensor"
)

// Data parallelism. A TapeMachine runs its graph's ops one after another on one core, and most of
// a small network's ops (the bias additions, the activations, dropout, the softmax and their
// gradients) are too small to be worth cutting up. So the trainer cuts the batch instead, as
// data-parallel training does across devices (PyTorch's DistributedDataParallel, Goyal et al.
// 2017, "Accurate, Large Minibatch SGD", section 2): Config.Replicas training graphs, one per
// share of the batch's rows, bound to the same weight tensors, run at once; their gradients are
// combined into one, and one solver takes one step. The step is the gradient step on the mean
// loss over the whole batch; only the order of the floating-point sums over the batch's rows
// differs from one graph of the whole batch (TestReplicasAreOneBatch). The number of replicas is a
// setting, not the number of cores, so a run gives the same numbers on every machine.

// combineGradients sets the first replica's gradient of every learnable to sum_k (n_k/batch) g_k,
// the replicas' gradients weighted by their shares of the batch, summed in replica order, and
// zeroes the other replicas' gradients for their next run. The
// learnables' elements are cut into one run per core; every element's sum is the same whatever
// the cut.
func (s *step) combineGradients() error {
	first := s.replicas[0].g.Learnables
	weights := make([]float64, len(s.replicas))
	for k, r := range s.replicas {
		weights[k] = float64(r.hi-r.lo) / float64(s.batch)
	}
	grads := make([][]*tensor.Dense, len(first)) // [learnable][replica]
	for i := range first {
		for _, r := range s.replicas {
			n := r.g.Learnables[i]
			g, err := n.Grad()
			if err != nil {
				return fmt.Errorf("%s: %w", n.Name(), err)
			}
			d, ok := g.(*tensor.Dense)
			if !ok {
				return fmt.Errorf("%s: gradient %T, want a dense tensor", n.Name(), g)
			}
			grads[i] = append(grads[i], d)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for _, gs := range grads {
				size := gs[0].Len()
				weightedSum(gs, weights, w*size/workers, (w+1)*size/workers)
			}
		})
	}
	wg.Wait()
	return nil
}

// weightedSum sets gs[0][lo:hi] to sum_k weights[k] * gs[k][lo:hi] and zeroes gs[k][lo:hi] for
// k >= 1: a machine adds its gradients to the ones it finds (the solvers zero the gradients they
// have used, here those of the first replica), so each replica's must be zeroed after use.
func weightedSum(gs []*tensor.Dense, weights []float64, lo, hi int) {
	switch dst := gs[0].Data().(type) {
	case []float32:
		dst = dst[lo:hi]
		w0 := float32(weights[0])
		for i := range dst {
			dst[i] *= w0
		}
		for k := 1; k < len(gs); k++ {
			src, wk := gs[k].Data().([]float32)[lo:hi], float32(weights[k])
			for i := range dst {
				dst[i] += wk * src[i]
				src[i] = 0
			}
		}
	case []float64:
		dst = dst[lo:hi]
		for i := range dst {
			dst[i] *= weights[0]
		}
		for k := 1; k < len(gs); k++ {
			src, wk := gs[k].Data().([]float64)[lo:hi], weights[k]
			for i := range dst {
				dst[i] += wk * src[i]
				src[i] = 0
			}
		}
	}
}
