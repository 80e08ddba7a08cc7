package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/model/onnx"
	"gorgonet/train"
)

// runExport is 'mnist export --model-file FILE --out FILE.onnx'.
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist export", pflag.ContinueOnError)
	file := modelFileFlag(fs)
	out := fs.String("out", "", "the ONNX file to write (required)")
	if err := cli.ParseCommand(fs, args, stdout, "mnist export --model-file FILE --out FILE.onnx\n\n"+
		"Writes a saved model as ONNX (opset 13): input pixels [N,784] float32 (pixel/255), outputs\n"+
		"logits and probabilities [N,10]. ONNX Runtime and other tools run it without gorgonet.", false); err != nil {
		return err
	}
	if *out == "" {
		return cli.Usagef("--out FILE.onnx is required")
	}
	if err := train.CheckDistinct([2]string{"model-file", *file}, [2]string{"out", *out}); err != nil {
		return err
	}
	saved, err := loadModel(*file)
	if err == nil {
		err = train.CheckOutput("out", *out)
	}
	if err != nil {
		return err
	}
	n, err := onnx.Save(*out, saved)
	if err != nil {
		return fmt.Errorf("--model-file %s: %w", *file, err)
	}
	fmt.Fprintf(stdout, "Wrote %s: %s, ONNX opset %d, %d bytes\n", *out, saved.Net, onnx.OpsetVersion, n)
	return nil
}
