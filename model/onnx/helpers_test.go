package onnx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/model/onnx"
	"gorgonet/train"
)

// The external checkers: ONNX Runtime (npm's onnxruntime-node, run by node) and the onnx Python
// package's checker (Debian's python3-onnx). Outside CI a missing one skips the test with one line
// saying how to install it; under CI (CI=true) it fails the test.

// ortVersion is the onnxruntime-node version testdata/ort/package-lock.json pins.
const ortVersion = "1.30.0"

// ortDir returns where testdata/ort/install.sh puts onnxruntime-node: $GORGONET_ONNXRUNTIME, else
// $XDG_CACHE_HOME/gorgonet/onnxruntime-node-1.30.0, else ~/.cache/gorgonet/onnxruntime-node-1.30.0.
func ortDir() string {
	if d := os.Getenv("GORGONET_ONNXRUNTIME"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "gorgonet", "onnxruntime-node-"+ortVersion)
}

// missing skips the test outside CI and fails it under CI.
func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(what)
	}
	t.Skip(what)
}

// runtime is ONNX Runtime as the tests run it: node with NODE_PATH set to the installed modules.
type runtime struct {
	node, modules string
}

var (
	runtimeOnce sync.Once
	runtimeVal  runtime
	runtimeErr  string
)

// needRuntime returns the runtime or skips (fails under CI) with one line saying how to install it.
func needRuntime(t *testing.T) runtime {
	t.Helper()
	runtimeOnce.Do(func() {
		install := fmt.Sprintf("install it with: bash model/onnx/testdata/ort/install.sh (npm, about 300 MB into %s)", ortDir())
		node, err := exec.LookPath("node")
		if err != nil {
			runtimeErr = "ONNX Runtime checks need node (Node.js 18 or newer) on PATH; then " + install
			return
		}
		modules := filepath.Join(ortDir(), "node_modules")
		var pkg struct{ Version string }
		b, err := os.ReadFile(filepath.Join(modules, "onnxruntime-node", "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &pkg)
		}
		if err != nil || pkg.Version != ortVersion {
			runtimeErr = fmt.Sprintf("onnxruntime-node %s is not installed in %s: %s", ortVersion, modules, install)
			return
		}
		runtimeVal = runtime{node: node, modules: modules}
	})
	if runtimeErr != "" {
		missing(t, runtimeErr)
	}
	return runtimeVal
}

// ortOutput is what testdata/ort/run.js prints about a session.
type ortOutput struct {
	Version string
	Inputs  []ortValue
	Outputs []ortValue
	Shapes  map[string][]int
}

type ortValue struct {
	Name, Type string
	Shape      []any // "N" or a number
}

// run runs script (a .js file) with node and args; it returns stdout and fails the test with the
// script's stderr on error.
func (r runtime) run(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(r.node, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+r.modules)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v: %s", filepath.Base(script), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes()
}

// ortResult is what ONNX Runtime computed for one model: one row per sample.
type ortResult struct {
	logits, probs [][]float32
	info          ortOutput
}

// predict runs each model file through ONNX Runtime on the samples of pixelsFile (float32, row by
// row), all in one node process, and returns the results in the same order. outputs gives each
// model's number of outputs.
func (r runtime) predict(t *testing.T, pixelsFile string, models []string, outputs []int) []ortResult {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	script, err := filepath.Abs(filepath.Join("testdata", "ort", "run.js"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(r.run(t, script, append([]string{pixelsFile, out}, models...)...)))
	results := make([]ortResult, len(models))
	for i := range models {
		if err := dec.Decode(&results[i].info); err != nil {
			t.Fatalf("run.js printed no JSON line for model %d: %v", i, err)
		}
		prefix := fmt.Sprintf("%s.%d.", out, i)
		results[i].logits = readRows(t, prefix+"logits.f32", outputs[i])
		results[i].probs = readRows(t, prefix+"probabilities.f32", outputs[i])
	}
	return results
}

// readRows reads a file of float32 values (machine order: little-endian on the machines node runs
// on here) as rows of width values.
func readRows(t *testing.T, path string, width int) [][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%(4*width) != 0 {
		t.Fatalf("%s: %d bytes, not rows of %d float32", path, len(b), width)
	}
	rows := make([][]float32, len(b)/(4*width))
	for i := range rows {
		rows[i] = make([]float32, width)
		for j := range rows[i] {
			rows[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*(i*width+j):]))
		}
	}
	return rows
}

