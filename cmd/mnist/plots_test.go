package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlotDir checks that train --plot-dir writes the four pictures as PNG files, that eval
// --plot-dir writes those that need no history, and that a missing directory is refused before
// any training.
func TestPlotDir(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.model")
	out, errOut, status := runMnist(t, dir, "train", "--train-limit", "1000", "--val-size", "200", "--epochs", "2",
		"--hidden", "16", "--quiet", "--plot-dir", dir, "--save", model)
	if status != 0 {
		t.Fatalf("status %d: %s", status, errOut)
	}
	if !strings.Contains(out, "Pictures: ") {
		t.Errorf("no Pictures line in:\n%s", out)
	}
	for _, name := range []string{"curves.png", "confusion.png", "mistakes.png", "weights.png"} {
		checkPNG(t, filepath.Join(dir, name))
	}

	evalDir := filepath.Join(dir, "eval")
	if err := os.Mkdir(evalDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, errOut, status := runMnist(t, dir, "eval", "--model", model, "--plot-dir", evalDir); status != 0 {
		t.Fatalf("eval status %d: %s", status, errOut)
	}
	for _, name := range []string{"confusion.png", "mistakes.png", "weights.png"} {
		checkPNG(t, filepath.Join(evalDir, name))
	}
	if _, err := os.Stat(filepath.Join(evalDir, "curves.png")); err == nil {
		t.Errorf("eval drew curves without a history")
	}

	// A missing directory is made (as mkdir -p); one that cannot be made is refused before any epoch.
	deep := filepath.Join(dir, "missing", "run1")
	if _, errOut, status := runMnist(t, dir, "eval", "--model", model, "--plot-dir", deep); status != 0 {
		t.Fatalf("eval into a missing directory: status %d: %s", status, errOut)
	}
	checkPNG(t, filepath.Join(deep, "confusion.png"))
	out, errOut, status = runMnist(t, dir, "train", "--epochs", "1", "--plot-dir", filepath.Join(model, "sub"))
	if status != 2 || strings.Contains(out, "Epoch") || !strings.Contains(errOut, "--plot-dir "+filepath.Join(model, "sub")+": "+model+" is not a directory") {
		t.Errorf("--plot-dir under a file: status %d, stdout %q, stderr %q; want 2 before any epoch", status, out, errOut)
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width < 100 || cfg.Height < 100 {
		t.Errorf("%s: not a picture (%v, %dx%d)", path, err, cfg.Width, cfg.Height)
	}
}
