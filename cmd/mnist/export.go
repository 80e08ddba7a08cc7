package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/model"
	"gorgonet/model/onnx"
)

// runExport is 'mnist export --model FILE --out FILE.onnx'.
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist export", pflag.ContinueOnError)
	file := fs.String("model", "", "model file written by 'mnist train --save' (required)")
	out := fs.String("out", "", "the ONNX file to write (required)")
	if err := cli.ParseCommand(fs, args, stdout, "mnist export --model FILE --out FILE.onnx\n\n"+
		"Writes a saved model as ONNX (opset 13): input pixels [N,784] float32 (pixel/255), outputs\n"+
		"logits and probabilities [N,10]. ONNX Runtime and other tools run it without gorgonet.", false); err != nil {
		return err
	}
	if *out == "" {
		return cli.Usagef("--out FILE.onnx is required")
	}
	if err := cli.CheckWritable("out", *out); err != nil {
		return err
	}
	saved, err := loadModel(*file)
	if err != nil {
		return err
	}
	meta := onnx.Metadata{Command: saved.Meta["command"], TestAccuracy: saved.Meta["test_accuracy"], Data: saved.Meta["data"]}
	if names := saved.Meta["class_names"]; names != "" {
		meta.ClassNames = strings.Split(names, ",")
	}
	b, err := onnx.Marshal(saved.Net, meta)
	if err != nil {
		return fmt.Errorf("--model %s: %w", *file, err)
	}
	if err := model.WriteFileAtomic(*out, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s: %s, ONNX opset %d, %d bytes\n", *out, saved.Net.Config, onnx.OpsetVersion, len(b))
	return nil
}
