package main

// Robustness of the mnist program (issue 9): no bad input crashes it, no failure loses work.
//
// Every case runs the real binary (mnistBin, built by TestMain) and checks the exit status (2 for
// usage errors, found before any work; 1 for failures at run time), that the first stderr line
// says what was wrong and names the flag or file, and that no Go panic or runtime trace appears
// on stdout or stderr.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
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
	"gorgonet/model"
)

// quick makes a valid training run take well under a second: 400 training and 100 validation
// samples, one epoch, 8 hidden units. Flags given after it win.
var quick = []string{"--quiet", "--train-limit", "500", "--val-size", "100", "--epochs", "1", "--hidden", "8"}

func quickWith(extra ...string) []string { return append(append([]string(nil), quick...), extra...) }

// badCase is one command line that must fail (or, with status 0, succeed).
type badCase struct {
	args   []string
	status int      // 0, 1 (runtime) or 2 (usage)
	want   []string // substrings of stderr's first line (of stdout's last line when status is 0)
}

// panicked reports whether s holds a Go panic or fatal-error trace.
func panicked(s string) bool {
	return strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") || strings.Contains(s, "fatal error:")
}

// checkRun checks one run's outcome against c.
func checkRun(t *testing.T, c badCase, stdout, stderr string, status int) {
	t.Helper()
	name := "mnist " + strings.Join(c.args, " ")
	if len(name) > 200 {
		name = name[:200] + "..."
	}
	if panicked(stdout) || panicked(stderr) {
		t.Errorf("%s: panic trace:\n%s\n%s", name, stdout, stderr)
		return
	}
	if status != c.status {
		t.Errorf("%s: exit status %d, want %d\nstderr: %s", name, status, c.status, stderr)
		return
	}
	if c.status == 0 {
		lines := outputLines(stdout)
		if last := lines[len(lines)-1]; !testAccuracy.MatchString(last) {
			t.Errorf("%s: last line %q, want the test accuracy", name, last)
		}
		for _, w := range c.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", name, w, stdout)
			}
		}
		return
	}
	lines := outputLines(stderr)
	first := lines[0]
	if !strings.HasPrefix(first, "mnist") {
		t.Errorf("%s: first stderr line %q does not start with the program's name", name, first)
	}
	for _, w := range c.want {
		if !strings.Contains(first, w) {
			t.Errorf("%s: first stderr line\n  %s\nlacks %q", name, first, w)
		}
	}
	switch c.status {
	case 2: // found before any work: nothing on stdout, one line and the usage hint
		if stdout != "" {
			t.Errorf("%s: a usage error, but stdout has:\n%s", name, stdout)
		}
		if len(lines) > 2 || (len(lines) == 2 && !strings.Contains(lines[1], "--help")) {
			t.Errorf("%s: stderr is not one line and the usage hint:\n%s", name, stderr)
		}
	case 1:
		if len(lines) != 1 {
			t.Errorf("%s: stderr is not one line:\n%s", name, stderr)
		}
	}
}

func runCases(t *testing.T, dir string, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		stdout, stderr, status := runMnist(t, dir, c.args...)
		checkRun(t, c, stdout, stderr, status)
	}
}

// Every numeric flag of 'mnist train' at zero, negative, huge and non-numeric values. Zero is
// valid for some (then the run must succeed); everything else is a usage error naming the flag.
func TestRobustTrainNumericFlags(t *testing.T) {
	valid := map[string]bool{ // flag=value pairs that are allowed
		"dropout=0": true, "l2=0": true, "lr=0": true, "momentum=0": true, "val-size=0": true,
		"train-limit=0": true, "seed=0": true, "patience=0": true, "lr-warmup=0": true,
		"seed=0x7fffffffffffffff": true, // integer flags take Go's base prefixes
	}
	flags := []string{"dropout", "l2", "lr", "momentum", "epochs", "batch-size", "val-size", "train-limit",
		"seed", "patience", "lr-step-every", "lr-step-gamma", "lr-warmup"}
	floats := map[string]bool{"dropout": true, "l2": true, "lr": true, "momentum": true, "lr-step-gamma": true}
	var cases []badCase
	for _, fl := range flags {
		values := []string{"0", "-1", "1e300", "99999999999999999999", "abc", ""}
		if floats[fl] {
			values = append(values, "NaN", "-Inf", "+Inf", "1e-400")
		} else {
			values = append(values, "1.5", "0x7fffffffffffffff")
		}
		for _, v := range values {
			c := badCase{args: quickWith("--" + fl + "=" + v), status: 2, want: []string{"mnist train: ", "--" + fl}}
			if valid[fl+"="+v] || (v == "1e-400" && valid[fl+"=0"]) { // 1e-400 parses as 0
				c.status, c.want = 0, nil
			}
			if fl == "train-limit" && c.status == 0 {
				c.args = append(c.args, "--batch-size", "500") // all 59,900 samples: fewer steps
			}
			cases = append(cases, c)
		}
	}
	// Bounds that depend on other flags.
	cases = append(cases,
		badCase{quickWith("--lr-warmup", "1"), 2, []string{"--lr-warmup 1"}}, // warm-up of every epoch
		badCase{quickWith("--val-size", "500"), 2, []string{"--val-size 500", "500 training samples"}},
		badCase{quickWith("--batch-size", "401"), 0, []string{"data: 400 train"}}, // one batch, with a warning (TestRobustTrainLimitBeyondTheData)
		badCase{quickWith("--val-size", "0", "--patience", "2"), 2, []string{"--patience 2", "--val-size"}},
		badCase{quickWith("--train-limit", "1", "--val-size", "0"), 0, []string{"data: 1 train"}},
		badCase{quickWith("--optimizer", "momentum", "--momentum", "0"), 2, []string{"--momentum 0"}},
	)
	t.Logf("%d numeric flag cases", len(cases))
	runCases(t, "", cases)
}

