package train

import (
	"math/rand/v2"
	"sync"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// The MNIST files are read once per test binary; every test takes views (Limit) or copies
// (Subset) of these sets and never writes to them.
var (
	fixMNISTOnce                sync.Once
	fixMNISTTrain, fixMNISTTest *dataset.Set
	fixMNISTErr                 error
)

// fixMNIST returns the bundled MNIST training (60,000) and test (10,000) sets. The bundled copy is
// used whatever $MNIST_DIR says, so that accuracy bounds refer to the real digits.
func fixMNIST(t testing.TB) (trainSet, testSet *dataset.Set) {
	t.Helper()
	fixMNISTOnce.Do(func() {
		dir, err := dataset.BundledDir()
		if err != nil {
			fixMNISTErr = err
			return
		}
		fixMNISTTrain, fixMNISTTest, fixMNISTErr = dataset.LoadMNIST(dir)
	})
	if fixMNISTErr != nil {
		t.Fatalf("loading MNIST: %v", fixMNISTErr)
	}
	return fixMNISTTrain, fixMNISTTest
}

// fixNet builds the network cfg describes with weights drawn from seed, as the commands do.
func fixNet(t testing.TB, cfg model.Config, seed uint64) *model.Network {
	t.Helper()
	net, err := model.New(cfg, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatalf("model.New(%v): %v", cfg, err)
	}
	return net
}

// fixTrainer returns a Trainer for net or stops the test.
func fixTrainer(t testing.TB, net *model.Network, cfg Config) *Trainer {
	t.Helper()
	tr, err := NewTrainer(net, cfg)
	if err != nil {
		t.Fatalf("NewTrainer(%+v): %v", cfg, err)
	}
	return tr
}

// fixWeights returns a float64 copy of every parameter of net, in Params order.
func fixWeights(net *model.Network) [][]float64 {
	var out [][]float64
	for _, p := range net.Params() {
		out = append(out, fixF64s(p.Value.Data()))
	}
	return out
}

// fixF64s copies a []float32 or []float64 backing slice as fixF64s.
func fixF64s(data any) []float64 {
	switch d := data.(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	panic("fixF64s: unsupported type")
}

// fixSameWeights reports whether two weight snapshots are bit-for-bit equal.
func fixSameWeights(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}
