package train

import (
	"math/rand/v2"
	"runtime/metrics"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// TestStepStartsNoGoroutinePerRun: a training step runs its machine on the step's own goroutine
// (model.Run). Gorgonia's RunAll would start a goroutine for every run, and lock the caller to its
// OS thread while it waits: two hand-offs between threads per replica per step, which kept the
// replicas from running at once. With one replica, products too small for any BLAS to run in
// parallel (XOR's) and one solver share, a step starts no goroutine at all.
func TestStepStartsNoGoroutinePerRun(t *testing.T) {
	xor := dataset.XOR()
	tr := fixTrainer(t, fixNet(t, model.MLP(2, []int{4}, 2), 1), Config{Optimizer: "adam", BatchSize: 4, Replicas: 1})
	if n := len(tr.solver.solvers); n != 1 {
		t.Fatalf("%d solver shares, want 1", n)
	}
	order := []int{0, 1, 2, 3}
	masks := rand.NewPCG(1, 2)
	created := func() uint64 {
		s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	const steps = 50
	before := created()
	for range steps {
		if err := tr.run(tr.full, xor, order, masks); err != nil {
			t.Fatal(err)
		}
	}
	if n := created() - before; n >= steps/2 {
		t.Errorf("%d steps started %d goroutines: the machines run through RunAll", steps, n)
	}
}
