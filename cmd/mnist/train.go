package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// outputs are the flags of 'mnist train' that keep its results.
type outputs struct{ Save, Checkpoint, Resume, PlotDir string }

func (o *outputs) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.Save, "save", "", "save the trained model to this file (with the flags and final metrics)")
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "save model, solver state and history here after every epoch (default with --save: FILE.ckpt)")
	fs.StringVar(&o.Resume, "resume", "", "continue the run saved in this checkpoint up to --epochs")
	fs.StringVar(&o.PlotDir, "plot-dir", "", "write curves.png, confusion.png, mistakes.png and weights.png into this directory")
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist train", pflag.ContinueOnError)
	r := train.DefaultRecipe()
	var f runFlags
	var o outputs
	addRecipe(fs, &r)
	f.register(fs)
	o.register(fs)
	if err := cli.ParseCommand(fs, args, stdout, "mnist train [flags]\n\nTrains a perceptron or an MLP on MNIST and prints its test accuracy.", false); err != nil {
		return err
	}
	var ck *train.Checkpoint
	if o.Resume != "" {
		var err error
		if ck, err = resumeFlags(fs, o.Resume); err != nil {
			return err
		}
		if !fs.Changed("checkpoint") {
			o.Checkpoint = o.Resume // keep checkpointing where we resumed from
		}
	}
	// Validate everything before any work: settings, the data directory, the output paths.
	if _, _, err := r.Configs(dataset.DigitSize*dataset.DigitSize, dataset.MNISTClasses); err != nil {
		return err
	}
	if err := checkData(f.Data); err != nil {
		return err
	}
	if o.Checkpoint == "" && o.Save != "" {
		o.Checkpoint = o.Save + ".ckpt"
	}
	for _, out := range [][2]string{{"history", f.History}, {"save", o.Save}, {"checkpoint", o.Checkpoint}} {
		if err := cli.CheckWritable(out[0], out[1]); err != nil {
			return err
		}
	}
	if err := checkPlotDir(o.PlotDir); err != nil {
		return err
	}

	full, testSet, err := dataset.LoadMNIST(f.Data)
	if err != nil {
		return err
	}
	trainSet, valSet, err := split(full, &r)
	if err != nil {
		return err
	}
	trainer, err := newTrainer(ck, &r, trainSet.Features, o.Resume) // other IDX data (32x32, say) sizes the input layer
	if err != nil {
		return err
	}
	tc := trainer.Config
	ctx, stop := cli.SignalContext(context.Background()) // before the run line, which tests wait for
	fmt.Fprintln(stdout, runLine(trainer, trainSet, valSet, testSet))
	for _, e := range trainer.History { // a resumed run prints the epochs it continues from
		fmt.Fprintln(stdout, e.Line(tc.Epochs, tc.Schedule.Varies()))
	}

	progress := cli.NewProgress(stderr, !f.Quiet && cli.IsTerminal(stderr))
	ckpt := &train.Checkpointer{Path: o.Checkpoint, Meta: func() map[string]string { return runMeta(fs, &r, len(trainer.History)) }}
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
		historyErr = writeHistory(f.History, trainer.History)
	}
	if errors.Is(err, train.ErrInterrupted) {
		return interrupted(sig, ckpt, tc.Epochs, len(trainer.History))
	}
	if err != nil {
		return err
	}
	if trainer.StoppedEarly {
		fmt.Fprintf(stdout, "Early stopping after epoch %d: the validation loss has not improved for %d epochs; restored the weights of epoch %d (val loss %.4f)\n",
			len(trainer.History), tc.Patience, trainer.Best.Epoch, trainer.Best.ValLoss)
	}
	result, err := trainer.Eval.Evaluate(testSet)
	if err != nil {
		return err
	}
	if o.Save != "" {
		meta := runMeta(fs, &r, len(trainer.History))
		meta["test_accuracy"] = fmt.Sprintf("%.4f", result.Accuracy)
		if err := model.Save(o.Save, model.Saved{Net: trainer.Net, Meta: meta}); err != nil {
			return err
		}
		if o.Checkpoint == o.Save+".ckpt" { // the default checkpoint is only a safety net
			os.Remove(o.Checkpoint)
		}
	}
	return errors.Join(report(stdout, o.PlotDir, f.Report, trainer.History, testSet, result, trainer.Net), historyErr)
}

// runMeta is what model files and checkpoints keep of a run: the command that reproduces it, the
// epochs done, and every flag's value (which --resume re-applies) but where to resume from.
func runMeta(fs *pflag.FlagSet, r *train.Recipe, epochs int) map[string]string {
	meta := map[string]string{"command": commandLine(r), "epochs": fmt.Sprint(epochs)}
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Name != "resume" && fl.Name != "checkpoint" {
			meta["flag."+fl.Name] = fl.Value.String()
		}
	})
	return meta
}

// resumable lists the flags whose value may differ from the checkpoint's on --resume: how long to
// train, where the data is, and what to print and keep.
var resumable = []string{"epochs", "data", "history", "report", "quiet", "save", "plot-dir"}

// resumeFlags loads the checkpoint named by --resume and sets every flag that was not given to the
// checkpoint's value. A given flag whose value differs from the checkpoint's is a usage error
// unless it is resumable: repeating the command that started the run is fine.
func resumeFlags(fs *pflag.FlagSet, path string) (*train.Checkpoint, error) {
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	if _, ok := ck.Meta["flag.epochs"]; !ok {
		return nil, fmt.Errorf("--resume %s: not a checkpoint of 'mnist train' (it keeps no flags)", path)
	}
	var changed []string
	fs.VisitAll(func(fl *pflag.Flag) {
		old, ok := ck.Meta["flag."+fl.Name]
		switch {
		case !ok || slices.Contains(resumable, fl.Name) && fs.Changed(fl.Name):
		case !fs.Changed(fl.Name):
			err = errors.Join(err, fs.Set(fl.Name, old))
		case fl.Value.String() != old:
			changed = append(changed, fmt.Sprintf("--%s %s (the checkpoint has %s)", fl.Name, fl.Value, old))
		}
	})
	if len(changed) > 0 {
		return nil, cli.Usagef("%s: a resumed run keeps the checkpoint's settings; drop the flag or start a new run", strings.Join(changed, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("--resume %s: flags: %w", path, err)
	}
	return ck, nil
}

// interrupted saves the last finished epoch's checkpoint (when no --checkpoint file already holds
// it) and says how to resume.
func interrupted(sig os.Signal, ckpt *train.Checkpointer, epochs, done int) error {
	if !ckpt.HasLast() {
		return &cli.InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %v before the first epoch finished; nothing to save", sig)}
	}
	path := ckpt.Path
	if path == "" {
		path = "mnist.ckpt"
		if err := ckpt.SaveLast(path); err != nil {
			return fmt.Errorf("interrupted by %v; saving the checkpoint failed: %w", sig, err)
		}
	}
	return &cli.InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %v after %d finished epochs; checkpoint saved to %s; continue with: mnist train --resume %s --epochs %d",
		sig, done, path, path, epochs)}
}

func writeHistory(path string, h train.History) error {
	err := model.WriteFileAtomic(path, h.WriteCSV)
	if err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	return nil
}
