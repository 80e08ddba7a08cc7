package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
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
	run := train.Run{Recipe: train.DefaultRecipe(), Command: []string{"mnist", "train"}}
	var f runFlags
	addRecipe(fs, &run.Recipe)
	f.register(fs)
	f.registerOutputs(fs)
	if err := cli.ParseCommand(fs, args, stdout, "mnist train [flags]\n\nTrains a perceptron or an MLP on MNIST and prints its test accuracy.", false); err != nil {
		return err
	}
	// Validate everything before any work: the checkpoint to resume, settings, the data directory,
	// the output paths.
	run.History, run.Save, run.Checkpoint, run.Resume = f.History, f.Save, f.Checkpoint, f.Resume
	if err := run.Prepare(fs.Changed, dataset.DigitSize*dataset.DigitSize, dataset.MNISTClasses); err != nil {
		return err
	}
	outs := [][2]string{{"history", run.History}, {"save", run.Save}, {"checkpoint", run.Checkpoint}, {"cpuprofile", f.CPUProfile}, {"memprofile", f.MemProfile}}
	for _, out := range outs[3:] {
		if err := train.CheckOutput(out[0], out[1]); err != nil {
			return err
		}
	}
	if err := train.CheckDistinct(outs...); err != nil {
		return err
	}
	if err := train.CheckOutputDir("plot-dir", f.PlotDir); err != nil {
		return err
	}

	stopProfile, err := train.StartProfile(f.CPUProfile, f.MemProfile)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopProfile()) }()
	data, err := loadData(&run.Recipe, false, stderr, "mnist train")
	if err != nil {
		return err
	}
	if err := run.Start(data); err != nil { // other IDX data (32x32, say) sizes the input layer
		return err
	}
	trainer, tc := run.Trainer, run.Trainer.Config
	ctx, stop := train.SignalContext(context.Background()) // before the run line, which tests wait for
	fmt.Fprintln(stdout, &run)
	for _, e := range trainer.History { // a resumed run prints the epochs it continues from
		fmt.Fprintln(stdout, e.Line(tc.Epochs, tc.Schedule.Varies())+" (from "+run.Resume+")")
	}

	progress := train.NewProgress(stderr, f.Quiet)
	trainer.OnBatch = func(epoch, batch, batches int) { progress.Batch(epoch, tc.Epochs, batch, batches) }
	trainer.OnEpoch = func(e train.Epoch) error {
		progress.Done()
		fmt.Fprintln(stdout, e.Line(tc.Epochs, tc.Schedule.Varies()))
		return run.Epoch()
	}
	err = trainer.Fit(ctx, run.Train, run.Val)
	progress.Done()
	sig := stop()
	historyErr := run.WriteHistory() // reported at the end: a failed history must not cost the model
	if errors.Is(err, train.ErrInterrupted) {
		return run.Interrupted(sig)
	}
	if err != nil {
		return err
	}
	if line := trainer.StopLine(); line != "" {
		fmt.Fprintln(stdout, line)
	}
	result, err := trainer.Eval.Evaluate(data.Test)
	if err != nil {
		return err
	}
	if err := run.SaveModel(result.Accuracy); err != nil {
		return err
	}
	return errors.Join(report(stdout, f.PlotDir, f.Report, trainer.History, data.Test, result, trainer.Net, data.Classes), historyErr)
}
