package train

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// CheckOutput and CheckOutputDir refuse what cannot be written as a *SettingError naming the
// setting and the path, make missing directories, and take "" as no output.
func TestCheckOutput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		check         func(setting, path string) error
		path, message string // message "": no error
	}{
		{CheckOutput, "", ""},
		{CheckOutput, filepath.Join(tmp, "new", "deeper", "m.model"), ""},
		{CheckOutput, tmp, fmt.Sprintf("--out %s: is a directory, not a file", tmp)},
		{CheckOutput, filepath.Join(file, "m.model"), fmt.Sprintf("--out %s: %s is not a directory", filepath.Join(file, "m.model"), file)},
		{CheckOutputDir, "", ""},
		{CheckOutputDir, filepath.Join(tmp, "plots", "run1"), ""},
		{CheckOutputDir, filepath.Join(file, "plots"), fmt.Sprintf("--out %s: %s is not a directory", filepath.Join(file, "plots"), file)},
	} {
		err := c.check("out", c.path)
		if c.message == "" {
			if err != nil {
				t.Errorf("%q: %v", c.path, err)
			}
			continue
		}
		var se *SettingError
		if !errors.As(err, &se) || se.Setting != "out" || err.Error() != c.message {
			t.Errorf("%q: error %v (%T), want the *SettingError %q", c.path, err, err, c.message)
		}
	}
	if st, err := os.Stat(filepath.Join(tmp, "plots", "run1")); err != nil || !st.IsDir() {
		t.Errorf("CheckOutputDir did not make the directory: %v", err)
	}
	if st, err := os.Stat(filepath.Join(tmp, "new", "deeper")); err != nil || !st.IsDir() {
		t.Errorf("CheckOutput did not make the file's directory: %v", err)
	}
}

// An InterruptedError is ErrInterrupted to errors.Is, wrapped or not, and prints its message.
func TestInterruptedError(t *testing.T) {
	err := fmt.Errorf("train: %w", &InterruptedError{Signal: syscall.SIGTERM, Msg: "stopped; nothing kept"})
	var ie *InterruptedError
	if !errors.Is(err, ErrInterrupted) || !errors.As(err, &ie) || ie.Signal != syscall.SIGTERM {
		t.Errorf("%v: not an *InterruptedError of SIGTERM wrapping ErrInterrupted", err)
	}
	if err.Error() != "train: stopped; nothing kept" {
		t.Errorf("Error() = %q", err.Error())
	}
}