// Malformed layer lists, unknown names and subcommands.
func TestRobustTrainListsAndNames(t *testing.T) {
	var cases []badCase
	for _, h := range []string{"128,,64", "abc", ",,", ",", "-1", "0", "99999999", "65537", "1.5", "128;64", " , ", "128,64,"} {
		cases = append(cases, badCase{quickWith("--hidden", h), 2, []string{"mnist train: --hidden"}})
	}
	cases = append(cases,
		badCase{quickWith("--hidden", ""), 2, []string{"--hidden is empty"}},
		// Each layer is allowed, together they ask for 4.3 billion weights: refused, not a crash.
		badCase{quickWith("--hidden", "65536,65536"), 2, []string{"784-65536-65536-10", "MaxParams"}},
		badCase{quickWith("--optimizer", "adagrad"), 2, []string{`--optimizer "adagrad"`}},
		badCase{quickWith("--optimizer", ""), 2, []string{`--optimizer ""`}},
		badCase{quickWith("--activation", "swish"), 2, []string{`--activation`, `"swish"`}},
		badCase{quickWith("--activation", "ReLU"), 2, []string{`--activation`, `"ReLU"`}},
		badCase{quickWith("--model", "cnn"), 2, []string{`--model "cnn"`}},
		badCase{quickWith("--model", ""), 2, []string{`--model ""`}},
		badCase{quickWith("--dtype", "float16"), 2, []string{`--dtype "float16"`}},
		badCase{quickWith("--lr-schedule", "exponential"), 2, []string{`--lr-schedule "exponential"`}},
		badCase{[]string{"frobnicate"}, 2, []string{`mnist: unknown command "frobnicate"`}},
		badCase{[]string{"Train"}, 2, []string{`unknown command "Train"`}},
		badCase{[]string{""}, 2, []string{`unknown command ""`}},
		badCase{[]string{"train", "--frobnicate"}, 2, []string{"unknown flag: --frobnicate"}},
		badCase{[]string{"train", "-x"}, 2, []string{"unknown shorthand flag: 'x'"}},
		badCase{[]string{"train", "--epochs"}, 2, []string{"--epochs"}},
		badCase{[]string{"eval", "--frobnicate"}, 2, []string{"mnist eval: unknown flag: --frobnicate"}},
		badCase{[]string{"eval"}, 2, []string{"mnist eval: --model-file FILE is required"}},
		badCase{[]string{"eval", "--model", "m", "extra"}, 2, []string{`unexpected argument "extra"`}},
		badCase{[]string{"predict", "--model", "m"}, 2, []string{"mnist predict: no image given"}},
		badCase{[]string{"graph", "--format", "svg"}, 2, []string{`--format "svg"`}},
		badCase{[]string{"graph", "--hidden", "65536,65536"}, 2, []string{"MaxParams"}},
		badCase{[]string{"sweep"}, 2, []string{"nothing to sweep"}},
		badCase{[]string{"sweep", "--replicas", "0"}, 2, []string{"mnist sweep: --replicas 0: must be between 1 and 256"}},
		badCase{[]string{"sweep", "--batch-size", "0"}, 2, []string{"mnist sweep: --batch-size 0: must be between 1 and"}},
		badCase{[]string{"train", "--replicas", "257"}, 2, []string{"mnist train: --replicas 257: must be between 1 and 256"}},
		badCase{[]string{"sweep", "--lr", "0.1,,0.2"}, 2, []string{"mnist sweep: --lr"}},
		badCase{[]string{"sweep", "--lr", "0.1,abc"}, 2, []string{`--lr "abc"`}},
		badCase{[]string{"sweep", "--hidden", "64,128::64"}, 2, []string{"--hidden"}},
		badCase{[]string{"sweep", "--optimizer", "sgd,adagrad"}, 2, []string{`--optimizer "adagrad"`}},
		badCase{[]string{"sweep", "--lr", "0.1,0.2", "--trials", "-1"}, 2, []string{"--trials -1"}},
		badCase{[]string{"sweep", "--lr", "0.1,0.2", "--val-size", "0"}, 2, []string{"--val-size 0"}},
		badCase{[]string{"sweep", "--lr", "0.1,0.2", "--resume"}, 2, []string{"--resume needs --out"}},
		// Three lists of 200 values: 8 million combinations, refused before they are built.
		badCase{[]string{"sweep", "--lr", numList(200), "--l2", numList(200), "--seed", intList(200), "--trials", "2"}, 2,
			[]string{"mnist sweep: the grid", "combinations"}},
	)
	t.Logf("%d list and name cases", len(cases))
	runCases(t, "", cases)
}

func numList(n int) string {
	v := make([]string, n)
	for i := range v {
		v[i] = strconv.FormatFloat(float64(i+1)/1000, 'g', -1, 64)
	}
	return strings.Join(v, ",")
}

func intList(n int) string {
	v := make([]string, n)
	for i := range v {
		v[i] = strconv.Itoa(i + 1)
	}
	return strings.Join(v, ",")
}

// IDX test data: small files built here, gzip-compressed unless raw.

