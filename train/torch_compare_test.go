package train

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"gorgonet/dataset"
	"gorgonet/model"
)

// The side-by-side timing against PyTorch (../shared/bench/torch_mlp.py) on the same machine:
//
//	go test ./train -run TestCompareWithPyTorch -torch ../../shared/bench/torch_mlp.py -v
//	go test ./train -run TestCompareWithPyTorch -torch ../../shared/bench/torch_mlp.py -v -tags openblas
//
// Each round times one epoch of the same MLP (784-128-10, ReLU, Adam 0.001, batch 100, float32, all
// 60,000 training images) here and in PyTorch, alternating, and the test logs the medians and
// their ratio. Machines here are shared and noisy: quote the ratio, not the times. It is skipped
// without -torch, so 'go test ./...' never depends on Python.
var (
	torchScript = flag.String("torch", "", "path of torch_mlp.py: run the PyTorch comparison")
	torchRounds = flag.Int("torch-rounds", 5, "alternating rounds of the PyTorch comparison")
	torchPython = flag.String("torch-python", "/usr/bin/python3", "the python3 that has torch (Debian's python3-torch)")
)

func TestCompareWithPyTorch(t *testing.T) {
	if *torchScript == "" {
		t.Skip("no -torch script given")
	}
	trainSet, _, err := dataset.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := dataset.FindMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	var ours, theirs []float64
	for round := 1; round <= *torchRounds; round++ {
		net, err := model.New(model.MLP(784, []int{128}, 10), rand.New(rand.NewPCG(uint64(round), 0)))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(net, Config{Optimizer: "adam", LearnRate: 0.001, Epochs: 1, BatchSize: 100, Seed: uint64(round)})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := tr.Fit(context.Background(), trainSet, nil); err != nil {
			t.Fatal(err)
		}
		ours = append(ours, time.Since(start).Seconds())

		out, err := exec.Command(*torchPython, *torchScript, dir, "--epochs", "1", "--hidden", "128", "--bs", "100", "--threads", "2").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", *torchScript, err, out)
		}
		m := regexp.MustCompile(`train ([0-9.]+)s`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no 'train N.NNs' in PyTorch's output:\n%s", out)
		}
		s, _ := strconv.ParseFloat(string(m[1]), 64)
		theirs = append(theirs, s)
		t.Logf("round %d: gorgonet %.2fs, PyTorch %.2fs", round, ours[len(ours)-1], s)
	}
	mo, mt := median(ours), median(theirs)
	t.Logf("%s: median epoch gorgonet %.2fs, PyTorch %.2fs: ratio %.2fx", model.BLASName, mo, mt, mo/mt)
	fmt.Printf("epoch time ratio gorgonet/PyTorch (%s): %.2f (medians %.2fs / %.2fs over %d rounds)\n", model.BLASName, mo/mt, mo, mt, *torchRounds)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
