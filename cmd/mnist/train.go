package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// registerOutputs adds the flags of 'mnist train' that keep its results.
func (f *runFlags) registerOutputs(fs *pflag.FlagSet) {
	fs.StringVar(&f.Save, "save", "", "save the trained model to this file (with the flags and final metrics)")
	fs.StringVar(&f.Checkpoint, "checkpoint", "", "save model, solver state and history here after every epoch (default with --save: FILE.ckpt)")
	fs.StringVar(&f.Resume, "resume", "", "continue the run saved in this checkpoint up to --epochs")
	fs.StringVar(&f.PlotDir, "plot-dir", "", "write curves.png, confusion.png, mistakes.png and weights.png into this directory")
	fs.StringVar(&f.CPUProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof FILE)")
	fs.StringVar(&f.MemProfile, "memprofile", "", "write a memory (allocation) profile of the run to this file")
}

func runTrain(args []string, stdout, stderr io.Writer) (err error) {
	fs := pflag.NewFlagSet("mnist train", pflag.ContinueOnError)
	r := train.DefaultRecipe()
	var f runFlags
	addRecipe(fs, &r)
	f.register(fs)
	f.registerOutputs(fs)
	if err := cli.ParseCommand(fs, args, stdout, "mnist train [flags]\n\nTrains a perceptron or an MLP on MNIST and prints its test accuracy.", false); err != nil {
		return err
	}
	var ck *train.Checkpoint
	if fs.Changed("resume") && f.Resume == "" {
		return cli.Usagef("--resume needs the checkpoint file to continue")
	}
	if f.Resume != "" {
		var err error
		if ck, err = resumeFlags(fs, &r, f.Resume); err != nil {
			return err
		}
		if !fs.Changed("checkpoint") {
			f.Checkpoint = f.Resume // keep checkpointing where we resumed from
		}
	}
	// Validate everything before any work: settings, the data directory, the output paths.
	if _, _, err := r.Configs(dataset.DigitSize*dataset.DigitSize, dataset.MNISTClasses); err != nil {
		return err
	}
	if err := r.FindData(); err != nil {
		return err
	}
	if f.Checkpoint == "" && f.Save != "" {
		f.Checkpoint = f.Save + ".ckpt"
	}
	if f.Save != "" && f.Save == f.Checkpoint {
		return cli.Usagef("--save %s: the same file as --checkpoint: the model would replace the checkpoint", f.Save)
	}
	for _, out := range [][2]string{{"history", f.History}, {"save", f.Save}, {"checkpoint", f.Checkpoint}, {"cpuprofile", f.CPUProfile}, {"memprofile", f.MemProfile}} {
		if err := train.CheckOutput(out[0], out[1]); err != nil {
			return err
		}
	}
	if err := train.CheckOutputDir("plot-dir", f.PlotDir); err != nil {
		return err
	}

	stopProfile, err := train.StartProfile(f.CPUProfile, f.MemProfile)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopProfile()) }()
	data, err := loadData(&r, false, stderr, "mnist train")
	if err != nil {
		return err
	}
	testSet := data.Test
	trainSet, valSet, err := r.Split(data.Train)
	if err != nil {
		return err
	}
	trainer, err := newTrainer(ck, &r, trainSet.Features, len(data.Classes), f.Resume) // other IDX data (32x32, say) sizes the input layer
	if err != nil {
		return err
	}
	tc := trainer.Config
	ctx, stop := train.SignalContext(context.Background()) // before the run line, which tests wait for
	fmt.Fprintln(stdout, runLine(trainer, trainSet, valSet, testSet))
	for _, e := range trainer.History { // a resumed run prints the epochs it continues from
		fmt.Fprintln(stdout, e.Line(tc.Epochs, tc.Schedule.Varies())+" (from "+f.Resume+")")
	}

	progress := train.NewProgress(stderr, f.Quiet)
	ckpt := &train.Checkpointer{Path: f.Checkpoint, Meta: func() map[string]string { return runMeta(&r, data, len(trainer.History)) }}
	trainer.OnBatch = func(epoch, batch, batches int) { progress.Batch(epoch, tc.Epochs, batch, batches) }
	trainer.OnEpoch = func(e train.Epoch) error {
		progress.Done()
		fmt.Fprintln(stdout, e.Line(tc.Epochs, tc.Schedule.Varies()))
		return ckpt.Epoch(trainer)
	}
	err = trainer.Fit(ctx, trainSet, valSet)
	progress.Done()
	sig := stop()
	var historyErr error // reported at the end: a failed history must not cost the model
	if f.History != "" {
		if historyErr = train.SaveHistory(f.History, trainer.History); historyErr != nil {
			historyErr = fmt.Errorf("--history: %w", historyErr)
		}
	}
	if errors.Is(err, train.ErrInterrupted) {
		return interrupted(sig, ckpt, tc.Epochs, len(trainer.History), f.Save)
	}
	if err != nil {
		return err
	}
	if line := trainer.StopLine(); line != "" {
		fmt.Fprintln(stdout, line)
	}
	result, err := trainer.Eval.Evaluate(testSet)
	if err != nil {
		return err
	}
	if f.Save != "" {
		meta := runMeta(&r, data, len(trainer.History))
		meta["test_accuracy"] = fmt.Sprintf("%.4f", result.Accuracy)
		if err := model.Save(f.Save, model.Saved{Net: trainer.Net, Meta: meta}); err != nil {
			return err
		}
		if f.Checkpoint == f.Save+".ckpt" { // the default checkpoint is only a safety net
			os.Remove(f.Checkpoint)
		}
	}
	return errors.Join(report(stdout, f.PlotDir, f.Report, trainer.History, testSet, result, trainer.Net, data.Classes), historyErr)
}

// runMeta is what model files and checkpoints keep of a run: the command that reproduces it, the
// epochs done, the recipe's settings (which --resume re-applies) and the data (its files'
// digests, class names and preparation).
func runMeta(r *train.Recipe, d *dataset.Data, epochs int) map[string]string {
	meta := r.Meta()
	maps.Copy(meta, train.DataMeta(d))
	meta["command"], meta["epochs"] = r.CommandLine("mnist", "train"), fmt.Sprint(epochs)
	return meta
}

// resumeFlags loads the checkpoint named by --resume and takes the run's settings and data
// directory from it, where not given (given ones must agree; --epochs may grow).
func resumeFlags(fs *pflag.FlagSet, r *train.Recipe, path string) (*train.Checkpoint, error) {
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	if err := r.Restore(ck.Meta, fs.Changed, "epochs", "data"); err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	return ck, nil
}

// interrupted saves the last finished epoch's checkpoint (when no --checkpoint file already holds
// it) and says how to resume.
func interrupted(sig os.Signal, ckpt *train.Checkpointer, epochs, done int, save string) error {
	path, err := ckpt.Keep("mnist.ckpt")
	if errors.Is(err, train.ErrNoEpoch) {
		return &train.InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %v before the first epoch finished; nothing to save", sig)}
	} else if err != nil {
		return fmt.Errorf("interrupted by %v; saving the checkpoint failed: %w", sig, err)
	}
	if save != "" {
		save = " --save " + save
	}
	return &train.InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %v after %d finished epochs; checkpoint saved to %s; continue with: mnist train --resume %s --epochs %d%s",
		sig, done, path, path, epochs, save)}
}
