package onnx_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/model/onnx"
	"gorgonet/train"
)

// probTolerance is how far ONNX Runtime's probabilities may be from gorgonet's, per value.
const probTolerance = 1e-5

// A case is a network to export: cfg trained briefly on the training images whose label is below
// classes.
type exportCase struct {
	name    string
	cfg     model.Config
	classes int      // train on the images of digits 0 .. classes-1
	ops     []string // the operators the exported graph must hold, in order
	edit    func(*model.Network)
}

func withLoss(c model.Config, loss string) model.Config { c.Loss = loss; return c }

// withScale puts a scale layer after the first hidden layer's activation.
func withScale(net *model.Network) {
	units := net.Params()[0].Value.Shape()[1]
	l := newScale("scale1.s", units, rand.New(rand.NewPCG(9, 9)))
	net.Layers = append(net.Layers[:2], append([]model.Layer{l}, net.Layers[2:]...)...)
}

var exportCases = []exportCase{
	{"perceptron", model.Perceptron(784, 10), 10, []string{"Gemm", "Softmax"}, nil},
	{"relu", model.MLP(784, []int{32}, 10), 10, []string{"Gemm", "Relu", "Gemm", "Softmax"}, nil},
	{"leakyrelu-2", withActivation(model.MLP(784, []int{32, 16}, 10), "leakyrelu"), 10,
		[]string{"Gemm", "LeakyRelu", "Gemm", "LeakyRelu", "Gemm", "Softmax"}, nil},
	{"sigmoid-3", withActivation(model.MLP(784, []int{24, 16, 12}, 10), "sigmoid"), 10,
		[]string{"Gemm", "Sigmoid", "Gemm", "Sigmoid", "Gemm", "Sigmoid", "Gemm", "Softmax"}, nil},
	{"tanh-dropout", withDropout(withActivation(model.MLP(784, []int{32}, 10), "tanh"), 0.2), 10,
		[]string{"Gemm", "Tanh", "Gemm", "Softmax"}, nil},
	{"mse", withLoss(model.MLP(784, []int{16}, 10), model.MSE), 10, []string{"Gemm", "Relu", "Gemm", "Sigmoid"}, nil},
	{"bce-perceptron", model.Perceptron(784, 1), 2, []string{"Gemm", "Sigmoid"}, nil},
	{"bce-tanh", withActivation(model.MLP(784, []int{16}, 1), "tanh"), 2, []string{"Gemm", "Tanh", "Gemm", "Sigmoid"}, nil},
	{"float64", withFloat64(withActivation(model.MLP(784, []int{32, 16}, 10), "leakyrelu")), 10,
		[]string{"Gemm", "LeakyRelu", "Gemm", "LeakyRelu", "Gemm", "Softmax"}, nil},
	{"swish", withActivation(model.MLP(784, []int{32}, 10), "swish"), 10, []string{"Gemm", "Sigmoid", "Mul", "Gemm", "Softmax"}, nil},
	{"custom-layer", model.MLP(784, []int{32}, 10), 10, []string{"Gemm", "Relu", "Mul", "Gemm", "Softmax"}, withScale},
}

// trainingSet returns the first 2,000 training images whose label is below classes.
func trainingSet(t *testing.T, classes int) *dataset.Set {
	all, _ := fixMNIST(t)
	var idx []int
	for i, l := range all.Labels {
		if int(l) < classes {
			idx = append(idx, i)
		}
		if len(idx) == 2000 {
			break
		}
	}
	s := all.Subset(fmt.Sprintf("train-%d", classes), idx)
	s.Classes = max(classes, 2)
	return s
}

