package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	pb "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"gorgonet/cmd/internal/cli"
	"gorgonet/model"
)

// exportRun runs 'mnist export' through the program's entry point in this process, and returns
// its output and exit status.
func exportRun(args ...string) (stdout, stderr string, status int) {
	var out, errb bytes.Buffer
	status = run(append([]string{"export"}, args...), &out, &errb)
	return out.String(), errb.String(), status
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	net, err := model.New(model.MLP(784, []int{8}, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	modelFile, onnxFile := filepath.Join(dir, "digits.model"), filepath.Join(dir, "digits.onnx")
	meta := map[string]string{"command": "mnist train --hidden 8", "test_accuracy": "0.9000", "class_names": "0,1,2,3,4,5,6,7,8,9"}
	if err := model.Save(modelFile, model.Saved{Net: net, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, status := exportRun("--model", modelFile, "--out", onnxFile)
	b, err := os.ReadFile(onnxFile)
	if status != 0 || err != nil {
		t.Fatalf("status %d, %v: %s", status, err, stderr)
	}
	if want := "Wrote " + onnxFile + ": mlp 784-8-10 relu loss=crossentropy float32, ONNX opset 13, " + strconv.Itoa(len(b)) + " bytes\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	var m pb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, kv := range m.MetadataProps {
		props[kv.Key] = kv.Value
	}
	if props["training_command"] != meta["command"] || props["test_accuracy"] != "0.9000" || props["class_names"] != `["0","1","2","3","4","5","6","7","8","9"]` {
		t.Errorf("metadata %v", props)
	}

	damaged := filepath.Join(dir, "damaged.model")
	if err := os.WriteFile(damaged, []byte("gorgonet-model\n\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	hint := "\nRun 'mnist export --help' for usage.\n"
	for _, c := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"--model", modelFile}, cli.ExitUsage, "mnist export: --out FILE.onnx is required" + hint},
		{[]string{"--out", onnxFile}, cli.ExitUsage, "mnist export: --model-file FILE is required" + hint},
		{[]string{"--model", dir + "/missing.model", "--out", onnxFile}, cli.ExitUsage,
			"mnist export: --model-file " + dir + "/missing.model: no such file" + hint},
		{[]string{"--model", modelFile, "--out", modelFile + "/such.onnx"}, cli.ExitUsage,
			"mnist export: --out " + modelFile + "/such.onnx: " + modelFile + " is not a directory" + hint},
		{[]string{"--model", damaged, "--out", dir + "/x.onnx"}, cli.ExitRuntime,
			"mnist export: " + damaged + ": model file is truncated: incomplete header\n"},
	} {
		stdout, stderr, status := exportRun(c.args...)
		if status != c.status || stdout != "" || stderr != c.stderr {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want %d, %q", c.args, status, stdout, stderr, c.status, c.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.onnx")); err == nil {
		t.Error("a failed export left its output file")
	}
}
