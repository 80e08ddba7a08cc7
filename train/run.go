package train

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gorgonet/dataset"
	"gorgonet/model"
)

// CheckOutput checks, before any work, that a file can be saved at path (model.CheckSavePath: not
// a directory, its directory made when missing and writable), so that a program refuses an output
// rather than losing its result at the end. The error is a *SettingError naming the setting (the
// program's flag) and the path: "--save out/m.model: is a directory, not a file". An empty path
// (no output) is nil.
func CheckOutput(setting, path string) error {
	if path == "" {
		return nil
	}
	if err := model.CheckSavePath(path); err != nil {
		return settingErr(setting, path, "%v", err)
	}
	return nil
}

// CheckOutputDir is CheckOutput for a directory that files will be written into: it is made when
// missing (model.PrepareDir) and must be writable. An empty dir is nil.
func CheckOutputDir(setting, dir string) error {
	if dir == "" {
		return nil
	}
	if err := model.PrepareDir(dir); err != nil {
		return settingErr(setting, dir, "%v", err)
	}
	return nil
}

// CheckDistinct refuses two settings that name the same file (model.SameFile), such as a model
// saved over the history of its run: the later file would silently replace the earlier. Each
// element is a setting's name and its path; empty paths are left out. The error is a
// *SettingError naming the second of the two settings and the first.
func CheckDistinct(files ...[2]string) error {
	for i, b := range files {
		for _, a := range files[:i] {
			if model.SameFile(a[1], b[1]) {
				return settingErr(b[0], b[1], "the same file as --%s", a[0])
			}
		}
	}
	return nil
}

// A Run is a training run of a Recipe as a program makes one, keeping it safe: a new run or the
// continuation of the checkpoint Resume; checkpointed after every epoch (Epoch), so that a run
// stopped by a signal keeps its last finished epoch and says how to go on (Interrupted); its
// history and model written at the end (WriteHistory, SaveModel). Its model file and checkpoints
// record the command that reproduces it, the recipe's settings and the data (Meta). The mnist
// command's 'train' is a Run.
//
// The steps: set the fields; Prepare, before any work; Start with the loaded data; Fit the
// Trainer on Train and Val, calling Epoch from its OnEpoch; then WriteHistory, and Interrupted or
// SaveModel. Errors name the run's files as the flags of the same names do ("--resume FILE: ...").
// The zero Run (with a Recipe) trains a new run and keeps nothing but the last epoch in memory.
type Run struct {
	Recipe Recipe
	// Command is the program's command line that the recipe's flags (Recipe.Args) follow, such as
	// {"mnist", "train"}: with them, the command that reproduces the run (Meta's "command") and
	// the one that continues it (Interrupted).
	Command []string
	Resume  string // the checkpoint to continue; "": a new run
	// Checkpoint is the file written after every epoch. Prepare makes it Resume (unless given),
	// or Save + ".ckpt", which SaveModel removes once the model is saved. "": none (Interrupted
	// then writes the last epoch to Command[0] + ".ckpt" in the working directory).
	Checkpoint string
	Save       string // the model file SaveModel writes; "": none
	History    string // the CSV file WriteHistory writes (SaveHistory); "": none

	// Set by Start:
	Data       *dataset.Data // the data, as loaded
	Train, Val *dataset.Set  // Recipe.Split of Data.Train (Val is nil without Recipe.ValSize)
	Trainer    *Trainer      // a new trainer of Recipe, or the one Resume continues

	resumed *Checkpoint
	ckpt    Checkpointer
}

// Prepare readies the run and checks it before any work, in this order. With Resume, it loads the
// checkpoint and takes from it the settings of the recipe not given (Recipe.Restore; a given
// "epochs" may grow and a given "data" may move), and checkpoints to Resume unless "checkpoint"
// was given. It then checks the recipe's settings (Recipe.Configs, for samples of inputs
// features and classes classes: the data's own sizes size the network, see Start) and that the
// data can be found (Recipe.FindData). Last it makes Checkpoint Save + ".ckpt" when empty and
// Save is given, and checks that History, Save and Checkpoint can be written (CheckOutput).
//
// given reports whether a setting of the recipe, "resume" or "checkpoint" was given, as
// pflag.FlagSet.Changed does; nil means none was. Errors a setting can fix are *SettingErrors: a
// Resume given empty, settings other than the checkpoint's, Save the same file as Checkpoint, and
// those of Configs, FindData and CheckOutput. A checkpoint that cannot be read is an error naming
// its file.
func (r *Run) Prepare(given func(name string) bool, inputs, classes int) error {
	if given == nil {
		given = func(string) bool { return false }
	}
	if given("resume") && r.Resume == "" {
		return settingErr("resume", "", " needs the checkpoint file to continue")
	}
	if r.Resume != "" {
		ck, err := LoadCheckpoint(r.Resume)
		if err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if err := r.Recipe.Restore(ck.Meta, given, "epochs", "data"); err != nil {
			return fmt.Errorf("--resume %s: %w", r.Resume, err)
		}
		r.resumed = ck
		if !given("checkpoint") {
			r.Checkpoint = r.Resume // keep checkpointing where the run resumed from
		}
	}
	if _, _, err := r.Recipe.Configs(inputs, classes); err != nil {
		return err
	}
	if err := r.Recipe.FindData(); err != nil {
		return err
	}
	if r.Checkpoint == "" && r.Save != "" {
		r.Checkpoint = r.Save + ".ckpt"
	}
	if model.SameFile(r.Save, r.Checkpoint) {
		return settingErr("save", r.Save, "the same file as --checkpoint: the model would replace the checkpoint")
	}
	outs := [][2]string{{"history", r.History}, {"save", r.Save}, {"checkpoint", r.Checkpoint}}
	for _, out := range outs {
		if err := CheckOutput(out[0], out[1]); err != nil {
			return err
		}
	}
	return CheckDistinct(outs...)
}