// runData is a small two-class problem of 4 features (class 1 when the first exceeds the second),
// 150 training and 40 test samples, as Recipe.LoadData would return it.
func runData() *dataset.Data {
	rng := rand.New(rand.NewPCG(5, 0))
	set := func(name string, n int) *dataset.Set {
		s := &dataset.Set{Name: name, Features: 4, Classes: 2, Scale: 1.0 / 255}
		for range n {
			x := []uint8{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
			s.Data = append(s.Data, x...)
			s.Labels = append(s.Labels, map[bool]uint8{false: 0, true: 1}[x[0] > x[1]])
		}
		return s
	}
	return &dataset.Data{Train: set("train", 150), Test: set("test", 40), Classes: []string{"no", "yes"}}
}

// runRecipe is the recipe of the Run tests: 4-8-2, 3 epochs of batch 25, 30 samples held out.
func runRecipe(t *testing.T) Recipe {
	r := DefaultRecipe()
	for name, v := range map[string]string{"hidden": "8", "epochs": "3", "batch-size": "25", "val-size": "30", "seed": "4"} {
		if err := r.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// fitRun prepares and starts run on d and fits it, checkpointing every epoch; stopAfter > 0
// cancels the run after that many epochs, as a signal would.
func fitRun(t *testing.T, run *Run, given func(string) bool, d *dataset.Data, stopAfter int) error {
	t.Helper()
	if err := run.Prepare(given, 4, 2); err != nil {
		t.Fatal(err)
	}
	if err := run.Start(d); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run.Trainer.OnEpoch = func(e Epoch) error {
		if e.Epoch == stopAfter {
			cancel()
		}
		return run.Epoch()
	}
	return run.Trainer.Fit(ctx, run.Train, run.Val)
}

// A Run stopped after 2 of 3 epochs keeps its checkpoint and says how to continue; the run that
// continues it, from nothing but the checkpoint's path, takes back the recipe, ends with the
// weights of a run never stopped, saves the model with the metadata that reproduces it, and
// removes the default checkpoint.
func TestRunInterruptedAndResumed(t *testing.T) {
	dir := t.TempDir()
	save := filepath.Join(dir, "m.model")
	d := runData()

	whole := Run{Recipe: runRecipe(t), Command: []string{"prog", "train"}}
	if err := fitRun(t, &whole, nil, d, 0); err != nil {
		t.Fatal(err)
	}

	first := Run{Recipe: runRecipe(t), Command: []string{"prog", "train"}, Save: save}
	err := fitRun(t, &first, nil, d, 2)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Fit cancelled after epoch 2: %v, want ErrInterrupted", err)
	}
	if first.Checkpoint != save+".ckpt" {
		t.Errorf("Checkpoint %q, want the default %q", first.Checkpoint, save+".ckpt")
	}
	err = first.Interrupted(os.Interrupt)
	want := fmt.Sprintf("interrupted by SIGINT (Ctrl-C) after 2 finished epochs; checkpoint saved to %[1]s.ckpt; continue with: prog train --resume %[1]s.ckpt --epochs 3 --save %[1]s", save)
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Signal != os.Interrupt || err.Error() != want {
		t.Fatalf("Interrupted: %v (%T), want the *InterruptedError %q", err, err, want)
	}

	given := map[string]bool{"resume": true, "save": true}
	next := Run{Recipe: DefaultRecipe(), Command: []string{"prog", "train"}, Resume: save + ".ckpt", Save: save}
	if err := fitRun(t, &next, func(name string) bool { return given[name] }, d, 0); err != nil {
		t.Fatal(err)
	}
	if next.Recipe.Hidden != "8" || next.Recipe.Seed != 4 || next.Checkpoint != save+".ckpt" {
		t.Errorf("resumed with hidden %q, seed %d, checkpoint %q: not the checkpoint's", next.Recipe.Hidden, next.Recipe.Seed, next.Checkpoint)
	}
	if len(next.Trainer.History) != 3 || next.Trainer.History[2].Loss != whole.Trainer.History[2].Loss {
		t.Errorf("resumed history %v, want the 3 epochs of %v", next.Trainer.History, whole.Trainer.History)
	}
	if !fixSameWeights(fixWeights(next.Trainer.Net), fixWeights(whole.Trainer.Net)) {
		t.Error("the resumed run ends with other weights than the run never stopped")
	}
	if err := next.SaveModel(0.875); err != nil {
		t.Fatal(err)
	}
	saved, err := model.Load(save)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"command": "prog train --hidden 8 --epochs 3 --batch-size 25 --val-size 30 --seed 4",
		"epochs": "3", "test_accuracy": "0.8750", MetaClassNames: `["no","yes"]`, MetaPrefix + "hidden": "8"} {
		if saved.Meta[k] != v {
			t.Errorf("model file meta %q = %q, want %q", k, saved.Meta[k], v)
		}
	}
	if _, err := os.Stat(save + ".ckpt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the default checkpoint is still there after SaveModel (%v)", err)
	}
	if got, want := next.String(), "Training "+next.Trainer.String()+"; data: 120 train, 30 validation, 40 test"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// Without a checkpoint file, Interrupted writes the last epoch to Command[0].ckpt in the working
// directory; before the first epoch it saves nothing.
func TestRunInterruptedFallback(t *testing.T) {
	t.Chdir(t.TempDir())
	d := runData()
	early := Run{Recipe: runRecipe(t), Command: []string{"./bin/prog"}}
	if err := early.Prepare(nil, 4, 2); err != nil {
		t.Fatal(err)
	}
	if err := early.Start(d); err != nil {
		t.Fatal(err)
	}
	err := early.Interrupted(syscall.SIGTERM)
	if err == nil || err.Error() != "interrupted by SIGTERM before the first epoch finished; nothing to save" {
		t.Errorf("interrupted before an epoch: %v", err)
	}

	run := Run{Recipe: runRecipe(t), Command: []string{"./bin/prog"}}
	if err := fitRun(t, &run, nil, d, 1); !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	want := "interrupted by SIGTERM after 1 finished epoch; checkpoint saved to prog.ckpt; continue with: ./bin/prog --resume prog.ckpt --epochs 3"
	if err := run.Interrupted(syscall.SIGTERM); err == nil || err.Error() != want {
		t.Errorf("Interrupted: %v, want %q", err, want)
	}
	ck, err := LoadCheckpoint("prog.ckpt")
	if err != nil || len(ck.State.History) != 1 || ck.Meta["epochs"] != "1" {
		t.Errorf("prog.ckpt: %v", err)
	}
}

// Prepare refuses, before any work, what a flag can fix, as *SettingErrors naming it, and a
// checkpoint it cannot read as an error naming the file; a resumed run keeps its settings.
func TestRunPrepareErrors(t *testing.T) {
	dir := t.TempDir()
	modelFile := filepath.Join(dir, "m.model")
	net, err := runRecipe(t).NewNetwork(4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Save(modelFile, model.Saved{Net: net}); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "run.ckpt")
	first := Run{Recipe: runRecipe(t), Checkpoint: ckpt}
	if err := fitRun(t, &first, nil, runData(), 1); !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.ckpt")
	for _, c := range []struct {
		name     string
		run      Run
		given    []string
		want     string
		setting  bool // a *SettingError
		sentinel error
	}{
		{"resume given empty", Run{}, []string{"resume"}, "--resume needs the checkpoint file to continue", true, nil},
		{"save is the checkpoint", Run{Save: modelFile, Checkpoint: modelFile}, nil,
			"--save " + modelFile + ": the same file as --checkpoint: the model would replace the checkpoint", true, nil},
		{"history into a directory", Run{History: dir}, nil, "--history " + dir + ": is a directory, not a file", true, nil},
		{"bad setting", Run{Recipe: Recipe{Model: "cnn"}}, nil, `--model "cnn": want perceptron or mlp`, true, nil},
		{"missing checkpoint", Run{Resume: missing}, []string{"resume"}, "--resume: open " + missing + ": no such file or directory", false, os.ErrNotExist},
		{"a model, not a checkpoint", Run{Resume: modelFile}, nil, "--resume: " + modelFile + ": " + ErrNotCheckpoint.Error(), false, ErrNotCheckpoint},
		{"another setting", Run{Resume: ckpt}, []string{"hidden"}, "--resume " + ckpt + `: --hidden 256: the checkpoint's run has 8, and a resumed run keeps its settings (drop the flag, or start a new run)`, true, nil},
	} {
		run := c.run
		if run.Recipe.Model == "" {
			run.Recipe = DefaultRecipe()
		}
		err := run.Prepare(func(name string) bool { return slices.Contains(c.given, name) }, 4, 2)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if got := errors.As(err, new(*SettingError)); got != c.setting {
			t.Errorf("%s: a *SettingError: %v, want %v", c.name, got, c.setting)
		}
		if c.sentinel != nil && !errors.Is(err, c.sentinel) {
			t.Errorf("%s: %v does not wrap %v", c.name, err, c.sentinel)
		}
	}

	// Given the checkpoint's own value, or more epochs, is fine; the checkpoint stays the file.
	r := runRecipe(t)
	r.Epochs = 5
	run := Run{Recipe: r, Resume: ckpt}
	if err := run.Prepare(func(name string) bool { return name == "hidden" || name == "epochs" }, 4, 2); err != nil {
		t.Fatal(err)
	}
	if run.Checkpoint != ckpt || run.Recipe.Epochs != 5 || run.Recipe.BatchSize != 25 {
		t.Errorf("resumed with checkpoint %q, epochs %d, batch %d", run.Checkpoint, run.Recipe.Epochs, run.Recipe.BatchSize)
	}
	two := &dataset.Set{Name: "train", Data: make([]uint8, 2*100), Labels: make([]uint8, 100), Features: 2, Classes: 2}
	if err := run.Start(&dataset.Data{Train: two, Test: dataset.XOR(), Classes: []string{"0", "1"}}); err == nil ||
		err.Error() != "--resume "+ckpt+": the model takes 4 inputs, the data has 2" {
		t.Errorf("resuming on data of 2 features: %v", err)
	}
}

// CheckDistinct names the second of two settings that share a file, and the first; empty paths
// never clash.
func TestCheckDistinct(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "m.model")
	err := CheckDistinct([2]string{"history", ""}, [2]string{"save", m}, [2]string{"checkpoint", ""}, [2]string{"memprofile", dir + "/./m.model"})
	var se *SettingError
	if !errors.As(err, &se) || se.Setting != "memprofile" || err.Error() != "--memprofile "+dir+"/./m.model: the same file as --save" {
		t.Errorf("CheckDistinct = %v, want --memprofile refused as the same file as --save", err)
	}
	if err := CheckDistinct([2]string{"save", m}, [2]string{"checkpoint", m + ".ckpt"}, [2]string{"history", ""}, [2]string{"out", ""}); err != nil {
		t.Errorf("distinct files: %v", err)
	}
}
