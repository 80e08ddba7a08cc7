package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"gorgonet/dataset"
)

// The side-by-side timing against PyTorch (../shared/bench/torch_mlp.py) on the same machine:
//
//	go test ./cmd/mnist -run TestCompareWithPyTorch -torch /path/to/shared/bench/torch_mlp.py -v
//	go test ./cmd/mnist -run TestCompareWithPyTorch -torch /path/to/shared/bench/torch_mlp.py -v -tags openblas
//
// Each round runs one epoch of the same MLP (784-128-10, ReLU, Adam 0.001, batch 100, float32, all
// 60,000 training images) as a 'mnist train' process and as a PyTorch process, alternating, and
// the test logs each epoch's training seconds (from --history; PyTorch's own "train N s"), their
// medians and the ratio. Separate processes keep one side's threads (OpenBLAS's spin for a while
// after a product) from slowing the other. Machines here are shared and noisy: quote the ratio,
// not the times. Skipped without -torch, so 'go test ./...' never needs Python.
var (
	torchScript = flag.String("torch", "", "path of torch_mlp.py: run the PyTorch comparison")
	torchRounds = flag.Int("torch-rounds", 5, "alternating rounds of the PyTorch comparison")
	torchPython = flag.String("torch-python", "/usr/bin/python3", "the python3 that has torch (Debian's python3-torch)")
)

func TestCompareWithPyTorch(t *testing.T) {
	if *torchScript == "" {
		t.Skip("no -torch script given")
	}
	dir, err := dataset.FindMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	history := filepath.Join(t.TempDir(), "history.csv")
	var ours, theirs []float64
	for round := 1; round <= *torchRounds; round++ {
		_, errOut, status := runMnist(t, "", "train", "--hidden", "128", "--dropout", "0", "--epochs", "1",
			"--batch-size", "100", "--seed", strconv.Itoa(round), "--quiet", "--history", history)
		if status != 0 {
			t.Fatalf("mnist train: status %d: %s", status, errOut)
		}
		ours = append(ours, epochSeconds(t, history))

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
	fmt.Printf("epoch time, gorgonet/PyTorch (%v build): ratio of medians %.2f (%.2fs / %.2fs, %d rounds)\n",
		buildTags, mo/mt, mo, mt, *torchRounds)
}

// epochSeconds reads the seconds of the one epoch in a --history file.
func epochSeconds(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%s: %v, %d rows", path, err, len(rows))
	}
	s, err := strconv.ParseFloat(rows[1][5], 64)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
