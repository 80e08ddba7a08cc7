package main

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonet/notebooks/internal/ipynb"
)

// cell returns a code cell with the given id, source, execution count and outputs.
func cell(id, source string, count int, outputs ...map[string]any) map[string]any {
	if outputs == nil {
		outputs = []map[string]any{}
	}
	return map[string]any{
		"cell_type": "code", "id": id, "metadata": map[string]any{}, "source": ipynb.SplitLines(source),
		"execution_count": count, "outputs": outputs,
	}
}

func stream(name, text string) map[string]any {
	return map[string]any{"name": name, "output_type": "stream", "text": ipynb.SplitLines(text)}
}

func display(pngData []byte) map[string]any {
	return map[string]any{
		"output_type": "display_data", "metadata": map[string]any{},
		"data": map[string]any{"image/png": base64.StdEncoding.EncodeToString(pngData), "text/plain": "<image>"},
	}
}

// pngOf returns a 3x2 PNG, white but for the pixel (1, 1) in the given grey.
func pngOf(t *testing.T, grey uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.SetGray(1, 1, color.Gray{Y: grey})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeNotebook(t *testing.T, path string, metadata map[string]any, cells ...map[string]any) {
	t.Helper()
	nb := map[string]any{
		"cells":    append([]map[string]any{{"cell_type": "markdown", "id": "intro", "metadata": map[string]any{}, "source": []string{"# test"}}}, cells...),
		"metadata": metadata, "nbformat": 4, "nbformat_minor": 5,
	}
	data, err := ipynb.Encode(nb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	name     = "01-test.ipynb"
	setupSrc = "!*rm -f go.work && go work init && go work use . \"${GONB_DIR}/..\"\n%goworkfix"
	trainSrc = "%%\nfmt.Println(loss())"
)

var storedMeta = map[string]any{"kernelspec": map[string]any{"name": "gonb"}, "language_info": map[string]any{"mimetype": "text/x-go", "version": "go1.26.8"}}

// fixture lays out a repository with a committed notebook and figure (repo/notebooks) and the
// outputs of a run of a copy of it (run/out, the copy at run/repo) that are the same in all
// that matters; change returns the executed cells, for a test to alter.
func fixture(t *testing.T) (stored, executed, runRoot string) {
	t.Helper()
	dir := t.TempDir()
	stored = filepath.Join(dir, "repo", "notebooks")
	executed = filepath.Join(dir, "run", "out")
	runRoot = filepath.Join(dir, "run", "repo")
	writeNotebook(t, filepath.Join(stored, name), storedMeta,
		cell("setup", setupSrc, 1, stream("stdout", ipynb.GoWorkFixAdded("m", "/home/a/m"))),
		cell("train", trainSrc, 2, stream("stdout", "epoch 1 in 1.5s\nloss 0.25\n"), stream("stderr", "warning\n"), display(pngOf(t, 0))),
	)
	writeFile(t, filepath.Join(stored, "figures", "01-a.png"), pngOf(t, 0))
	writeFile(t, filepath.Join(executed, "01-test.figures", "01-a.png"), pngOf(t, 0))
	return stored, executed, runRoot
}

// executedCells returns the cells a kernel run of the fixture gives: the same outputs, cut and
// interleaved otherwise, other durations and directories, timing metadata.
func executedCells(t *testing.T, runRoot string) []map[string]any {
	train := cell("train", trainSrc, 2, stream("stdout", "epoch 1 in 2.25s\n"), stream("stderr", "warn"),
		stream("stdout", "loss 0.25\n"), stream("stderr", "ing\n"), display(pngOf(t, 0)))
	train["metadata"] = map[string]any{"execution": map[string]any{"iopub.execute_input": "2026-11-30T05:27:01.5Z"}}
	return []map[string]any{
		cell("setup", setupSrc, 1, stream("stdout", ipynb.GoWorkFixAdded("m", runRoot))),
		train,
	}
}

var kernelMeta = map[string]any{"kernelspec": map[string]any{"name": "gonb"}, "language_info": map[string]any{"mimetype": "", "version": "go1.27.1"}}

func runCompare(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	status := run(args, &out, &errOut)
	return status, out.String() + errOut.String()
}

func TestSame(t *testing.T) {
	stored, executed, runRoot := fixture(t)
	writeNotebook(t, filepath.Join(executed, name), kernelMeta, executedCells(t, runRoot)...)
	status, out := runCompare(t, "-stored", stored, "-executed", executed, name)
	if status != 0 || out != name+": every cell and figure as stored\n" {
		t.Errorf("status %d, output:\n%s", status, out)
	}
}

func TestDifferences(t *testing.T) {
	for _, tc := range []struct {
		what   string
		change func(t *testing.T, cells []map[string]any, executed, runRoot string)
		want   []string // in the output
	}{
		{"a number", func(t *testing.T, cells []map[string]any, _, _ string) {
			cells[1]["outputs"].([]map[string]any)[2] = stream("stdout", "loss 0.26\n")
		}, []string{
			`1 code cell(s) differ from the stored outputs; the first, cell 3 (id "train"):`,
			"    | %%\n    | fmt.Println(loss())\n",
			"  stdout (- stored, + kernel):\n      epoch 1 in 1.5s\n    - loss 0.25\n    + loss 0.26\n",
		}},
		{"no %goworkfix line", func(t *testing.T, cells []map[string]any, _, _ string) {
			cells[0]["outputs"] = []map[string]any{}
		}, []string{`cell 2 (id "setup")`, "    - \t- Added replace rule for module \"m\" to local directory \"/home/a/m\".\n"}},
		{"stderr", func(t *testing.T, cells []map[string]any, _, _ string) {
			cells[1]["outputs"].([]map[string]any)[3] = stream("stderr", "ing!")
		}, []string{"  stderr (- stored, + kernel):\n    - warning\n    + warning!   (no newline at the end)\n"}},
		{"the execution count", func(t *testing.T, cells []map[string]any, _, _ string) {
			cells[1]["execution_count"] = 3
		}, []string{"  execution count: stored 2, kernel 3\n"}},
		{"a pixel of a displayed image", func(t *testing.T, cells []map[string]any, _, _ string) {
			cells[1]["outputs"].([]map[string]any)[4] = display(pngOf(t, 1))
		}, []string{"  output 1 (display_data image/png, text/plain):\n    image/png: ", "both 3x2, 1 pixels differ\n"}},
		{"an error", func(t *testing.T, cells []map[string]any, _, _ string) {
			outs := cells[1]["outputs"].([]map[string]any)
			cells[1]["outputs"] = append(outs, map[string]any{"output_type": "error", "ename": "ERROR", "evalue": "exit status 2", "traceback": []string{"panic: boom"}})
		}, []string{"  output 2: the kernel gives error ERROR, not stored\n    + ERROR: exit status 2\n    + panic: boom\n"}},
		{"a figure", func(t *testing.T, _ []map[string]any, executed, _ string) {
			writeFile(t, filepath.Join(executed, "01-test.figures", "01-a.png"), pngOf(t, 7))
		}, []string{name + ": figures/01-a.png differs from the committed one: ", "both 3x2, 1 pixels differ\n"}},
		{"a new figure", func(t *testing.T, _ []map[string]any, executed, _ string) {
			writeFile(t, filepath.Join(executed, "01-test.figures", "01-b.png"), pngOf(t, 7))
		}, []string{name + ": writes figures/01-b.png, which is not committed\n"}},
		{"a figure no longer written", func(t *testing.T, _ []map[string]any, executed, _ string) {
			if err := os.Remove(filepath.Join(executed, "01-test.figures", "01-a.png")); err != nil {
				t.Fatal(err)
			}
		}, []string{name + ": no longer writes the committed figures/01-a.png\n"}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			stored, executed, runRoot := fixture(t)
			cells := executedCells(t, runRoot)
			tc.change(t, cells, executed, runRoot)
			writeNotebook(t, filepath.Join(executed, name), kernelMeta, cells...)
			status, out := runCompare(t, "-stored", stored, "-executed", executed, name)
			if status != 1 {
				t.Errorf("status %d, want 1", status)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	stored, executed, runRoot := fixture(t)
	cells := executedCells(t, runRoot)
	cells[1]["outputs"].([]map[string]any)[2] = stream("stdout", "loss 0.26\n")
	writeNotebook(t, filepath.Join(executed, name), kernelMeta, cells...)
	writeFile(t, filepath.Join(executed, "01-test.figures", "01-a.png"), pngOf(t, 7))
	writeFile(t, filepath.Join(executed, "01-test.figures", "01-b.png"), pngOf(t, 8))
	writeFile(t, filepath.Join(stored, "figures", "01-old.png"), pngOf(t, 9))
	writeFile(t, filepath.Join(stored, "figures", "02-other.png"), pngOf(t, 9))

	status, out := runCompare(t, "-stored", stored, "-executed", executed, "-runroot", runRoot, "-update", name)
	if status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
	if want := name + " no longer writes figures/01-old.png: removed\n" + name + ": stored the kernel's outputs (2 code cells changed) and 2 figures\n"; out != want {
		t.Errorf("output\n%s\nwant\n%s", out, want)
	}
	data, err := os.ReadFile(filepath.Join(stored, name))
	if err != nil {
		t.Fatal(err)
	}
	if canon, err := ipynb.Canonical(data); err != nil || !bytes.Equal(canon, data) {
		t.Errorf("not written in nbformat's layout (%v):\n%s", err, data)
	}
	repo := filepath.Dir(stored)
	for _, want := range []string{
		// The copy's directory is written as the repository's.
		`"text": [` + "\n" + `      "\t- Added replace rule for module \"m\" to local directory \"` + repo + `\".\n"`,
		// Stream outputs joined, in the kernel's order.
		`"text": [` + "\n" + `      "epoch 1 in 2.25s\n",` + "\n" + `      "loss 0.26\n"` + "\n" + `     ]`,
		`"text": [` + "\n" + `      "warning\n"` + "\n" + `     ]`,
		`"version": "go1.26.8"`, // the stored notebook's metadata is kept
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the stored notebook lacks %s:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "execution\"") || strings.Contains(string(data), runRoot) {
		t.Errorf("timing metadata or the run's directory stored:\n%s", data)
	}
	for file, want := range map[string][]byte{"01-a.png": pngOf(t, 7), "01-b.png": pngOf(t, 8), "02-other.png": pngOf(t, 9)} {
		if got, err := os.ReadFile(filepath.Join(stored, "figures", file)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("figures/%s: not the one written (%v)", file, err)
		}
	}
	if _, err := os.Stat(filepath.Join(stored, "figures", "01-old.png")); !os.IsNotExist(err) {
		t.Errorf("figures/01-old.png is still there: %v", err)
	}

	// What it stored compares as the same, from the run's directory or the repository's.
	if status, out := runCompare(t, "-stored", stored, "-executed", executed, name); status != 0 {
		t.Errorf("after -update: status %d:\n%s", status, out)
	}
}

func TestUpdateRefusesErrors(t *testing.T) {
	stored, executed, runRoot := fixture(t)
	cells := executedCells(t, runRoot)
	cells[1]["outputs"] = []map[string]any{{"output_type": "error", "ename": "ERROR", "evalue": "exit status 2", "traceback": []string{}}}
	writeNotebook(t, filepath.Join(executed, name), kernelMeta, cells...)
	before, err := os.ReadFile(filepath.Join(stored, name))
	if err != nil {
		t.Fatal(err)
	}
	status, out := runCompare(t, "-stored", stored, "-executed", executed, "-update", name)
	if want := "nbcompare: " + name + ` cell 3 (id "train") failed under the kernel (ERROR: exit status 2); nothing stored` + "\n"; status != 1 || out != want {
		t.Errorf("status %d, output %q; want 1, %q", status, out, want)
	}
	if after, _ := os.ReadFile(filepath.Join(stored, name)); !bytes.Equal(before, after) {
		t.Error("the stored notebook changed")
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {name}, {"-executed", "x"}, {"-bogus", "-executed", "x", name}} {
		if status, out := runCompare(t, args...); status != 2 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "usage: nbcompare -executed DIR") {
			t.Errorf("nbcompare %q: status %d, %q; want 2 and one line of usage", args, status, out)
		}
	}
	stored, executed, _ := fixture(t)
	status, out := runCompare(t, "-stored", stored, "-executed", executed, name)
	if status != 1 || !strings.HasPrefix(out, "nbcompare: open "+filepath.Join(executed, name)+": no such file") {
		t.Errorf("no executed notebook: status %d, %q", status, out)
	}
}