// Every network is trained briefly, exported, checked by the ONNX checker, and run by ONNX Runtime
// on all 10,000 MNIST test images: every image must get the class gorgonet predicts and every
// probability must be within probTolerance of gorgonet's. (One checker and one node process serve
// all the files: each takes most of a second to start.)
func TestRuntimeAgreesOnMNIST(t *testing.T) {
	rt := needRuntime(t)
	needChecker(t)
	_, test := fixMNIST(t)
	nets := make([]*model.Network, len(exportCases))
	want := make([][][]float64, len(exportCases))
	paths := make([]string, len(exportCases))
	outputs := make([]int, len(exportCases))
	for i, c := range exportCases {
		nets[i] = fixNet(t, c.cfg, 1)
		if c.edit != nil {
			c.edit(nets[i])
		}
		fixTrain(t, nets[i], trainingSet(t, c.classes))
		var err error
		if want[i], err = train.NewEvaluator(nets[i]).Probabilities(test); err != nil {
			t.Fatal(err)
		}
		meta := onnx.Metadata{ProducerVersion: "v0.0.0-test", Command: "go test ./model/onnx", Data: "MNIST, 2000 training images"}
		paths[i], outputs[i] = export(t, nets[i], meta), c.cfg.Outputs
	}
	infos := check(t, paths...)
	results := rt.predict(t, writePixels(t, test), paths, outputs)
	for i, c := range exportCases {
		t.Run(c.name, func(t *testing.T) {
			info, ort, outputs := infos[i], results[i], outputs[i]
			if !reflect.DeepEqual(info.Ops, c.ops) {
				t.Errorf("operators %v, want %v", info.Ops, c.ops)
			}
			if got, want := info.Outputs, map[string][]any{"logits": {"N", float64(outputs)}, "probabilities": {"N", float64(outputs)}}; !reflect.DeepEqual(got, want) {
				t.Errorf("the checker sees outputs %v, want %v", got, want)
			}
			probs, want := ort.probs, want[i]
			if len(probs) != test.Len() {
				t.Fatalf("ONNX Runtime returned %d rows for %d images", len(probs), test.Len())
			}
			if got, want := ort.info.Shapes["probabilities"], []int{test.Len(), outputs}; !reflect.DeepEqual(got, want) {
				t.Errorf("probabilities of shape %v, want %v", got, want)
			}
			var maxDiff float64
			worst, disagree := 0, 0
			for i := range probs {
				if predicted(probs[i]) != predicted(want[i]) {
					if disagree == 0 {
						t.Errorf("image %d: ONNX Runtime predicts %d (%v), gorgonet %d (%v)", i, predicted(probs[i]), probs[i], predicted(want[i]), want[i])
					}
					disagree++
				}
				for j, p := range probs[i] {
					if d := math.Abs(float64(p) - want[i][j]); d > maxDiff || math.IsNaN(d) {
						maxDiff, worst = d, i
					}
				}
			}
			if disagree > 0 {
				t.Errorf("%d of %d images get another class from ONNX Runtime", disagree, len(probs))
			}
			if !(maxDiff <= probTolerance) {
				t.Errorf("image %d: probabilities differ by %.3g (ONNX Runtime %v, gorgonet %v), want at most %g", worst, maxDiff, probs[worst], want[worst], probTolerance)
			}
			t.Logf("%s (%s): %d images, same class for all, max |p_onnxruntime - p_gorgonet| = %.2e", c.name, nets[i], len(probs), maxDiff)
		})
	}
}

// A batch of one image: N is free, so the model takes one sample as well as 10,000, and ONNX
// Runtime's own view of the input and outputs is [N, 784] -> [N, 10].
func TestRuntimeOneImage(t *testing.T) {
	rt := needRuntime(t)
	trainSet, test := fixMNIST(t)
	net := fixNet(t, model.MLP(784, []int{32}, 10), 2)
	fixTrain(t, net, trainSet.Limit(2000))
	one := test.Subset("one", []int{7})
	want, err := train.NewEvaluator(net).Probabilities(one)
	if err != nil {
		t.Fatal(err)
	}
	r := rt.predict(t, writePixels(t, one), []string{export(t, net, onnx.Metadata{})}, []int{10})[0]
	logits, probs, info := r.logits, r.probs, r.info
	if info.Version != "1.30.0" {
		t.Errorf("ONNX Runtime %s, want 1.30.0", info.Version)
	}
	wantIn := []ortValue{{Name: "pixels", Type: "float32", Shape: []any{"N", 784.0}}}
	wantOut := []ortValue{{Name: "logits", Type: "float32", Shape: []any{"N", 10.0}}, {Name: "probabilities", Type: "float32", Shape: []any{"N", 10.0}}}
	if !reflect.DeepEqual(info.Inputs, wantIn) || !reflect.DeepEqual(info.Outputs, wantOut) {
		t.Errorf("ONNX Runtime sees inputs %+v and outputs %+v, want %+v and %+v", info.Inputs, info.Outputs, wantIn, wantOut)
	}
	if !reflect.DeepEqual(info.Shapes, map[string][]int{"logits": {1, 10}, "probabilities": {1, 10}}) {
		t.Errorf("output shapes %v, want [1 10] each", info.Shapes)
	}
	if len(probs) != 1 || len(logits) != 1 {
		t.Fatalf("%d rows of probabilities, %d of logits; want 1", len(probs), len(logits))
	}
	var sum float64
	for j, p := range probs[0] {
		sum += float64(p)
		if d := math.Abs(float64(p) - want[0][j]); !(d <= probTolerance) {
			t.Errorf("p[%d] = %v, gorgonet %v", j, p, want[0][j])
		}
	}
	if math.Abs(sum-1) > 1e-6 {
		t.Errorf("softmax probabilities sum to %v", sum)
	}
	if predicted(probs[0]) != predicted(want[0]) {
		t.Errorf("ONNX Runtime predicts %d, gorgonet %d", predicted(probs[0]), predicted(want[0]))
	}
}

