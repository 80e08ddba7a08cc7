package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorgonet/dataset"
)

// The performance figures of README, in one run on one machine:
//
//	go test ./cmd/mnist -run TestPerformance -v -timeout 60m \
//	    -torch ../shared/bench/torch_mlp.py -baseline f586918
//
// (-torch is relative to the repository root, or to cmd/mnist, where the test runs.) It builds
// this tree's program twice (pure Go and -tags openblas, the latter only if OpenBLAS is
// installed) and, with -baseline REV, the program of commit REV (git archive into a temporary
// directory), then runs, alternating:
//
//   - epoch time: -rounds rounds of one epoch of the default network on PyTorch's set-up
//     (784-256-10 ReLU, dropout 0.2, Adam 0.001, batch 100, float32, all 60,000 training images)
//     by each build, read from its --history, and by PyTorch (torch_mlp.py --hidden 256 --dropout
//     0.2 --bs 100 --threads 2, its own "train N s"), run before and after the builds' epochs and
//     averaged, so that a drift of the machine within the round cancels; it prints the median of
//     each build's per-round ratios to PyTorch, and how busy the pure-Go build kept the cores
//     while training: the user time / wall time of each epoch of a 2-epoch run, as the program
//     measured it (its --history's user_seconds / seconds; the first epoch warms up), and, from
//     outside, of the difference between that run and the 1-epoch run (noisier: it subtracts
//     two processes' start-up and end) and of the whole 1-epoch process;
//   - time to accuracy: the default 'mnist' run with --seed 1, 2 and 3, against REV's default run
//     with the same seeds; each whole process is timed from outside; it prints every run's test
//     accuracy and time, the ratio of the sums of wall times, whether every run of this tree
//     reached 0.980, the peak RSS, and the cores this tree's runs kept busy while training (the
//     user time / wall time of all their epochs).
//
// Each process runs alone, so one side's threads (OpenBLAS spins for a while after a product) never
// slow the other. Machines here are shared and noisy: quote the ratios, not the times. Skipped
// without -torch, so 'go test ./...' never needs Python.
var (
	torchScript = flag.String("torch", "", "path of torch_mlp.py: run TestPerformance")
	perfRounds  = flag.Int("rounds", 5, "alternating rounds of the epoch-time comparison")
	baseline    = flag.String("baseline", "", "git revision whose default run the time to accuracy is measured against (none: not measured)")
	torchPython = flag.String("torch-python", "/usr/bin/python3", "the python3 that has torch (Debian's python3-torch)")
)