// writePixels writes the samples of s, as gorgonet's float32 graphs receive them, to a file.
func writePixels(t *testing.T, s *dataset.Set) string {
	t.Helper()
	idx := make([]int, s.Len())
	for i := range idx {
		idx[i] = i
	}
	x := make([]float32, s.Len()*s.Features)
	dataset.Fill(s, idx, x, nil)
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	path := filepath.Join(t.TempDir(), s.Name+".f32")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checker is the onnx Python package's checker, run through testdata/check_model.py.
var (
	checkerOnce   sync.Once
	checkerPython string
)

// needChecker returns a Python interpreter that can import onnx, or skips (fails under CI).
func needChecker(t *testing.T) string {
	t.Helper()
	checkerOnce.Do(func() {
		// Debian's python3-onnx belongs to /usr/bin/python3, which a pyenv or venv python3 on
		// PATH does not see: try both.
		for _, py := range []string{"python3", "/usr/bin/python3"} {
			if exec.Command(py, "-c", "import onnx.checker").Run() == nil {
				checkerPython = py
				return
			}
		}
	})
	if checkerPython == "" {
		missing(t, "the ONNX checker needs Python's onnx package: install it with: apt-get install python3-onnx (Debian) or pip install onnx")
	}
	return checkerPython
}

// checked is what testdata/check_model.py reports about a file that passed the full check.
type checked struct {
	ONNX            string
	IRVersion       int `json:"ir_version"`
	Opset           map[string]int
	ProducerName    string `json:"producer_name"`
	ProducerVersion string `json:"producer_version"`
	Metadata        map[string]string
	Inputs, Outputs map[string][]any
	Ops             []string
}

// check runs onnx.checker.check_model(full_check=True) on the files, in one Python process, and
// returns what each declares.
func check(t *testing.T, paths ...string) []checked {
	t.Helper()
	py := needChecker(t)
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", "check_model.py")}, paths...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the ONNX checker rejects a file: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	dec := json.NewDecoder(&stdout)
	out := make([]checked, len(paths))
	for i := range out {
		if err := dec.Decode(&out[i]); err != nil {
			t.Fatalf("check_model.py: no JSON line for %s: %v", paths[i], err)
		}
	}
	return out
}

// MNIST, read once per test binary from the copy bundled with the Go module (whatever $MNIST_DIR
// says, so that the checks refer to the real digits).
var (
	mnistOnce             sync.Once
	mnistTrain, mnistTest *dataset.Set
	mnistErr              error
)

func fixMNIST(t *testing.T) (trainSet, testSet *dataset.Set) {
	t.Helper()
	mnistOnce.Do(func() {
		dir, err := dataset.BundledDir()
		if err != nil {
			mnistErr = err
			return
		}
		mnistTrain, mnistTest, mnistErr = dataset.LoadMNIST(dir)
	})
	if mnistErr != nil {
		t.Fatalf("loading MNIST: %v", mnistErr)
	}
	return mnistTrain, mnistTest
}

// fixTrain trains net for one epoch of batches of 100 on s: a few dozen steps, enough to move the
// weights far from their initial values (agreement does not need accuracy).
func fixTrain(t *testing.T, net *model.Network, s *dataset.Set) {
	t.Helper()
	tr, err := train.NewTrainer(net, train.Config{Epochs: 1, BatchSize: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
}

// export writes net with meta into a temporary file and returns its path.
func export(t *testing.T, net *model.Network, meta onnx.Metadata) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.onnx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := onnx.Write(f, net, meta); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// predicted returns the class probabilities p give: the arg max, or for one output p >= 0.5.
func predicted[T float32 | float64](p []T) int {
	if len(p) == 1 {
		if p[0] >= 0.5 {
			return 1
		}
		return 0
	}
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}