func idxBytes(typ byte, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// imageFiles returns an images and a labels IDX file of n side x side images whose labels cycle
// through 0-9.
func imageFiles(n, side int) (images, labels []byte) {
	pix := make([]byte, n*side*side)
	rng := rand.New(rand.NewPCG(uint64(n), uint64(side)))
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	lab := make([]byte, n)
	for i := range lab {
		lab[i] = uint8(i % 10)
	}
	return idxBytes(dataset.TypeUint8, []uint32{uint32(n), uint32(side), uint32(side)}, pix),
		idxBytes(dataset.TypeUint8, []uint32{uint32(n)}, lab)
}

// dataDir writes the four MNIST files (200 training and 50 test images of side x side,
// gzip-compressed) into a new directory, applies change to the file contents (keyed by file
// name; a nil value leaves the file out) and returns the directory.
func dataDir(t *testing.T, side int, change func(files map[string][]byte)) string {
	t.Helper()
	files := map[string][]byte{}
	ti, tl := imageFiles(200, side)
	si, sl := imageFiles(50, side)
	files[dataset.TrainImagesFile], files[dataset.TrainLabelsFile] = gzipped(t, ti), gzipped(t, tl)
	files[dataset.TestImagesFile], files[dataset.TestLabelsFile] = gzipped(t, si), gzipped(t, sl)
	if change != nil {
		change(files)
	}
	dir := t.TempDir()
	for name, b := range files {
		if b == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A --data directory that is missing, empty or holds broken files: a usage error when the
// directory or a file is missing, a runtime error naming the file when a file's content is
// wrong. 32x32 images are valid IDX data: the input layer is sized from the data, so training on
// them works (1024 inputs); a model trained on them is refused by eval on 28x28 data and by
// predict, whose images are prepared at 28x28.
func TestRobustDataDirectory(t *testing.T) {
	tmp := t.TempDir()
	aFile := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(aFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	trainImages := dataset.TrainImagesFile
	raw := strings.TrimSuffix(trainImages, ".gz")
	set := func(name string, b []byte) func(map[string][]byte) {
		return func(f map[string][]byte) { f[name] = b }
	}
	ti, tl := imageFiles(200, 28)
	images32, _ := imageFiles(200, 32)
	flip := func(b []byte, from int) []byte {
		b = bytes.Clone(b)
		for i := from; i < len(b)-8; i += 7 {
			b[i] ^= 0x5a
		}
		return b
	}
	wrongMagic := bytes.Clone(ti)
	wrongMagic[0], wrongMagic[1] = 0x12, 0x34
	lab10 := bytes.Clone(tl)
	lab10[17] = 10
	gzTI := gzipped(t, ti)
	badCRC := bytes.Clone(gzTI)
	badCRC[len(badCRC)-6] ^= 0xff
	hugeHeader := idxBytes(dataset.TypeUint8, []uint32{1 << 31, 28, 28}, nil)

	dirs := []struct {
		name   string
		dir    string
		status int
		want   []string
	}{
		{"missing directory", filepath.Join(tmp, "missing"), 2, []string{"--data", "does not exist"}},
		{"a file", aFile, 2, []string{"--data", aFile, "not a directory"}},
		{"empty directory", t.TempDir(), 2, []string{"--data", "no " + trainImages}},
		{"no test labels", dataDir(t, 28, set(dataset.TestLabelsFile, nil)), 2, []string{"--data", "no " + dataset.TestLabelsFile}},
		{"truncated gzip", dataDir(t, 28, set(trainImages, gzTI[:len(gzTI)/2])), 1, []string{trainImages, "unexpected EOF"}},
		{"gzip header only", dataDir(t, 28, set(trainImages, gzTI[:10])), 1, []string{trainImages}},
		// Bytes flipped in the compressed stream's second half: the header decompresses, the
		// rest does not. (Flipped near the start, the garbage it decompresses to fails the IDX
		// checks instead: also one line naming the file.)
		{"corrupted gzip bytes", dataDir(t, 28, set(trainImages, flip(gzTI, len(gzTI)/2))), 1, []string{trainImages, "gzip"}},
		{"corrupted gzip start", dataDir(t, 28, set(trainImages, flip(gzTI, 20))), 1, []string{trainImages, "idx: "}},
		{"gzip checksum", dataDir(t, 28, set(trainImages, badCRC)), 1, []string{trainImages, "checksum"}},
		{"empty file", dataDir(t, 28, set(trainImages, []byte{})), 1, []string{trainImages, "too short"}},
		{"wrong magic, gzip", dataDir(t, 28, set(trainImages, gzipped(t, wrongMagic))), 1, []string{trainImages, "magic"}},
		{"wrong magic, raw", dataDir(t, 28, func(f map[string][]byte) { f[trainImages] = nil; f[raw] = wrongMagic }), 1, []string{raw, "magic"}},
		{"float32 elements", dataDir(t, 28, set(trainImages, idxBytes(dataset.TypeFloat32, []uint32{1}, make([]byte, 4)))), 1, []string{trainImages, "element type"}},
		{"header announces 2^31 images", dataDir(t, 28, set(trainImages, hugeHeader)), 1, []string{trainImages, "dimension"}},
		{"truncated payload", dataDir(t, 28, set(trainImages, gzipped(t, ti[:len(ti)-100]))), 1, []string{trainImages, "truncated payload"}},
		{"trailing data", dataDir(t, 28, set(trainImages, gzipped(t, append(bytes.Clone(ti), 1, 2, 3)))), 1, []string{trainImages, "trailing data"}},
		{"labels as images", dataDir(t, 28, set(trainImages, gzipped(t, tl))), 1, []string{"train images", "3 dimensions"}},
		{"200 images, 199 labels", dataDir(t, 28, set(dataset.TrainLabelsFile, gzipped(t, tl[:len(tl)-1]))), 1, []string{"mnist train: ", "truncated payload"}},
		{"200 images, 150 labels", dataDir(t, 28, set(dataset.TrainLabelsFile, gzipped(t, idxBytes(dataset.TypeUint8, []uint32{150}, tl[8:158])))), 1, []string{"200 images but 150 labels"}},
		{"label 10", dataDir(t, 28, set(dataset.TrainLabelsFile, gzipped(t, lab10))), 1, []string{"label 10", "out of range"}},
		{"no samples", dataDir(t, 28, func(f map[string][]byte) {
			f[trainImages] = gzipped(t, idxBytes(dataset.TypeUint8, []uint32{0, 28, 28}, nil))
			f[dataset.TrainLabelsFile] = gzipped(t, idxBytes(dataset.TypeUint8, []uint32{0}, nil))
		}), 1, []string{"no samples"}},
		{"0x0 images", dataDir(t, 28, set(trainImages, gzipped(t, idxBytes(dataset.TypeUint8, []uint32{200, 0, 0}, nil)))), 1, []string{"empty image size"}},
		{"32x32 train, 28x28 test", dataDir(t, 28, set(trainImages, gzipped(t, images32))), 1, []string{"32x32", "28x28"}},
		{"a directory as a file", dataDir(t, 28, set(trainImages, nil)), 1, []string{trainImages, "is a directory"}},
	}
	// The last one: replace the file by a directory.
	last := dirs[len(dirs)-1].dir
	if err := os.Mkdir(filepath.Join(last, trainImages), 0o755); err != nil {
		t.Fatal(err)
	}

	var cases []badCase
	for _, d := range dirs {
		cases = append(cases, badCase{quickWith("--data", d.dir), d.status, d.want})
	}
	// eval reads only the test files: a broken test file, and the directory errors again.
	net, err := model.New(model.MLP(784, []int{8}, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	m784 := filepath.Join(tmp, "784.model")
	if err := model.Save(m784, model.Saved{Net: net}); err != nil {
		t.Fatal(err)
	}
	si, _ := imageFiles(50, 28)
	cases = append(cases,
		badCase{[]string{"eval", "--model", m784, "--data", filepath.Join(tmp, "missing")}, 2, []string{"mnist eval: --data", "does not exist"}},
		badCase{[]string{"eval", "--model", m784, "--data", dataDir(t, 28, set(dataset.TestImagesFile, gzipped(t, si[:300])))}, 1, []string{dataset.TestImagesFile, "truncated"}},
	)
	t.Logf("%d data directory cases", len(cases))
	runCases(t, "", cases)

	// 32x32 images everywhere: training works with 1024 inputs; the model it saves is refused,
	// with a clear error, by eval on 28x28 MNIST and by predict.
	dir := t.TempDir()
	d32 := dataDir(t, 32, nil)
	m32 := filepath.Join(dir, "32.model")
	stdout, stderr, status := runMnist(t, dir, quickWith("--data", d32, "--save", m32)...)
	checkRun(t, badCase{args: []string{"--data", d32}, want: []string{"Training mlp 1024-8-10", "data: 100 train, 100 validation, 50 test"}}, stdout, stderr, status)
	runCases(t, dir, []badCase{
		{[]string{"eval", "--model", m32, "--data", d32}, 0, nil},
		// eval reads the model's own data by default (the file records it); on MNIST it refuses.
		{[]string{"eval", "--model", m32}, 0, nil},
		{[]string{"eval", "--model", m32, "--dataset", "mnist"}, 1, []string{"784 features", "the model takes 1024"}},
		{[]string{"eval", "--model", m784, "--data", d32}, 1, []string{"1024 features", "the model takes 784"}},
		{[]string{"predict", "--model", m32, absPath(t, "testdata/digit2.png")}, 1, []string{m32, "1024 inputs"}},
	})
}

// A --train-limit beyond the training samples, or a batch larger than them, is odd, not wrong:
// one warning each, and all samples are used (in one batch).
func TestRobustTrainLimitBeyondTheData(t *testing.T) {
	stdout, stderr, status := runMnist(t, "", "train", "--data", dataDir(t, 28, nil), "--train-limit", "500", "--val-size", "50",
		"--epochs", "1", "--hidden", "8", "--quiet", "--batch-size", "500")
	if status != 0 || stderr != "mnist train: warning: --train-limit 500: the training set holds only 200 samples; all of them are used\n"+
		"mnist train: warning: --batch-size 500: larger than the 150 training samples; each epoch is one batch of them all\n" ||
		!strings.Contains(stdout, "data: 150 train, 50 validation") || !strings.Contains(stdout, "Epoch 1/1, loss: ") {
		t.Errorf("status %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
}

// A --resume of a sweep whose --out file is not this sweep's CSV, and a $MNIST_DIR that is wrong:
// status 1 and one line naming the file or the variable.
func TestRobustSweepOutAndEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sweep := func(out string) []string {
		return []string{"sweep", "--lr", "0.1,0.2", "--train-limit", "500", "--val-size", "100", "--epochs", "1", "--resume", "--out", out}
	}
	header := "lr,best_val_acc,best_epoch,epochs,seconds\n"
	other := write("other.csv", "a,b\n1,2\n")
	notNum := write("notnum.csv", header+"0.1,x,1,1,1\n")
	quote := write("quote.csv", "\"unterminated\n")
	png := write("png.csv", "\x89PNG\r\n\x1a\n\x00\x00")
	runCases(t, dir, []badCase{
		{sweep(other), 1, []string{"mnist sweep: --out " + other, "columns"}},
		{sweep(notNum), 1, []string{"--out " + notNum, "row 2"}},
		{sweep(quote), 1, []string{"--out " + quote}},
		{sweep(png), 1, []string{"--out " + png}},
	})

	for _, env := range []string{filepath.Join(dir, "missing"), other} {
		cmd := exec.Command(mnistBin, quick...)
		cmd.Env = append(os.Environ(), dataset.MNISTDirEnv+"="+env)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		cmd.Run()
		checkRun(t, badCase{quick, 1, []string{"$" + dataset.MNISTDirEnv, env}}, o.String(), e.String(), cmd.ProcessState.ExitCode())
	}
}

// wrapModel puts body in a model file envelope with a valid checksum, so the loader gets past
// the checksum to decode it.
func wrapModel(body []byte, version uint32) []byte {
	b := append([]byte("gorgonet-model\n"), binary.BigEndian.AppendUint32(nil, version)...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(body)))
	b = append(b, body...)
	sum := sha256.Sum256(body)
	return append(b, sum[:]...)
}

// craftedPayload is the model file's gob payload, spelled out here to craft files a program
// would never write (gob matches fields by name).
type craftedPayload struct {
	Network model.NetworkSpec
	Weights []craftedTensor
	Meta    map[string]string
	Extra   map[string][]byte
}

type craftedTensor struct {
	Name   string
	Tensor model.TensorData
}

func gobBytes(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Model files that are empty, truncated, from another program, with flipped bytes, of a newer
// format version, or valid files of models that do not fit MNIST: eval and predict refuse each
// with one line naming the file (status 1; 2 for a missing file), and --resume refuses them too.
func TestRobustModelFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	saveNet := func(name string, cfg model.Config) string {
		net, err := model.New(cfg, rand.New(rand.NewPCG(1, 0)))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := model.Save(p, model.Saved{Net: net}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := saveNet("good.model", model.MLP(784, []int{8}, 10))
	valid, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile("testdata/digit2.png")
	if err != nil {
		t.Fatal(err)
	}
	digit2 := absPath(t, "testdata/digit2.png") // the runs' working directory is dir
	flipped := func(off int) []byte { b := bytes.Clone(valid); b[off] ^= 0x10; return b }
	versioned := func(v uint32) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint32(b[15:], v)
		return b
	}
	net, _ := model.New(model.MLP(784, []int{8}, 10), rand.New(rand.NewPCG(1, 0)))
	spec, _ := net.Spec()
	shapes := craftedPayload{Network: spec}
	for _, p := range net.Params() {
		shapes.Weights = append(shapes.Weights, craftedTensor{p.Name, model.TensorDataOf(p.Value)})
	}
	shapes.Weights[0].Tensor.Shape = []int{8, 784} // transposed
	huge := craftedPayload{Network: spec}          // 784-65536-10 announced, no weights stored
	huge.Network.Layers = append([]model.LayerSpec(nil), spec.Layers...)
	huge.Network.Layers[0].Attrs = []byte(`{"in":784,"out":65536,"init":"he"}`)
	huge.Network.Layers[2].Attrs = []byte(`{"in":65536,"out":10,"init":"glorot"}`)
	// A network of a layer kind this program does not know (a user's own, saved by their program).
	unknown := craftedPayload{Network: spec, Weights: shapes.Weights}
	unknown.Network.Layers = append([]model.LayerSpec(nil), spec.Layers...)
	unknown.Network.Layers[1] = model.LayerSpec{Kind: "activation", Attrs: []byte(`{"activation":"gelu"}`)}
	// A diverged model's weights, which no gorgonet program writes.
	nan := craftedPayload{Network: spec}
	for _, w := range shapes.Weights {
		w.Tensor.F32 = slices.Clone(w.Tensor.F32)
		nan.Weights = append(nan.Weights, w)
	}
	nan.Weights[0].Tensor.Shape = []int{784, 8}
	nan.Weights[0].Tensor.F32[5] = float32(math.NaN())

	files := []struct {
		name   string
		path   string
		status int
		want   []string
	}{
		{"missing", filepath.Join(dir, "missing.model"), 2, []string{"no such file"}},
		{"empty", write("empty.model", nil), 1, []string{"it is empty"}},
		{"truncated header", write("cut-header.model", valid[:20]), 1, []string{"truncated"}},
		{"truncated payload", write("cut.model", valid[:len(valid)/2]), 1, []string{"truncated"}},
		{"truncated checksum", write("cut-sum.model", valid[:len(valid)-3]), 1, []string{"truncated"}},
		{"a PNG", write("digit.png.model", png), 1, []string{"not a gorgonet model file"}},
		{"Go source", write("source.model", []byte("package main\n")), 1, []string{"not a gorgonet model file"}},
		{"a bare gob", write("gob.model", gobBytes(t, map[string]int{"weights": 1})), 1, []string{"not a gorgonet model file"}},
		{"another gob behind the checksum", write("othergob.model", wrapModel(gobBytes(t, []string{"not", "a", "model"}), model.FormatVersion)), 1, []string{"corrupt"}},
		{"flipped magic", write("flip-magic.model", flipped(2)), 1, []string{"wrong magic"}},
		{"flipped payload", write("flip-payload.model", flipped(len(valid)/2)), 1, []string{"checksum mismatch"}},
		{"flipped checksum", write("flip-sum.model", flipped(len(valid)-1)), 1, []string{"checksum mismatch"}},
		{"newer version", write("v2.model", versioned(model.FormatVersion+1)), 1, []string{"newer than this program's"}},
		{"version 0", write("v0.model", versioned(0)), 1, []string{"version 0"}},
		{"trailing bytes", write("trailing.model", append(bytes.Clone(valid), "more"...)), 1, []string{"data after the checksum"}},
		{"transposed weights", write("shapes.model", wrapModel(gobBytes(t, shapes), model.FormatVersion)), 1, []string{"weights do not match", "hidden1.W"}},
		{"huge config, no weights", write("huge.model", wrapModel(gobBytes(t, huge), model.FormatVersion)), 1, []string{"more than the 0 values the file holds"}},
		{"an unregistered activation", write("gelu.model", wrapModel(gobBytes(t, unknown), model.FormatVersion)), 1, []string{`unknown activation "gelu"`, "model.RegisterActivation"}},
		{"the older format", write("v1.model", versioned(1)), 1, []string{"version 1", "older gorgonet"}},
		{"NaN weights", write("nan.model", wrapModel(gobBytes(t, nan), model.FormatVersion)), 1, []string{"hidden1.W holds NaN at index 5", "diverged"}},
		{"a directory", dir, 1, []string{"is a directory"}},
	}
	var cases []badCase
	for _, f := range files {
		want := append([]string{f.path}, f.want...)
		cases = append(cases,
			badCase{[]string{"eval", "--model", f.path}, f.status, append([]string{"mnist eval: "}, want...)},
			badCase{[]string{"predict", "--model", f.path, digit2}, f.status, append([]string{"mnist predict: "}, want...)},
		)
		if f.status == 1 { // (flags other than --epochs, --quiet and outputs cannot change on --resume)
			cases = append(cases, badCase{[]string{"--resume", f.path, "--quiet"}, 1, append([]string{"mnist train: --resume"}, f.want...)})
		}
	}
	// Valid files of models that do not fit: 2 outputs (a panic in eval before the fix), one
	// sigmoid output, 32x32 inputs. And a model file where a checkpoint is needed.
	two := saveNet("two.model", model.Perceptron(784, 2))
	one := saveNet("one.model", model.Perceptron(784, 1))
	cases = append(cases,
		badCase{[]string{"eval", "--model", two}, 1, []string{"mnist eval: ", "label", "classes 0-1"}},
		badCase{[]string{"predict", "--model", two, digit2}, 1, []string{two, "2 outputs"}},
		badCase{[]string{"eval", "--model", one}, 1, []string{"classes 0-1"}},
		badCase{[]string{"predict", "--model", one, digit2}, 1, []string{one, "1 outputs"}},
		badCase{[]string{"--resume", good, "--quiet"}, 1, []string{"--resume", good, "not a checkpoint"}},
	)
	t.Logf("%d model file cases", len(cases))
	for _, c := range cases {
		stdout, stderr, status := runMnist(t, dir, c.args...)
		if c.args[0] == "eval" && status == 1 {
			// eval may have printed the model line before the failure; nothing else.
			if lines := outputLines(stdout); stdout != "" && (len(lines) > 2 || !strings.HasPrefix(lines[0], "Model ")) {
				t.Errorf("mnist %s: stdout %q", strings.Join(c.args, " "), stdout)
			}
			stdout = ""
		}
		checkRun(t, c, stdout, stderr, status)
	}
}

// Output paths that cannot be written are refused with status 2 before any training: nothing on
// stdout, no "Epoch" line. As root a read-only directory is still writable, so the unwritable
// places are a path under a regular file (its "directory" is a file), a missing directory, an
// existing directory as the file (the final rename would fail after training), and /proc, where
// even root cannot create files (on systems without /proc it is a missing directory: status 2
// all the same).
func TestRobustOutputPaths(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "regular-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	existingDir := filepath.Join(tmp, "a-dir")
	if err := os.Mkdir(existingDir, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(tmp, "a-pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := []struct{ path, want string }{
		{filepath.Join(file, "out"), "is not a directory"},
		{filepath.Join(file, "deeper", "out"), "is not a directory"},
		{existingDir, "is a directory"},
		{"/proc/gorgonet-out", ""},
		{"/dev/null", "is a device, not a regular file: saving would replace it"},
		{fifo, "is a named pipe, not a regular file: saving would replace it"},
	}
	var cases []badCase
	for _, b := range bad {
		want := func(flag string) []string { return []string{"--" + flag + " " + b.path, b.want} }
		for _, flag := range []string{"history", "save", "checkpoint"} {
			cases = append(cases, badCase{quickWith("--"+flag, b.path), 2, append([]string{"mnist train: "}, want(flag)...)})
		}
		for _, flag := range []string{"out", "save-best"} {
			cases = append(cases, badCase{[]string{"sweep", "--lr", "0.1,0.2", "--train-limit", "500", "--val-size", "100", "--epochs", "1", "--" + flag, b.path},
				2, append([]string{"mnist sweep: "}, want(flag)...)})
		}
	}
	// --save in a good place, but its default checkpoint (FILE.ckpt) is a directory.
	if err := os.Mkdir(filepath.Join(tmp, "m.ckpt"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases = append(cases,
		badCase{quickWith("--save", filepath.Join(tmp, "m")), 2, []string{"--checkpoint " + filepath.Join(tmp, "m.ckpt"), "is a directory"}},
		badCase{quickWith("--plot-dir", filepath.Join(file, "sub")), 2, []string{"--plot-dir", file}},
		badCase{quickWith("--plot-dir", file), 2, []string{"--plot-dir", file}},
		badCase{[]string{"eval", "--model", "x", "--plot-dir", file}, 2, []string{"--plot-dir", file}},
		// Two outputs in one file: the later would silently replace the earlier.
		badCase{append(quickWith("--save", file), "--history", tmp+"/./regular-file"), 2, []string{"--save " + file + ": the same file as --history"}},
		badCase{append(quickWith("--save", filepath.Join(tmp, "m2")), "--cpuprofile", filepath.Join(tmp, "m2.ckpt")), 2, []string{"--cpuprofile " + filepath.Join(tmp, "m2.ckpt") + ": the same file as --checkpoint"}},
		badCase{[]string{"sweep", "--lr", "0.1,0.2", "--out", file, "--save-best", file}, 2, []string{"--save-best " + file + ": the same file as --out"}},
		badCase{[]string{"export", "--model-file", file, "--out", file}, 2, []string{"--out " + file + ": the same file as --model-file"}},
	)
	t.Logf("%d output path cases", len(cases))
	for _, c := range cases {
		start := time.Now()
		stdout, stderr, status := runMnist(t, "", c.args...)
		checkRun(t, c, stdout, stderr, status)
		if strings.Contains(stdout, "Epoch") || strings.Contains(stdout, "trial") {
			t.Errorf("mnist %s: training started before the output path was refused", strings.Join(c.args, " "))
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("mnist %s: refused after %v", strings.Join(c.args, " "), d)
		}
	}
	if entries, _ := os.ReadDir(existingDir); len(entries) != 0 {
		t.Errorf("the refused runs left %d files in %s", len(entries), existingDir)
	}
}

// predict reports each image that is not one on its own line and goes on with the others; the
// status is 1 when any failed.
func TestRobustPredictImages(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.model")
	net, err := model.New(model.MLP(784, []int{8}, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Save(good, model.Saved{Net: net}); err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join("testdata", "digit2.png"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badImages := []string{
		write("notes.txt", []byte("this is not an image\n")),
		write("empty.png", nil),
		write("cut.png", png[:len(png)/2]),
		write("model.png", func() []byte { b, _ := os.ReadFile(good); return b }()),
		write("header.gif", []byte("GIF89a\xff\xff\xff\xff")), // 65535x65535 announced
		filepath.Join(dir, "missing.png"),
		dir, // a directory
	}
	goodImages := []string{absPath(t, "testdata/digit2.png"), absPath(t, "testdata/digit7.png")}
	args := []string{"predict", "--model", good, goodImages[0]}
	args = append(append(args, badImages...), goodImages[1])
	stdout, stderr, status := runMnist(t, "", args...)
	if panicked(stdout) || panicked(stderr) {
		t.Fatalf("panic trace:\n%s\n%s", stdout, stderr)
	}
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	out := outputLines(stdout)
	if len(out) != 2 || !strings.HasPrefix(out[0], goodImages[0]+": ") || !strings.HasPrefix(out[1], goodImages[1]+": ") {
		t.Errorf("stdout should have the two good images' predictions, in order:\n%s", stdout)
	}
	errs := outputLines(stderr)
	if len(errs) != len(badImages) {
		t.Fatalf("%d stderr lines for %d bad images:\n%s", len(errs), len(badImages), stderr)
	}
	for i, p := range badImages {
		if !strings.HasPrefix(errs[i], "mnist predict: "+p+": ") {
			t.Errorf("stderr line %d %q does not name %s", i+1, errs[i], p)
		}
	}
	t.Logf("%d bad images", len(badImages))
}

// divergeArgs make leaky ReLU units with plain SGD overflow: the loss becomes NaN. (Plain ReLU
// units would die first and leave a huge but finite loss.)
func divergeArgs(lr string, extra ...string) []string {
	return append([]string{"--quiet", "--train-limit", "1000", "--val-size", "0", "--hidden", "16", "--dropout", "0",
		"--optimizer", "sgd", "--activation", "leakyrelu", "--batch-size", "50", "--lr", lr}, extra...)
}

// divergedRe matches both kinds of divergence: a loss at a batch, and what is not finite after an
// epoch's last update. The epoch is group 2 or 4, the batch group 3 (empty for the second kind).
var divergedRe = regexp.MustCompile(`^mnist train: training diverged(: the loss is (?:NaN|\+Inf|-Inf) at epoch (\d+), batch (\d+)| in epoch (\d+): [^;]+); try a lower learning rate`)

// divergedEpoch returns the epoch of a divergence message matched by divergedRe.
func divergedEpoch(m []string) string { return m[2] + m[4] }

// A learning rate that makes the loss NaN stops the run with status 1 and one line giving the
// epoch, the batch and the advice, and any earlier checkpoint survives.
//
// The learning rate cannot change on --resume, so a diverging run cannot continue a good one.
// Two runs show the checkpoint is kept: (1) a valid checkpoint from a normal run sits at the
// --checkpoint path before a run that diverges in its first epoch, which therefore never writes
// it: the file must be byte-identical afterwards; (2) at lr 20 the run finishes epoch 1 (huge
// but finite loss) and diverges in epoch 2: the checkpoint it wrote after epoch 1 must still be
// there and hold that epoch. Where (2) diverges is read from the message, so a platform whose
// arithmetic diverges earlier still checks what applies.
func TestRobustDivergence(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run.ckpt")
	_, stderr, status := runMnist(t, dir, "--quiet", "--train-limit", "1000", "--val-size", "200", "--epochs", "1", "--hidden", "16", "--checkpoint", ckpt)
	if status != 0 {
		t.Fatalf("the run making the checkpoint: status %d, %s", status, stderr)
	}
	before, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}

	stdout, stderr, status := runMnist(t, dir, divergeArgs("100", "--epochs", "3", "--checkpoint", ckpt)...)
	m := divergedRe.FindStringSubmatch(stderr)
	if status != 1 || m == nil || divergedEpoch(m) != "1" || len(outputLines(stderr)) != 1 || panicked(stderr) {
		t.Fatalf("lr 100: status %d, stderr %q; want status 1 and one line: diverged at epoch 1, batch N, advice", status, stderr)
	}
	if strings.Contains(stdout, "Epoch") || strings.Contains(stdout, "Test accuracy") {
		t.Errorf("lr 100: stdout goes on after the divergence:\n%s", stdout)
	}
	after, err := os.ReadFile(ckpt)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the checkpoint at %s changed (err %v): %d bytes before, %d after", ckpt, err, len(before), len(after))
	}
	if _, err := model.Load(ckpt); err != nil {
		t.Errorf("the checkpoint no longer loads: %v", err)
	}

	save := filepath.Join(dir, "m.model")
	_, stderr, status = runMnist(t, dir, divergeArgs("20", "--epochs", "4", "--save", save)...)
	m = divergedRe.FindStringSubmatch(stderr)
	if status != 1 || m == nil {
		t.Fatalf("lr 20: status %d, stderr %q; want status 1 and the divergence message", status, stderr)
	}
	if _, err := os.Stat(save); err == nil {
		t.Errorf("a diverged run saved %s", save)
	}
	epoch, _ := strconv.Atoi(divergedEpoch(m))
	if epoch == 1 {
		t.Logf("lr 20 diverged in epoch 1 on this platform: no checkpoint to keep")
		return
	}
	saved, err := model.Load(save + ".ckpt")
	if err != nil {
		t.Fatalf("diverged in epoch %d, but the checkpoint of epoch %d is not there: %v", epoch, epoch-1, err)
	}
	if got := saved.Meta["epochs"]; got != strconv.Itoa(epoch-1) {
		t.Errorf("the checkpoint holds %s epochs, want %d", got, epoch-1)
	}
	t.Logf("lr 20 diverged in epoch %d, batch %s; the checkpoint of epoch %d was kept", epoch, m[3], epoch-1)
	// eval reads it as a model; where its outputs are already infinite it refuses to report an
	// accuracy, in one line.
	_, stderr, status = runMnist(t, dir, "eval", "--model", save+".ckpt")
	if panicked(stderr) || status != 0 && (status != 1 || !strings.Contains(stderr, "diverged") || len(outputLines(stderr)) != 1) {
		t.Errorf("eval of the kept checkpoint: status %d, %s", status, stderr)
	}
}

// startMnist starts the program with its stdout piped for reading line by line.
func startMnist(t *testing.T, dir string, args ...string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(mnistBin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, dataset.MNISTDirEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewScanner(out), &stderr
}

var interruptedRe = regexp.MustCompile(`^mnist train: interrupted by SIGINT \(Ctrl-C\) after (\d+) finished epochs?; checkpoint saved to (\S+); continue with: mnist train --resume (\S+) --epochs 50$`)

// SIGINT during training: status 130, a message saying how to resume, the checkpoint of the last
// finished epoch on disk, and the command it gives continues the run to the end.
func TestRobustSignalInterrupt(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run.ckpt")
	cmd, lines, stderr := startMnist(t, dir, "train", "--quiet", "--train-limit", "20000", "--val-size", "1000", "--epochs", "50", "--hidden", "64", "--checkpoint", ckpt)
	var stdout strings.Builder
	signalled := false
	for lines.Scan() {
		stdout.WriteString(lines.Text() + "\n")
		if !signalled && strings.HasPrefix(lines.Text(), "Epoch 1/50") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	err := cmd.Wait()
	if !signalled {
		t.Fatalf("no epoch line:\n%s\n%s", stdout.String(), stderr)
	}
	if cmd.ProcessState.ExitCode() != 130 {
		t.Fatalf("exit status %d (%v), want 130\nstderr: %s", cmd.ProcessState.ExitCode(), err, stderr)
	}
	msg := strings.TrimSuffix(stderr.String(), "\n")
	m := interruptedRe.FindStringSubmatch(msg)
	if m == nil || m[2] != ckpt || m[3] != ckpt || panicked(msg) {
		t.Fatalf("stderr %q does not match %s", msg, interruptedRe)
	}
	done, _ := strconv.Atoi(m[1])
	if done < 1 || strings.Count(stdout.String(), "Epoch ") != done {
		t.Errorf("%d finished epochs in the message, stdout:\n%s", done, stdout.String())
	}
	saved, err := model.Load(ckpt)
	if err != nil {
		t.Fatalf("the checkpoint: %v", err)
	}
	if saved.Meta["epochs"] != m[1] {
		t.Errorf("the checkpoint holds %s epochs, the message says %s", saved.Meta["epochs"], m[1])
	}
	// Resume to two epochs more than were done.
	out, errOut, status := runMnist(t, dir, "train", "--resume", ckpt, "--epochs", strconv.Itoa(done+2), "--quiet")
	if status != 0 || errOut != "" {
		t.Fatalf("resume: status %d, stderr %q", status, errOut)
	}
	res := outputLines(out)
	if !testAccuracy.MatchString(res[len(res)-1]) || !strings.Contains(out, fmt.Sprintf("Epoch %d/%d", done+2, done+2)) {
		t.Errorf("the resumed run does not train to epoch %d and end with the test accuracy:\n%s", done+2, out)
	}
}

// SIGTERM before the first epoch finished: nothing to save, said so, status 143 (128 + 15).
func TestRobustSignalTermBeforeFirstEpoch(t *testing.T) {
	dir := t.TempDir()
	cmd, lines, stderr := startMnist(t, dir, "train", "--quiet", "--val-size", "1000", "--epochs", "5", "--hidden", "256", "--batch-size", "10")
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "Training ") {
			// The handler is installed just after the run line is printed: a signal in those
			// microseconds ends the program the default way (nothing is lost: no epoch ran).
			time.Sleep(300 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd.Wait()
	msg := stderr.String()
	if panicked(msg) {
		t.Fatalf("panic trace:\n%s", msg)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Skipf("the signal arrived before the handler was installed (killed by %v); the machine is too loaded for this test", ws.Signal())
	}
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Fatalf("exit status %d, want 143; stderr %q", code, msg)
	}
	// An epoch of 59,000 samples in batches of 10 takes seconds; should the machine be that fast
	// anyway, the message is the one of an interrupt after an epoch.
	if !strings.Contains(msg, "before the first epoch finished; nothing to save") && !strings.Contains(msg, "finished epochs; checkpoint saved to mnist.ckpt") {
		t.Errorf("stderr %q", msg)
	}
}

// In-process: the signal handler, the trainer and the checkpoint writer under one test binary,
// so that 'go test -race -run Signal' checks them for data races. The signal is sent only once
// an epoch line is written, when the handler is certainly installed (it is released after the
// training ends; a signal then would end the test binary).
func TestRobustSignalInProcess(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run.ckpt")
	var stdout, stderr bytes.Buffer
	sent := false
	w := writerFunc(func(p []byte) (int, error) {
		stdout.Write(p)
		if !sent && bytes.HasPrefix(p, []byte("Epoch 1/")) {
			sent = true
			if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
				t.Error(err)
			}
		}
		return len(p), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"train", "--quiet", "--train-limit", "6000", "--val-size", "500", "--epochs", "20", "--hidden", "32", "--checkpoint", ckpt}, w, &stderr)
	}()
	var status int
	select {
	case status = <-done:
	case <-ctx.Done():
		t.Fatal("the run did not stop within 2 minutes of the signal")
	}
	if !sent {
		t.Fatalf("no epoch line:\n%s", stdout.String())
	}
	if status != 130 || !strings.Contains(stderr.String(), "continue with: mnist train --resume "+ckpt) {
		t.Fatalf("status %d, stderr %q", status, stderr.String())
	}
	if _, err := model.Load(ckpt); err != nil {
		t.Fatalf("the checkpoint: %v", err)
	}
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ io.Writer = writerFunc(nil)

// Issue 14: no boundary hands on a wrong answer silently.
func TestRobustNoSilentWrongAnswers(t *testing.T) {
	dir := t.TempDir()
	digit2 := absPath(t, "testdata/digit2.png")

	// A last update that overflows: exit 1 naming the epoch, no model saved, an existing file at
	// --save untouched.
	save := filepath.Join(dir, "m.model")
	if err := os.WriteFile(save, []byte("the user's earlier model"), 0o644); err != nil {
		t.Fatal(err)
	}
	diverge := []string{"train", "--optimizer", "momentum", "--lr", "100", "--dropout", "0", "--hidden", "512,512,512",
		"--batch-size", "10", "--train-limit", "30", "--epochs", "1", "--save", save, "--quiet"}
	for _, extra := range [][]string{nil, {"--train-limit", "40", "--val-size", "10"}} {
		stdout, stderr, status := runMnist(t, dir, append(diverge, extra...)...)
		if status != 1 || !strings.HasPrefix(stderr, "mnist train: training diverged in epoch 1: ") ||
			len(outputLines(stderr)) != 1 || strings.Contains(stdout, "Test accuracy") || strings.Contains(stdout, "Epoch 1/1") {
			t.Errorf("diverging run %v: status %d\nstdout %s\nstderr %s", extra, status, stdout, stderr)
		}
	}
	if b, _ := os.ReadFile(save); string(b) != "the user's earlier model" {
		t.Errorf("a diverged run wrote %s", save)
	}

	// Logits that overflow float32 for class 3: eval and predict both answer 3, with p = 1.
	net, err := model.New(model.Perceptron(784, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	w := net.Params()[0].Value.Data().([]float32)
	for i := 3; i < len(w); i += 10 {
		w[i] = 1e38
	}
	inf := filepath.Join(dir, "inf.model")
	if err := model.Save(inf, model.Saved{Net: net}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, status := runMnist(t, dir, "eval", "--model-file", inf)
	if status != 0 || !strings.HasSuffix(stdout, "Test accuracy: 0.1010\n") { // the share of 3s in the test set
		t.Errorf("eval of the overflowing model: status %d\n%s%s", status, stdout, stderr)
	}
	stdout, stderr, status = runMnist(t, dir, "predict", "--model-file", inf, digit2)
	if status != 0 || !strings.Contains(stdout, ": 3 (p=1.000); top 3: 3 1.000,") {
		t.Errorf("predict with the overflowing model: status %d\n%s%s", status, stdout, stderr)
	}

	// --resume accepts the very command that started the run, and refuses a changed setting
	// naming both values.
	ckpt := filepath.Join(dir, "run.ckpt")
	run := []string{"train", "--train-limit", "600", "--val-size", "100", "--dropout", "0.2", "--seed", "3", "--hidden", "16", "--quiet", "--checkpoint", ckpt}
	if _, stderr, status := runMnist(t, dir, append(run, "--epochs", "1")...); status != 0 {
		t.Fatalf("first run: %d %s", status, stderr)
	}
	stdout, stderr, status = runMnist(t, dir, append(run, "--epochs", "2", "--resume", ckpt)...)
	if status != 0 || !strings.Contains(stdout, "Epoch 2/2") {
		t.Errorf("the same command with --resume: status %d\n%s%s", status, stdout, stderr)
	}
	_, stderr, status = runMnist(t, dir, append(run, "--epochs", "3", "--resume", ckpt, "--dropout", "0.3")...)
	if status != 2 || !strings.Contains(stderr, "--dropout 0.3: the checkpoint's run has 0.2") {
		t.Errorf("a changed --dropout on --resume: status %d, %s", status, stderr)
	}
}

// Issue 14 (data): a model file records the data it was trained on; eval shows it, evaluates on it
// by default, and warns in one line when it evaluates on other test files. Pixels stored on
// another scale than 0..255 (binarised) get a warning naming the file and the range seen.
func TestRobustDataProvenance(t *testing.T) {
	dir := t.TempDir()
	own := dataDir(t, 28, nil)
	save := filepath.Join(dir, "own.model")
	if _, stderr, status := runMnist(t, dir, quickWith("--data", own, "--save", save)...); status != 0 {
		t.Fatalf("training on %s: %d %s", own, status, stderr)
	}
	saved, err := model.Load(save)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(saved.Meta["command"], "--data "+own) || !strings.Contains(saved.Meta["data"], "IDX files in "+own) ||
		!strings.Contains(saved.Meta["data.source"], `"sha256"`) {
		t.Errorf("the model file does not record its data: %v", saved.Meta)
	}
	stdout, stderr, status := runMnist(t, dir, "eval", "--model-file", save)
	if status != 0 || stderr != "" || !strings.Contains(stdout, "Test data: IDX files in "+own+": 50 test samples") {
		t.Errorf("eval on the model's own data: %d\n%s%s", status, stdout, stderr)
	}
	stdout, stderr, status = runMnist(t, dir, "eval", "--model-file", save, "--dataset", "mnist")
	if status != 0 || !strings.HasPrefix(stderr, "mnist eval: warning: the model was tested on IDX files in "+own) ||
		len(outputLines(stderr)) != 1 || !strings.Contains(stdout, "Test accuracy: ") {
		t.Errorf("eval on MNIST: %d\n%s%s", status, stdout, stderr)
	}

	// 0/1 pixels, as binarised data is often stored.
	binary := dataDir(t, 28, func(files map[string][]byte) {
		for _, name := range []string{dataset.TrainImagesFile, dataset.TestImagesFile} {
			n := 200
			if name == dataset.TestImagesFile {
				n = 50
			}
			pix := make([]byte, n*28*28)
			for i := range pix {
				pix[i] = byte(i / 7 % 2)
			}
			files[name] = gzipped(t, idxBytes(dataset.TypeUint8, []uint32{uint32(n), 28, 28}, pix))
		}
	})
	_, stderr, status = runMnist(t, dir, quickWith("--data", binary)...)
	if status != 0 || !strings.Contains(stderr, "mnist train: warning: "+filepath.Join(binary, dataset.TrainImagesFile)+": pixel values range over 0..1 only") {
		t.Errorf("binarised data: status %d, stderr %q", status, stderr)
	}
}

// Fashion-MNIST (Debian's dataset-fashion-mnist) trains by name, and the report and predict speak
// in its class names.
func TestFashionMNIST(t *testing.T) {
	if _, _, err := dataset.Find(dataset.Spec{Name: "fashion-mnist"}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Fashion-MNIST is missing under CI: %v", err)
		}
		t.Skip("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
	}
	dir := t.TempDir()
	save := filepath.Join(dir, "fashion.model")
	stdout, stderr, status := runMnist(t, dir, "train", "--dataset", "fashion-mnist", "--train-limit", "3000", "--epochs", "2",
		"--hidden", "64", "--quiet", "--report", "--save", save)
	if status != 0 || !strings.Contains(stdout, "  Ankle boot ") || !strings.Contains(stdout, " T-shirt/top ") {
		t.Fatalf("train --dataset fashion-mnist --report: %d\n%s%s", status, stdout, stderr)
	}
	stdout, stderr, status = runMnist(t, dir, "predict", "--model-file", save, absPath(t, "testdata/fashion-trouser.png"))
	if status != 0 || !strings.Contains(stdout, "fashion-trouser.png: Trouser (p=") {
		t.Errorf("predict a photo of trousers: %d\n%s%s", status, stdout, stderr)
	}
	// --classes renames the classes of the report; the test data stay the model's own.
	stdout, stderr, status = runMnist(t, dir, "eval", "--model-file", save, "--classes", "a,b,c,d,e,f,g,h,i,boot", "--report")
	if status != 0 || !strings.Contains(stdout, "Test data: Fashion-MNIST") || !strings.Contains(stdout, "\n        boot ") ||
		strings.Contains(stdout, "Ankle boot") || stderr != "" {
		t.Errorf("eval --classes: %d\n%s%s", status, stdout, stderr)
	}
}