func TestPerformance(t *testing.T) {
	if *torchScript == "" {
		t.Skip("no -torch script given")
	}
	script := *torchScript // relative to the repository root, or to cmd/mnist where the test runs
	if _, err := os.Stat(script); err != nil && !filepath.IsAbs(script) {
		script = filepath.Join("..", "..", script)
	}
	script, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("-torch %s: %v", *torchScript, err)
	}
	dataDir, err := dataset.FindMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	pure := filepath.Join(bin, "mnist")
	if out, err := exec.Command("go", "build", "-o", pure, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	builds := []struct{ name, path string }{{"pure Go", pure}}
	openblas := filepath.Join(bin, "mnist-openblas")
	if out, err := exec.Command("go", "build", "-tags", "openblas", "-o", openblas, ".").CombinedOutput(); err != nil {
		t.Logf("no openblas build (apt-get install libopenblas-dev): %s", firstLine(string(out)))
	} else {
		builds = append(builds, struct{ name, path string }{"openblas", openblas})
	}

	// Epoch time against PyTorch, on PyTorch's set-up: the default network at batch 100, Adam 0.001.
	setUp := []string{"train", "--epochs", "1", "--batch-size", "100", "--lr", "0.001", "--lr-schedule", "constant"}
	epoch := make([][]float64, len(builds))
	var torch, busy1, busy2, busyDiff, processBusy []float64
	pyTorch := func(round int) float64 {
		out, err := exec.Command(*torchPython, script, dataDir, "--epochs", "1", "--hidden", "256", "--dropout", "0.2", "--bs", "100", "--threads", "2").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		m := regexp.MustCompile(`train ([0-9.]+)s`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no 'train N.NNs' in PyTorch's output:\n%s", out)
		}
		s, _ := strconv.ParseFloat(string(m[1]), 64)
		t.Logf("round %d: PyTorch %.2fs", round, s)
		return s
	}
	for round := 1; round <= *perfRounds; round++ {
		// PyTorch before and after the builds' epochs, which are compared with the mean of the
		// two: a drift of the machine's speed within the round cancels.
		before := pyTorch(round)
		var one process
		for i, b := range builds {
			history := filepath.Join(bin, "history.csv")
			r := timed(t, b.path, append(setUp, "--seed", strconv.Itoa(round), "--quiet", "--history", history)...)
			epoch[i] = append(epoch[i], epochSeconds(t, history))
			t.Logf("round %d: %s %.2fs (process: %.1fs wall, %.1fs user)", round, b.name, epoch[i][len(epoch[i])-1], r.wall, r.user)
			if i == 0 {
				one = r
			}
		}
		torch = append(torch, (before+pyTorch(round))/2)
		// The pure-Go run again with a second epoch: the cores it kept busy in each epoch, and
		// from outside in the difference from the 1-epoch run, which is one epoch of training
		// without loading the data and evaluating the test set.
		history := filepath.Join(bin, "history2.csv")
		two := timed(t, pure, append(setUp, "--seed", strconv.Itoa(round), "--quiet", "--epochs", "2", "--history", history)...)
		cores := epochCores(t, history)
		busy1, busy2 = append(busy1, cores[0]), append(busy2, cores[1])
		busyDiff = append(busyDiff, (two.user-one.user)/(two.wall-one.wall))
		processBusy = append(processBusy, one.user/one.wall)
		t.Logf("round %d: pure Go, 2 epochs: %.1fs wall, %.1fs user; epochs %.2f and %.2f cores busy", round, two.wall, two.user, cores[0], cores[1])
	}
	for i, b := range builds {
		ratios := make([]float64, len(torch))
		for r := range torch {
			ratios[r] = epoch[i][r] / torch[r]
		}
		fmt.Printf("epoch time of the default set-up, gorgonet (%s) / PyTorch: %.2fx, median of the rounds' ratios (medians %.2fs / %.2fs, %d rounds; ratios %.2f to %.2f)\n",
			b.name, median(ratios), median(epoch[i]), median(torch), *perfRounds, slices.Min(ratios), slices.Max(ratios))
	}
	fmt.Printf("cores busy while training (pure Go, user time / wall time, medians): epoch 1 %.2f, epoch 2 %.2f (ranges %.2f-%.2f, %.2f-%.2f; the program's --history); from outside: the second epoch (2-epoch run - 1-epoch run) %.2f, the whole 1-epoch process %.2f\n",
		median(busy1), median(busy2), slices.Min(busy1), slices.Max(busy1), slices.Min(busy2), slices.Max(busy2), median(busyDiff), median(processBusy))

	if *baseline == "" {
		return
	}
	// Time to accuracy against the baseline's default run.
	old := filepath.Join(bin, "mnist-baseline")
	src := t.TempDir()
	archive := exec.Command("sh", "-c", fmt.Sprintf("git -C \"$(git rev-parse --show-toplevel)\" archive %q | tar -x -C %q", *baseline, src))
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", *baseline, err, out)
	}
	build := exec.Command("go", "build", "-o", old, "./cmd/mnist")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of %s: %v\n%s", *baseline, err, out)
	}
	var ours, theirs float64
	var peak int64
	reached := true
	var user, wall float64 // of the epochs of this tree's runs
	for seed := 1; seed <= 3; seed++ {
		history := filepath.Join(bin, "history-default.csv")
		a := timed(t, pure, "--seed", strconv.Itoa(seed), "--quiet", "--history", history)
		for _, row := range readCSV(t, history)[1:] {
			w, err1 := strconv.ParseFloat(row[5], 64)
			u, err2 := strconv.ParseFloat(row[6], 64)
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("%s: %v", history, err)
			}
			user, wall = user+u, wall+w
		}
		b := timed(t, old, "--seed", strconv.Itoa(seed), "--quiet")
		ours, theirs, peak = ours+a.wall, theirs+b.wall, max(peak, a.peakKB)
		reached = reached && a.accuracy >= 0.98
		t.Logf("seed %d: this tree %.4f in %.1fs (%d MB), %s %.4f in %.1fs", seed, a.accuracy, a.wall, a.peakKB>>10, *baseline, b.accuracy, b.wall)
	}
	fmt.Printf("time to accuracy, default run of this tree / of %s, seeds 1-3: %.2fx (%.1fs / %.1fs); every run >= 0.980: %v; peak RSS %d MB; cores busy while training (the runs' epochs, their --history's user_seconds / seconds): %.2f\n",
		*baseline, ours/theirs, ours, theirs, reached, peak>>10, user/wall)
}

// A process is one finished run of a program: its wall and user seconds, peak RSS and printed test accuracy.
type process struct {
	wall, user float64
	peakKB     int64
	accuracy   float64
}

// timed runs a program to its end and measures it; it stops the test if the program fails.
func timed(t *testing.T, bin string, args ...string) process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out.String())
	}
	r := process{wall: time.Since(start).Seconds(), user: cmd.ProcessState.UserTime().Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakKB = ru.Maxrss
	}
	if m := regexp.MustCompile(`(?i)test accuracy:? *([0-9.]+)`).FindStringSubmatch(out.String()); m != nil {
		r.accuracy, _ = strconv.ParseFloat(m[1], 64)
	}
	return r
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// epochCores reads the cores each epoch of a --history file kept busy: user_seconds / seconds.
func epochCores(t *testing.T, path string) []float64 {
	t.Helper()
	var cores []float64
	for _, row := range readCSV(t, path)[1:] {
		wall, err1 := strconv.ParseFloat(row[5], 64)
		user, err2 := strconv.ParseFloat(row[6], 64)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		cores = append(cores, user/wall)
	}
	return cores
}

// epochSeconds reads the seconds of the one epoch in a --history file.
func epochSeconds(t *testing.T, path string) float64 {
	t.Helper()
	rows := readCSV(t, path)
	if len(rows) != 2 {
		t.Fatalf("%s: %d rows, want a header and one epoch", path, len(rows))
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
