package train

import (
	"fmt"
	"runtime"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/model"
)

// A shardedSolver runs one Gorgonia solver per share of the parameters, the shares at once
// (model.Parallel). Gorgonia's solvers update a parameter element by element (Adam's moments, the
// square root, the division: about fifteen passes over every parameter a step) on one core; for
// the default MLP that is a quarter of a training step, while the other core waits. Every
// learnable's elements are cut into Shares contiguous pieces, and piece k of every learnable goes
// to solver k, as a tensor sharing the learnable's memory (value and gradient), so the solver
// writes its update straight into the weights. As each element's update depends only on that
// element's weight, gradient and the solver's state for it, the weights are bit for bit those of
// one solver over the whole tensors (TestShardedSolverIsOneSolver), whatever the number of shares.
//
// Each solver keeps the state of its own pieces in order; State gathers the pieces into one
// tensor per learnable, so checkpoints do not depend on the number of shares. Share k's tensors
// carry engine k (engine.go: SIMD element-wise operations, recycled memory), and the combination
// of the replicas' gradients runs in share k's task on its pieces (StepAfter).
type shardedSolver struct {
	solvers []G.Solver
	engines []*solverEngine // the engine of share k's tensors
}

// minShare is the fewest parameters per share: below it, a hand-off costs more than it saves.
const minShare = 32 << 10

// newShardedSolver returns a sharded solver of solve's solvers, one per share.
func newShardedSolver(shares int, solve func() G.Solver) *shardedSolver {
	s := &shardedSolver{}
	for range shares {
		s.solvers = append(s.solvers, solve())
		s.engines = append(s.engines, new(solverEngine))
	}
	return s
}

// sharesFor returns the shares of a model of params parameters: one per core
// (runtime.GOMAXPROCS), at least minShare parameters each.
func sharesFor(params int) int {
	return max(1, min(runtime.GOMAXPROCS(0), params/minShare))
}

// piece is the elements [lo, hi) of learnable i.
type piece struct{ i, lo, hi int }

// pieces returns share k's pieces of learnables of the given sizes: the k-th of len(solvers)
// nearly equal runs of each learnable's elements, empty runs left out.
func (s *shardedSolver) pieces(k int, sizes []int) []piece {
	n := len(s.solvers)
	var p []piece
	for i, size := range sizes {
		lo, hi := k*size/n, (k+1)*size/n
		if hi > lo {
			p = append(p, piece{i, lo, hi})
		}
	}
	return p
}

// Step updates the learnables: each solver its share, at once.
func (s *shardedSolver) Step(learnables G.Nodes) error { return s.StepAfter(learnables, nil) }

// StepAfter is Step with before(k, pieces) run first in share k's task, on the pieces of
// the learnables that share updates (nil: nothing).
func (s *shardedSolver) StepAfter(learnables G.Nodes, before func(k int, pieces []piece)) error {
	sizes := learnableSizes(learnables)
	errs := make([]error, len(s.solvers))
	tasks := make([]func(), 0, len(s.solvers))
	for k := range s.solvers {
		vgs, err := s.share(k, learnables, sizes)
		if err != nil {
			return err
		}
		update := func() error {
			if before != nil {
				before(k, s.pieces(k, sizes))
			}
			defer s.recycle(k)
			return s.solvers[k].Step(vgs)
		}
		if len(s.solvers) == 1 {
			return update()
		}
		tasks = append(tasks, func() { errs[k] = update() })
	}
	model.Parallel(tasks...)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// recycle lets share k's engine take back the memory its solver no longer holds.
func (s *shardedSolver) recycle(k int) { recycle(s.solvers[k], s.engines[k]) }

// recycle lets e take back all it lent to solver's tensors but what the solver's state still
// holds (read as for checkpoints). For a solver whose state cannot be read, e only forgets what
// it lent, and the garbage collector takes it back.
func recycle(solver G.Solver, e *solverEngine) {
	_, slots, ok := solverSlots(solver)
	if _, stateless := solver.(*G.VanillaSolver); !ok && !stateless {
		e.forget()
		return
	}
	if e.live == nil {
		e.live = make(map[uintptr]bool, 2*len(slots))
	}
	clear(e.live)
	for _, sl := range slots {
		for _, t := range sl {
			if t != nil {
				e.live[t.Uintptr()] = true
			}
		}
	}
	e.recycle(e.live)
}

// share returns share k of the learnables as tensors over their memory.
func (s *shardedSolver) share(k int, learnables G.Nodes, sizes []int) ([]G.ValueGrad, error) {
	ps := s.pieces(k, sizes)
	vgs := make([]G.ValueGrad, len(ps))
	for j, p := range ps {
		n := learnables[p.i]
		g, err := n.Grad()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name(), err)
		}
		w, ok1 := n.Value().(*tensor.Dense)
		d, ok2 := g.(*tensor.Dense)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: value %T and gradient %T, want dense tensors", n.Name(), n.Value(), g)
		}
		vgs[j] = pieceVG{w: slice(w, p.lo, p.hi, s.engines[k]), g: slice(d, p.lo, p.hi, s.engines[k])}
	}
	return vgs, nil
}

// slice returns the elements [lo, hi) of t as a vector sharing t's memory, on engine e.
func slice(t *tensor.Dense, lo, hi int, e tensor.Engine) *tensor.Dense {
	var backing any
	switch data := t.Data().(type) {
	case []float32:
		backing = data[lo:hi]
	case []float64:
		backing = data[lo:hi]
	default:
		panic(fmt.Sprintf("train: a learnable of %v", t.Dtype())) // model.Network only makes float32 and float64
	}
	return tensor.New(tensor.WithShape(hi-lo), tensor.WithBacking(backing), tensor.WithEngine(e))
}

// pieceVG is a piece of a learnable as a solver sees it.
type pieceVG struct{ w, g *tensor.Dense }

func (p pieceVG) Value() G.Value         { return p.w }
func (p pieceVG) Grad() (G.Value, error) { return p.g, nil }
