package train

import (
	"fmt"

	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas/gonum"
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

// gradients returns every replica's gradient of every learnable ([learnable][replica]) and the
// replicas' shares of the batch, the weights of their gradients in the batch's.
func (s *step) gradients() (grads [][]*tensor.Dense, weights []float64, err error) {
	first := s.replicas[0].g.Learnables
	weights = make([]float64, len(s.replicas))
	for k, r := range s.replicas {
		weights[k] = float64(r.hi-r.lo) / float64(s.batch)
	}
	grads = make([][]*tensor.Dense, len(first))
	for i := range first {
		for _, r := range s.replicas {
			n := r.g.Learnables[i]
			g, err := n.Grad()
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", n.Name(), err)
			}
			d, ok := g.(*tensor.Dense)
			if !ok {
				return nil, nil, fmt.Errorf("%s: gradient %T, want a dense tensor", n.Name(), g)
			}
			grads[i] = append(grads[i], d)
		}
	}
	return grads, weights, nil
}

// combineGradients returns what sets the first replica's gradient of every learnable to sum_k
// (n_k/batch) g_k, the replicas' gradients weighted by their shares of the batch, summed in
// replica order, and zeroes the other replicas' gradients for their next run: run on each share's
// pieces by the sharded solver, in the task that then updates them, so the combination
// costs no hand-off of its own. Every element's sum is the same whatever the pieces.
func (s *step) combineGradients() (func(k int, pieces []piece), error) {
	grads, weights, err := s.gradients()
	if err != nil {
		return nil, err
	}
	return func(_ int, pieces []piece) {
		for _, p := range pieces {
			weightedSum(grads[p.i], weights, p.lo, p.hi)
		}
	}, nil
}

// weightedSum sets gs[0][lo:hi] to sum_k weights[k] * gs[k][lo:hi] and zeroes gs[k][lo:hi] for
// k >= 1: a machine adds its gradients to the ones it finds (the solvers zero the gradients they
// have used, here those of the first replica), so each replica's must be zeroed after use.
func weightedSum(gs []*tensor.Dense, weights []float64, lo, hi int) {
	switch dst := gs[0].Data().(type) {
	case []float32:
		// vek's SIMD product and gonum's Saxpy (MULPS, then ADDPS) round each product and
		// each sum as the loops of the float64 case do: the same bits as scalar float32 code.
		dst = dst[lo:hi]
		vek32.MulNumber_Inplace(dst, float32(weights[0]))
		for k := 1; k < len(gs); k++ {
			src := gs[k].Data().([]float32)[lo:hi]
			gonum.Implementation{}.Saxpy(len(dst), float32(weights[k]), src, 1, dst, 1)
			clear(src)
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
