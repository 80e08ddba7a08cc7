package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"gorgonet/dataset"
	"gorgonet/train"
)

// mnistBin is the program, built once by TestMain. Other test files of this package should run it
// with runMnist rather than build it again.
var mnistBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mnist-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mnistBin = filepath.Join(dir, "mnist")
	build := append([]string{"build", "-o", mnistBin}, buildTags...)
	if out, err := exec.Command("go", append(build, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runMnist runs the built program in dir (the test's own temporary directory when empty) on the
// bundled MNIST ($MNIST_DIR removed from its environment) and returns stdout, stderr and the exit
// status.
func runMnist(t *testing.T, dir string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(mnistBin, args...)
	if dir == "" {
		dir = t.TempDir()
	}
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, dataset.MNISTDirEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		status = ee.ExitCode()
	default:
		t.Fatalf("running mnist %q: %v", args, err)
	}
	return o.String(), e.String(), status
}

func outputLines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

const numRe = `(\d+\.\d{4})`

// lrRe is the learning rate an epoch line shows when the schedule changes it (the default's does).
const lrRe = `(?:, lr: [0-9.e-]+)?`

var (
	epochWithVal = regexp.MustCompile(`^Epoch (\d+)/2, loss: ` + numRe + `, train acc: ` + numRe + `, val loss: ` + numRe + `, val acc: ` + numRe + lrRe + `, \d+\.\ds$`)
	epochNoVal   = regexp.MustCompile(`^Epoch (\d+)/1, loss: ` + numRe + `, train acc: ` + numRe + lrRe + `, \d+\.\ds$`)
	testAccuracy = regexp.MustCompile(`^Test accuracy: \d\.\d{4}$`)
	timing       = regexp.MustCompile(`, \d+\.\ds$`)
)

// tinyRun is the quick training run of these tests: 1,500 training and 500 validation digits.
var tinyRun = []string{"--train-limit", "2000", "--val-size", "500", "--epochs", "2", "--hidden", "32", "--quiet"}

func withArgs(extra ...string) []string { return append(append([]string(nil), tinyRun...), extra...) }

// The output of a training run: the run line, one line per epoch, the test accuracy last. The same
// command gives the same numbers; --history writes them as CSV.
func TestTrainOutput(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.csv")
	out1, stderr, status := runMnist(t, dir, withArgs("--history", hist)...)
	if status != 0 || stderr != "" {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	lines := outputLines(out1)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (run line, 2 epochs, test accuracy):\n%s", len(lines), out1)
	}
	if !strings.HasPrefix(lines[0], "Training mlp 784-32-10") {
		t.Errorf("first line %q, want it to start with \"Training mlp 784-32-10\"", lines[0])
	}
	if !strings.Contains(lines[0], "data: 1500 train, 500 validation, 10000 test") {
		t.Errorf("first line %q does not give the split 1500/500/10000", lines[0])
	}
	var printed [][]float64 // loss, train acc, val loss, val acc of each epoch
	for i, l := range lines[1:3] {
		m := epochWithVal.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("epoch line %q does not match %s", l, epochWithVal)
		}
		if m[1] != strconv.Itoa(i+1) {
			t.Errorf("epoch line %q: want epoch %d", l, i+1)
		}
		var v []float64
		for _, s := range m[2:] {
			f, _ := strconv.ParseFloat(s, 64)
			v = append(v, f)
		}
		if v[1] > 1 || v[3] > 1 {
			t.Errorf("epoch line %q: accuracies above 1", l)
		}
		printed = append(printed, v)
	}
	if !testAccuracy.MatchString(lines[3]) {
		t.Errorf("last line %q does not match %s", lines[3], testAccuracy)
	}
	if acc, _ := strconv.ParseFloat(strings.TrimPrefix(lines[3], "Test accuracy: "), 64); acc < 0.3 {
		t.Errorf("test accuracy %v after 2 epochs: not learning (chance is 0.1)", acc)
	}

	// The CSV history: exact header, one row per epoch, the numbers the epoch lines print.
	f, err := os.Open(hist)
	if err != nil {
		t.Fatalf("--history: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("history has %d rows, want the header and 2 epochs", len(rows))
	}
	if got := strings.Join(rows[0], ","); got != "epoch,loss,train_acc,val_loss,val_acc,seconds,user_seconds" {
		t.Errorf("history header %q", got)
	}
	for i, row := range rows[1:] {
		if row[0] != strconv.Itoa(i+1) {
			t.Errorf("history row %d: epoch %q", i+1, row[0])
		}
		for j := range 4 {
			v, err := strconv.ParseFloat(row[j+1], 64)
			if err != nil || math.Abs(v-printed[i][j]) > 0.00005+1e-9 {
				t.Errorf("history row %d, %s = %q; the epoch line prints %.4f", i+1, rows[0][j+1], row[j+1], printed[i][j])
			}
		}
	}

	// The same command again prints the same numbers (timings aside).
	out2, _, status := runMnist(t, dir, withArgs("--history", filepath.Join(dir, "h2.csv"))...)
	if status != 0 {
		t.Fatalf("second run: status %d", status)
	}
	strip := func(s string) string {
		var b strings.Builder
		for _, l := range outputLines(s) {
			b.WriteString(timing.ReplaceAllString(l, "") + "\n")
		}
		return b.String()
	}
	if strip(out1) != strip(out2) {
		t.Errorf("two identical runs differ:\n%s\n---\n%s", out1, out2)
	}
	// And another seed gives other numbers.
	out3, _, _ := runMnist(t, dir, withArgs("--seed", "2")...)
	if o1, o3 := outputLines(strip(out1)), outputLines(strip(out3)); len(o3) != 4 || o1[1] == o3[1] {
		t.Errorf("seeds 1 and 2 print the same first epoch:\n%s\n---\n%s", out1, out3)
	}
}

// --report prints the classification report and the confusion matrix of the test set, before the
// test accuracy line, and changes nothing else.
func TestTrainReport(t *testing.T) {
	out, stderr, status := runMnist(t, "", withArgs("--report")...)
	if status != 0 || stderr != "" {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	lines := outputLines(out)
	last := lines[len(lines)-1]
	if !testAccuracy.MatchString(last) {
		t.Fatalf("last line %q does not match %s", last, testAccuracy)
	}
	find := func(re string) int {
		r := regexp.MustCompile(re)
		for i, l := range lines {
			if r.MatchString(l) {
				return i
			}
		}
		t.Errorf("no line matches %s:\n%s", re, out)
		return -1
	}
	header := find(`^\s+precision\s+recall\s+f1-score\s+support$`)
	accuracy := find(`^\s+accuracy\s+\d\.\d{4}\s+10000$`)
	macro := find(`^\s+macro avg(\s+\d\.\d{4}){3}\s+10000$`)
	weighted := find(`^weighted avg(\s+\d\.\d{4}){3}\s+10000$`)
	confusion := find(`^true\\pred(\s+\d){10}$`)
	if t.Failed() {
		return
	}
	if !(header < accuracy && accuracy < macro && macro < weighted && weighted < confusion && confusion+10 < len(lines)-1) {
		t.Errorf("report parts out of order or not before the last line:\n%s", out)
	}
	// The 10 class rows of the report, and the 10 rows of the matrix summing to 10,000.
	classRow := regexp.MustCompile(`^\s+\d(\s+\d\.\d{4}){3}\s+\d+$`)
	for k := range 10 {
		if !classRow.MatchString(lines[header+2+k]) {
			t.Errorf("report row %d: %q", k, lines[header+2+k])
		}
	}
	total := 0
	for k := range 10 {
		f := strings.Fields(lines[confusion+1+k])
		if len(f) != 11 || f[0] != strconv.Itoa(k) {
			t.Fatalf("confusion row %d: %q", k, lines[confusion+1+k])
		}
		for _, s := range f[1:] {
			n, _ := strconv.Atoi(s)
			total += n
		}
	}
	if total != 10000 {
		t.Errorf("the confusion matrix counts %d test samples, want 10000", total)
	}
	// The report's accuracy is the test accuracy.
	acc := strings.Fields(lines[accuracy])[1]
	if want := "Test accuracy: " + acc; last != want {
		t.Errorf("report accuracy %s, last line %q", acc, last)
	}
}

// Without a validation set the epoch lines have no val fields.
func TestTrainNoValidation(t *testing.T) {
	out, stderr, status := runMnist(t, "", "--train-limit", "1000", "--val-size", "0", "--epochs", "1", "--hidden", "16", "--quiet")
	if status != 0 || stderr != "" {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	lines := outputLines(out)
	if len(lines) != 3 || !epochNoVal.MatchString(lines[1]) || !testAccuracy.MatchString(lines[2]) {
		t.Errorf("want a run line, %s and a test accuracy line; got:\n%s", epochNoVal, out)
	}
	if !strings.Contains(lines[0], "data: 1000 train, 0 validation") {
		t.Errorf("run line %q: want 1000 train, 0 validation", lines[0])
	}
}

func TestMnistHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, stderr, status := runMnist(t, "", args...)
		if status != 0 || stderr != "" {
			t.Errorf("mnist %s: status %d, stderr %q", args[0], status, stderr)
		}
		for _, c := range commands() {
			if !regexp.MustCompile(`(?m)^\s+` + c.name + `\s+\S`).MatchString(out) {
				t.Errorf("mnist %s does not list the command %q:\n%s", args[0], c.name, out)
			}
		}
	}

	out, stderr, status := runMnist(t, "", "train", "--help")
	if status != 0 || stderr != "" {
		t.Fatalf("mnist train --help: status %d, stderr %q", status, stderr)
	}
	if n := strings.Count(out, "Usage: mnist train"); n != 1 {
		t.Errorf("the usage is printed %d times, want once", n)
	}
	// Every flag of 'mnist train', with its default when it has one (pflag omits zero defaults).
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	r := train.DefaultRecipe()
	addRecipe(fs, &r)
	var f runFlags
	f.register(fs)
	f.registerOutputs(fs)
	n := 0
	fs.VisitAll(func(fl *pflag.Flag) {
		n++
		re := regexp.MustCompile(`(?m)^\s+--` + regexp.QuoteMeta(fl.Name) + `\b.*$`)
		line := re.FindString(out)
		if line == "" {
			t.Errorf("--help does not list --%s", fl.Name)
			return
		}
		switch fl.DefValue {
		case "", "0", "false":
			return
		}
		want := fl.DefValue
		if fl.Value.Type() == "string" {
			want = strconv.Quote(want)
		}
		if !strings.Contains(line, "(default "+want+")") {
			t.Errorf("--help line %q does not give the default %s", strings.TrimSpace(line), want)
		}
	})
	if n < 18 {
		t.Errorf("only %d flags registered: the test does not see the real flag set", n)
	}
	for _, d := range []string{`--hidden string.*\(default "256"\)`, `--epochs int.*\(default 6\)`, `--optimizer string.*\(default "adam"\)`, `--batch-size int.*\(default 200\)`} {
		if !regexp.MustCompile(d).MatchString(out) {
			t.Errorf("--help does not match %s", d)
		}
	}
}

// Bad flags and arguments, found before any training: exit status 2, nothing on stdout, a first
// stderr line that names the flag, then at most the usage hint; never a panic trace.
func TestTrainUsageErrors(t *testing.T) {
	empty := t.TempDir()
	for _, c := range []struct {
		args []string
		want string // in the first line of stderr
	}{
		{[]string{"--hidden", "128,,64"}, `mnist train: --hidden "128,,64": empty size at position 2`},
		{[]string{"--hidden", "abc"}, `mnist train: --hidden "abc": "abc" is not a whole number`},
		{[]string{"--hidden", "0"}, `mnist train: --hidden "0": size 0 must be between 1 and`},
		{[]string{"--hidden", ""}, `mnist train: --hidden is empty`},
		{[]string{"--dropout", "1"}, `mnist train: --dropout 1: must be between 0 and`},
		{[]string{"--dropout", "-0.1"}, `mnist train: --dropout -0.1: must be between 0 and`},
		{[]string{"--model", "perceptron", "--dropout", "0.5"}, `mnist train: --dropout 0.5: a perceptron has no hidden layer`},
		{[]string{"--epochs", "0"}, `mnist train: --epochs 0: must be between 1 and`},
		{[]string{"--batch-size", "-5"}, `mnist train: --batch-size -5: must be between 1 and`},
		{[]string{"--lr", "abc"}, `mnist train: invalid argument "abc" for "--lr" flag`},
		{[]string{"--lr", "-1"}, `mnist train: --lr -1: must be between 0 and`},
		{[]string{"--l2", "-1"}, `mnist train: --l2 -1: must be between 0 and`},
		{[]string{"--optimizer", "momentum", "--momentum", "0"}, `mnist train: --momentum 0: must be above 0 with Optimizer "momentum"`},
		{[]string{"--momentum", "1"}, `mnist train: --momentum 1: must be between 0 and`},
		{[]string{"--optimizer", "adagrad"}, `mnist train: --optimizer "adagrad": want one of sgd, momentum, adam, rmsprop`},
		{[]string{"--activation", "swish"}, `mnist train: --activation "swish": want one of`},
		{[]string{"--model", "cnn"}, `mnist train: --model "cnn": want perceptron or mlp`},
		{[]string{"--dtype", "float16"}, `mnist train: --dtype "float16": want float32 or float64`},
		{[]string{"--data", "/nonexistent"}, `mnist train: --data: data directory /nonexistent does not exist`},
		{[]string{"--data", empty}, `mnist train: --data: ` + empty + `: no train-images-idx3-ubyte.gz`},
		{[]string{"--history", "/dev/null/dir/h.csv"}, `mnist train: --history /dev/null/dir/h.csv: /dev/null is not a directory`},
		{[]string{"--val-size", "70000"}, `mnist train: --val-size 70000: must be smaller than the 60000 training samples`},
		{[]string{"frobnicate"}, `mnist: unknown command "frobnicate"`},
		{[]string{"--frobnicate"}, `mnist train: unknown flag: --frobnicate`},
		{[]string{"train", "--frobnicate"}, `mnist train: unknown flag: --frobnicate`},
		{[]string{"train", "extra"}, `mnist train: unexpected argument "extra"`},
	} {
		name := "mnist " + strings.Join(c.args, " ")
		stdout, stderr, status := runMnist(t, "", c.args...)
		if status != 2 {
			t.Errorf("%s: exit status %d, want 2 (stderr %q)", name, status, stderr)
		}
		if stdout != "" {
			t.Errorf("%s: wrote to stdout:\n%s", name, stdout)
		}
		lines := outputLines(stderr)
		if !strings.HasPrefix(lines[0], c.want) {
			t.Errorf("%s: first stderr line\n  %q\nwant it to start with\n  %q", name, lines[0], c.want)
		}
		if len(lines) > 2 || (len(lines) == 2 && !strings.Contains(lines[1], "--help")) {
			t.Errorf("%s: stderr is not one line plus the usage hint:\n%s", name, stderr)
		}
		if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
			t.Errorf("%s: panic trace:\n%s", name, stderr)
		}
	}
}

// Failures at run time exit with status 1 and one line naming the cause.
func TestTrainRuntimeErrors(t *testing.T) {
	bundled, err := dataset.BundledDir()
	if err != nil {
		t.Fatal(err)
	}
	// A data directory whose four files exist but whose training images are not an IDX file.
	bad := t.TempDir()
	for _, name := range []string{dataset.TrainLabelsFile, dataset.TestImagesFile, dataset.TestLabelsFile} {
		if err := os.Symlink(filepath.Join(bundled, name), filepath.Join(bad, name)); err != nil {
			t.Fatal(err)
		}
	}
	header := []byte{0x12, 0x34, 0x08, 0x03, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28} // wrong magic
	images := filepath.Join(bad, strings.TrimSuffix(dataset.TrainImagesFile, ".gz"))
	if err := os.WriteFile(images, append(header, make([]byte, 28*28)...), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		args []string
		want []string // in stderr's first line
	}{
		{[]string{"--data", bad, "--quiet"}, []string{"mnist train: ", images, "magic"}},
		// Leaky ReLU and plain SGD at lr 100 blow up within a few steps (plain ReLU units would die
		// first and leave a huge but finite loss).
		{withArgs("--val-size", "0", "--optimizer", "sgd", "--lr", "100", "--activation", "leakyrelu", "--batch-size", "50"),
			[]string{"mnist train: training diverged", "lower learning rate"}},
	} {
		name := "mnist " + strings.Join(c.args, " ")
		_, stderr, status := runMnist(t, "", c.args...)
		if status != 1 {
			t.Errorf("%s: exit status %d, want 1 (stderr %q)", name, status, stderr)
		}
		lines := outputLines(stderr)
		for _, w := range c.want {
			if !strings.Contains(lines[0], w) {
				t.Errorf("%s: first stderr line %q lacks %q", name, lines[0], w)
			}
		}
		if len(lines) != 1 || strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
			t.Errorf("%s: stderr is not one line:\n%s", name, stderr)
		}
	}
}