// The metadata gorgonet writes, as the onnx package reads it back after the full check.
func TestCheckerReadsMetadata(t *testing.T) {
	net := fixNet(t, withActivation(model.MLP(784, []int{8}, 10), "leakyrelu"), 1)
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	meta := onnx.Metadata{ProducerVersion: "v1.2.3", Command: "mnist train --hidden 8 --activation leakyrelu --save m.model",
		TestAccuracy: "0.9123", Data: "MNIST: 60000 training images", ClassNames: names, Description: "digits"}
	c := check(t, export(t, net, meta))[0]
	want := checked{
		ONNX: c.ONNX, IRVersion: 7, Opset: map[string]int{"": 13}, ProducerName: "gorgonet", ProducerVersion: "v1.2.3",
		Metadata: map[string]string{
			"architecture":     "mlp 784-8-10 leakyrelu loss=crossentropy float32",
			"precision":        "float32",
			"training_command": meta.Command,
			"test_accuracy":    "0.9123",
			"data":             meta.Data,
			"class_names":      `["0","1","2","3","4","5","6","7","8","9"]`,
		},
		Inputs:  map[string][]any{"pixels": {"N", 784.0}},
		Outputs: map[string][]any{"logits": {"N", 10.0}, "probabilities": {"N", 10.0}},
		Ops:     []string{"Gemm", "LeakyRelu", "Gemm", "Softmax"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("the checker reads\n%+v\nwant\n%+v", c, want)
	}
	t.Logf("checked by onnx %s", c.ONNX)

	c = check(t, export(t, fixNet(t, withFloat64(model.Perceptron(784, 1)), 1), onnx.Metadata{}))[0]
	if c.Metadata["precision"] != "float32 (float64 weights rounded to float32)" || c.ProducerVersion == "" {
		t.Errorf("float64 perceptron: precision %q, producer version %q", c.Metadata["precision"], c.ProducerVersion)
	}
	for _, key := range []string{"training_command", "test_accuracy", "data", "class_names"} {
		if v, ok := c.Metadata[key]; ok {
			t.Errorf("empty Metadata wrote %s = %q", key, v)
		}
	}
}

// README's JavaScript example, run as it stands on an exported model, prints the digit and the
// probability gorgonet gives the image it draws.
func TestReadmeExample(t *testing.T) {
	rt := needRuntime(t)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Export to ONNX.*?```js\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no ```js block in its \"Export to ONNX\" section")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "predict.js")
	if err := os.WriteFile(script, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	trainSet, _ := fixMNIST(t)
	net := fixNet(t, model.MLP(784, []int{32}, 10), 3)
	fixTrain(t, net, trainSet.Limit(2000))
	modelFile := filepath.Join(dir, "digits.onnx")
	if err := os.Rename(export(t, net, onnx.Metadata{}), modelFile); err != nil {
		t.Fatal(err)
	}
	// The example draws a vertical stroke: rows 4 to 23 of column 14 at full intensity.
	img := &dataset.Set{Name: "stroke", Data: make([]uint8, 784), Labels: []uint8{1}, Features: 784, Classes: 10, Scale: 1.0 / 255}
	for r := 4; r < 24; r++ {
		img.Data[r*28+14] = 255
	}
	probs, err := train.NewEvaluator(net).Probabilities(img)
	if err != nil {
		t.Fatal(err)
	}
	d := predicted(probs[0])
	want := fmt.Sprintf("digit %d, p=%.3f\n", d, probs[0][d])
	if got := string(rt.run(t, script, modelFile)); got != want {
		t.Errorf("README's example prints %q, want %q", got, want)
	}
	if !strings.Contains(string(readme), "mnist export --model") {
		t.Error("README's Export to ONNX section does not show the command")
	}
}
