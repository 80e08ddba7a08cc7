package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotAndGraph(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xor.png")
	var out, errOut bytes.Buffer
	if err := run([]string{"--plot", path, "--quiet"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width <= cfg.Height { // two panels side by side
		t.Errorf("%s: %v, %dx%d; want a wide PNG with both models", path, err, cfg.Width, cfg.Height)
	}

	out.Reset()
	if err := run([]string{"graph", "--model", "mlp", "--format", "mermaid"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	order := []string{"graph LR", "input 2", "dense 2→4 + tanh", "dense 4→1", "sigmoid"}
	last := -1
	for _, s := range order {
		i := strings.Index(got, s)
		if i <= last {
			t.Fatalf("mermaid output lacks %q after the previous layer:\n%s", s, got)
		}
		last = i
	}
	out.Reset()
	if err := run([]string{"graph", "--model", "perceptron"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "digraph") || !strings.Contains(out.String(), "output.W") {
		t.Errorf("DOT output does not name the output layer's weights:\n%.300s", out.String())
	}
}