// Start splits the training set of d (Recipe.Split) into Train and Val, and makes the Trainer: a
// new one of the recipe for d's samples and classes (Recipe.NewTrainer), or, after Prepare with
// Resume, the one the checkpoint continues up to the recipe's epochs (Resume). A checkpoint whose
// network takes another number of inputs than d's samples have is an error.
func (r *Run) Start(d *dataset.Data) error {
	trainSet, val, err := r.Recipe.Split(d.Train)
	if err != nil {
		return err
	}
	var t *Trainer
	switch ck := r.resumed; {
	case ck == nil:
		t, err = r.Recipe.NewTrainer(trainSet.Features, len(d.Classes))
	case ck.Net.Inputs != trainSet.Features:
		err = fmt.Errorf("--resume %s: the model takes %d inputs, the data has %d", r.Resume, ck.Net.Inputs, trainSet.Features)
	default:
		t, err = Resume(ck, r.Recipe.Epochs)
	}
	if err != nil {
		return err
	}
	r.Data, r.Train, r.Val, r.Trainer = d, trainSet, val, t
	r.ckpt = Checkpointer{Path: r.Checkpoint, Meta: r.Meta}
	return nil
}

// String returns the first line of a started run: "Training mlp 784-256-10 relu ..., adam ...;
// data: 55000 train, 5000 validation, 10000 test".
func (r *Run) String() string {
	val := 0
	if r.Val != nil {
		val = r.Val.Len()
	}
	return fmt.Sprintf("Training %s; data: %d train, %d validation, %d test", r.Trainer, r.Train.Len(), val, r.Data.Test.Len())
}

// Meta returns what the model file and the checkpoints of a started run keep of it: the recipe's
// settings (Recipe.Meta, which Prepare takes back on Resume), the data (DataMeta), the command
// that reproduces the run ("command": Command and Recipe.Args) and the epochs done ("epochs").
func (r *Run) Meta() map[string]string {
	meta := r.Recipe.Meta()
	maps.Copy(meta, DataMeta(r.Data))
	meta["command"], meta["epochs"] = r.Recipe.CommandLine(r.Command...), fmt.Sprint(len(r.Trainer.History))
	return meta
}

// Epoch checkpoints the run after an epoch (Checkpointer.Epoch): in memory, and in Checkpoint
// when there is one. Call it from the Trainer's OnEpoch.
func (r *Run) Epoch() error { return r.ckpt.Epoch(r.Trainer) }

// Interrupted keeps the last finished epoch of a run that Fit stopped with ErrInterrupted, the
// signal sig having arrived (SignalContext): it is in Checkpoint already, or written to
// Command[0] + ".ckpt" (Checkpointer.Keep). It returns an *InterruptedError saying where, and the
// command that continues the run, or, before the first epoch finished, that nothing was saved.
// An error writing the checkpoint is returned as it is, wrapped.
func (r *Run) Interrupted(sig os.Signal) error {
	fallback := "run.ckpt"
	if len(r.Command) > 0 {
		fallback = filepath.Base(r.Command[0]) + ".ckpt"
	}
	path, err := r.ckpt.Keep(fallback)
	if errors.Is(err, ErrNoEpoch) {
		return &InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %s before the first epoch finished; nothing to save", SignalName(sig))}
	} else if err != nil {
		return fmt.Errorf("interrupted by %s; saving the checkpoint failed: %w", SignalName(sig), err)
	}
	next := append(slices.Clone(r.Command), "--resume", path, "--epochs", fmt.Sprint(r.Trainer.Config.Epochs))
	if r.Save != "" {
		next = append(next, "--save", r.Save)
	}
	epochs := "epochs"
	if len(r.Trainer.History) == 1 {
		epochs = "epoch"
	}
	return &InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %s after %d finished %s; checkpoint saved to %s; continue with: %s",
		SignalName(sig), len(r.Trainer.History), epochs, path, strings.Join(next, " "))}
}

// WriteHistory writes the Trainer's history to History, when given, as CSV (SaveHistory). Call it
// whatever Fit returned: the epochs of a failed run are worth keeping too.
func (r *Run) WriteHistory() error {
	if r.History == "" {
		return nil
	}
	if err := SaveHistory(r.History, r.Trainer.History); err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	return nil
}

// SaveModel writes the trained network to Save, when given, with Meta and the test accuracy
// ("test_accuracy", 4 decimals), then removes the checkpoint Save + ".ckpt", only a safety net
// while the model was not saved. Errors are model.Save's.
func (r *Run) SaveModel(testAccuracy float64) error {
	if r.Save == "" {
		return nil
	}
	meta := r.Meta()
	meta["test_accuracy"] = fmt.Sprintf("%.4f", testAccuracy)
	if err := model.Save(r.Save, model.Saved{Net: r.Trainer.Net, Meta: meta}); err != nil {
		return err
	}
	if r.Checkpoint == r.Save+".ckpt" {
		os.Remove(r.Checkpoint)
	}
	return nil
}
