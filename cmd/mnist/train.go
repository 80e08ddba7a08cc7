package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// Defaults of 'mnist train', in one place. They reach test accuracy >= 0.98 within 10 epochs
// with margin; README explains the choice.
var defaults = trainFlags{
	Model:      "mlp",
	Hidden:     "256",
	Activation: "relu",
	Dropout:    0.2,
	Optimizer:  "adam",
	LearnRate:  0, // per optimizer: train.DefaultLearnRate
	Momentum:   0.9,
	Epochs:     10,
	BatchSize:  100,
	ValSize:    0,
	Seed:       1,
	DType:      "float32",
	Schedule:   "constant",
	StepEvery:  5,
	StepGamma:  0.5,
}

// trainFlags are the flags of 'mnist train', shared with the commands that train too.
type trainFlags struct {
	Model, Hidden, Activation, Optimizer, DType string
	Dropout, L2, LearnRate, Momentum            float64
	Epochs, BatchSize, ValSize, TrainLimit      int
	Patience, StepEvery, Warmup                 int
	Schedule                                    string
	StepGamma                                   float64
	Seed                                        uint64
	Data, History, Save, Checkpoint, Resume     string
	PlotDir                                     string
	Report, Quiet                               bool
}

func (f *trainFlags) register(fs *pflag.FlagSet) {
	d := defaults
	fs.StringVar(&f.Model, "model", d.Model, "model: perceptron (single layer, softmax regression) or mlp")
	fs.StringVar(&f.Hidden, "hidden", d.Hidden, "hidden layer sizes of the mlp, comma separated (e.g. 512,256)")
	fs.StringVar(&f.Activation, "activation", d.Activation, "hidden activation: "+strings.Join(model.Activations(), ", "))
	fs.Float64Var(&f.Dropout, "dropout", d.Dropout, "probability of dropping a hidden unit in training, in [0,1)")
	fs.Float64Var(&f.L2, "l2", d.L2, "L2 penalty lambda: adds (lambda/2)*sum(W^2) to the loss")
	fs.StringVar(&f.Optimizer, "optimizer", d.Optimizer, "solver: "+strings.Join(train.Optimizers, ", "))
	fs.Float64Var(&f.LearnRate, "lr", d.LearnRate, "learning rate (0: 0.1 for sgd, 0.01 for momentum, 0.001 for adam and rmsprop)")
	fs.Float64Var(&f.Momentum, "momentum", d.Momentum, "momentum coefficient of --optimizer momentum, in [0,1)")
	fs.IntVar(&f.Epochs, "epochs", d.Epochs, "passes over the training set")
	fs.IntVar(&f.Patience, "patience", d.Patience, "stop when the validation loss has not improved for N epochs, keeping the best epoch's weights (0: never)")
	fs.StringVar(&f.Schedule, "lr-schedule", d.Schedule, "learning-rate schedule: "+strings.Join(train.Schedules, ", "))
	fs.IntVar(&f.StepEvery, "lr-step-every", d.StepEvery, "step schedule: epochs between steps")
	fs.Float64Var(&f.StepGamma, "lr-step-gamma", d.StepGamma, "step schedule: factor applied at each step")
	fs.IntVar(&f.Warmup, "lr-warmup", d.Warmup, "epochs of linear learning-rate warm-up before the schedule")
	fs.IntVar(&f.BatchSize, "batch-size", d.BatchSize, "samples per training step")
	fs.IntVar(&f.ValSize, "val-size", d.ValSize, "samples held out of the training file for validation (0: none)")
	fs.IntVar(&f.TrainLimit, "train-limit", d.TrainLimit, "use only the first N training samples (0: all)")
	fs.Uint64Var(&f.Seed, "seed", d.Seed, "seed of the weights, the validation split, the batch order and dropout")
	fs.StringVar(&f.Data, "data", d.Data, "directory of MNIST-style IDX files (default: $MNIST_DIR, else the bundled MNIST)")
	fs.StringVar(&f.DType, "dtype", d.DType, "element type: float32 or float64")
	fs.StringVar(&f.History, "history", d.History, "write one CSV row per epoch to this file")
	fs.BoolVar(&f.Report, "report", d.Report, "print the classification report and confusion matrix of the test set")
	fs.BoolVar(&f.Quiet, "quiet", d.Quiet, "no progress bar (the run, epoch and result lines are always printed)")
}

// registerOutputs adds the flags of 'mnist train' that keep its results.
func (f *trainFlags) registerOutputs(fs *pflag.FlagSet) {
	fs.StringVar(&f.Save, "save", "", "save the trained model to this file (with the flags and final metrics)")
	fs.StringVar(&f.Checkpoint, "checkpoint", "", "save model, solver state and history here after every epoch (default with --save: FILE.ckpt)")
	fs.StringVar(&f.Resume, "resume", "", "continue the run saved in this checkpoint up to --epochs")
	fs.StringVar(&f.PlotDir, "plot-dir", "", "write curves.png, confusion.png, mistakes.png and weights.png into this directory")
}

// resumable lists the flags that may be given with --resume; the others come from the checkpoint.
var resumable = []string{"epochs", "data", "history", "report", "quiet", "save", "checkpoint", "resume", "plot-dir"}

// commandLine returns the flags that differ from the defaults, as a ready-to-run command.
func (f *trainFlags) commandLine() string {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	g := *f
	g.register(fs) // points the flags at g's fields and sets them to the defaults...
	g = *f         // ...so restore f's values
	d := pflag.NewFlagSet("", pflag.ContinueOnError)
	var def trainFlags
	def.register(d)
	args := []string{"mnist", "train"}
	fs.VisitAll(func(fl *pflag.Flag) {
		switch fl.Name {
		case "history", "report", "quiet", "data":
			return
		}
		if dv := d.Lookup(fl.Name); dv != nil && dv.Value.String() != fl.Value.String() {
			args = append(args, "--"+fl.Name, fl.Value.String())
		}
	})
	return strings.Join(args, " ")
}

// configs validates the flags and turns them into the model and training configs.
func (f *trainFlags) configs(inputs, outputs int) (model.Config, train.Config, error) {
	var mc model.Config
	switch f.Model {
	case "perceptron":
		mc = model.Perceptron(inputs, outputs)
	case "mlp":
		hidden, err := cli.ParseSizes("hidden", f.Hidden)
		if err != nil {
			return mc, train.Config{}, err
		}
		if len(hidden) == 0 {
			return mc, train.Config{}, cli.Usagef("--hidden is empty: an mlp needs at least one hidden layer (or use --model perceptron)")
		}
		mc = model.MLP(inputs, hidden, outputs)
	default:
		return mc, train.Config{}, cli.Usagef("--model %q: want perceptron or mlp", f.Model)
	}
	if _, err := model.ActivationByName(f.Activation); err != nil {
		return mc, train.Config{}, cli.Usagef("--activation: %v", err)
	}
	mc.Activation, mc.Dropout, mc.L2, mc.DType = f.Activation, f.Dropout, f.L2, f.DType
	if f.Dropout != 0 && f.Model == "perceptron" {
		return mc, train.Config{}, cli.Usagef("--dropout %g: a perceptron has no hidden layer to drop units from", f.Dropout)
	}
	checks := []error{
		cli.CheckRange("dropout", f.Dropout, 0, 0.99),
		cli.CheckRange("l2", f.L2, 0, 10),
		cli.CheckRange("lr", f.LearnRate, 0, 100),
		cli.CheckRange("momentum", f.Momentum, 0, 0.999),
		cli.CheckRange("epochs", float64(f.Epochs), 1, 100000),
		cli.CheckRange("batch-size", float64(f.BatchSize), 1, 1<<20),
		cli.CheckRange("val-size", float64(f.ValSize), 0, 1<<31),
		cli.CheckRange("train-limit", float64(f.TrainLimit), 0, 1<<31),
	}
	if err := errors.Join(checks...); err != nil {
		return mc, train.Config{}, firstError(checks)
	}
	if f.DType != "float32" && f.DType != "float64" {
		return mc, train.Config{}, cli.Usagef("--dtype %q: want float32 or float64", f.DType)
	}
	if err := mc.Validate(); err != nil {
		return mc, train.Config{}, &cli.UsageError{Err: err}
	}
	tc := train.Config{Optimizer: f.Optimizer, LearnRate: f.LearnRate, Momentum: f.Momentum,
		Epochs: f.Epochs, BatchSize: f.BatchSize, Seed: f.Seed, Patience: f.Patience,
		Schedule: train.Schedule{Name: f.Schedule, StepEvery: f.StepEvery, StepGamma: f.StepGamma, Warmup: f.Warmup}}
	if !contains(train.Schedules, f.Schedule) {
		return mc, tc, cli.Usagef("--lr-schedule %q: want one of %s", f.Schedule, strings.Join(train.Schedules, ", "))
	}
	for _, err := range []error{
		cli.CheckRange("patience", float64(f.Patience), 0, 1e6),
		cli.CheckRange("lr-step-every", float64(f.StepEvery), 1, 1e6),
		cli.CheckRange("lr-step-gamma", f.StepGamma, 1e-6, 1),
		cli.CheckRange("lr-warmup", float64(f.Warmup), 0, 1e6),
	} {
		if err != nil {
			return mc, tc, err
		}
	}
	if f.Warmup > 0 && f.Warmup >= f.Epochs {
		return mc, tc, cli.Usagef("--lr-warmup %d: must be less than --epochs (%d)", f.Warmup, f.Epochs)
	}
	if f.Patience > 0 && f.ValSize == 0 {
		return mc, tc, cli.Usagef("--patience %d needs a validation set: set --val-size", f.Patience)
	}
	if tc.LearnRate == 0 {
		tc.LearnRate = train.DefaultLearnRate(f.Optimizer)
	}
	if !contains(train.Optimizers, f.Optimizer) {
		return mc, tc, cli.Usagef("--optimizer %q: want one of %s", f.Optimizer, strings.Join(train.Optimizers, ", "))
	}
	if f.Optimizer == "momentum" && f.Momentum == 0 {
		// train.Config reads a zero Momentum as "the default, 0.9": it would silently train with 0.9.
		return mc, tc, cli.Usagef("--momentum 0: must be above 0 with --optimizer momentum (for none, use --optimizer sgd)")
	}
	return mc, tc, nil
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// loadData finds and loads MNIST, applies --train-limit and splits off the validation set.
func (f *trainFlags) loadData() (trainSet, valSet, testSet *dataset.Set, err error) {
	full, testSet, err := dataset.LoadMNIST(f.Data)
	if err != nil {
		return nil, nil, nil, err
	}
	trainSet, valSet, err = f.split(full)
	return trainSet, valSet, testSet, err
}

// split applies --train-limit and --val-size to the training file's samples.
func (f *trainFlags) split(full *dataset.Set) (trainSet, valSet *dataset.Set, err error) {
	trainSet = full.Limit(f.TrainLimit)
	if f.ValSize >= trainSet.Len() {
		return nil, nil, cli.Usagef("--val-size %d: must be smaller than the %d training samples", f.ValSize, trainSet.Len())
	}
	if trainSet, valSet, err = trainSet.Split(f.ValSize, f.Seed); err != nil {
		return nil, nil, err
	}
	if f.BatchSize > trainSet.Len() {
		return nil, nil, cli.Usagef("--batch-size %d: larger than the %d training samples", f.BatchSize, trainSet.Len())
	}
	return trainSet, valSet, nil
}

// newNetwork builds the model the flags describe, its weights drawn from --seed.
func newNetwork(mc model.Config, f *trainFlags) (*model.Network, error) {
	return model.New(mc, rand.New(rand.NewPCG(f.Seed, 0)))
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist train", pflag.ContinueOnError)
	var f trainFlags
	f.register(fs)
	f.registerOutputs(fs)
	if err := cli.ParseCommand(fs, args, stdout, "mnist train [flags]\n\nTrains a perceptron or an MLP on MNIST and prints its test accuracy.", false); err != nil {
		return err
	}
	if f.Model == "perceptron" && !fs.Changed("dropout") {
		f.Dropout = 0 // the default dropout is for the hidden layers of an mlp
	}
	var resumed *model.Saved
	if f.Resume != "" {
		saved, err := resumeFlags(&f, fs)
		if err != nil {
			return err
		}
		resumed = saved
	}
	// Validate everything before any work: flags, the data directory, the output paths.
	mc, tc, err := f.configs(28*28, dataset.MNISTClasses)
	if err != nil {
		return err
	}
	if _, err := dataset.FindMNIST(f.Data); err != nil {
		if f.Data != "" {
			return cli.Usagef("--data: %v", err)
		}
		return err
	}
	if f.Checkpoint == "" && f.Save != "" {
		f.Checkpoint = f.Save + ".ckpt"
	}
	for _, out := range []struct{ flag, path string }{{"history", f.History}, {"save", f.Save}, {"checkpoint", f.Checkpoint}} {
		if err := cli.CheckWritable(out.flag, out.path); err != nil {
			return err
		}
	}
	if err := checkPlotDir(f.PlotDir); err != nil {
		return err
	}

	trainSet, valSet, testSet, err := f.loadData()
	if err != nil {
		return err
	}
	mc.Inputs = trainSet.Features // other IDX data (e.g. 32x32 images) sizes the input layer
	var net *model.Network
	if resumed != nil {
		net = resumed.Net
		if net.Config.Inputs != mc.Inputs {
			return fmt.Errorf("--resume %s: the model takes %d inputs, the data has %d", f.Resume, net.Config.Inputs, mc.Inputs)
		}
	} else if net, err = newNetwork(mc, &f); err != nil {
		return err
	}
	trainer, err := train.NewTrainer(net, tc)
	if err != nil {
		return err
	}
	if resumed != nil {
		st, err := train.DecodeState(resumed.Extra[train.StateKey])
		if err != nil {
			return fmt.Errorf("--resume %s: %w", f.Resume, err)
		}
		if len(st.History) >= tc.Epochs {
			return cli.Usagef("--epochs %d: the checkpoint %s already holds %d epochs", tc.Epochs, f.Resume, len(st.History))
		}
		if err := trainer.Restore(st); err != nil {
			return fmt.Errorf("--resume %s: %w", f.Resume, err)
		}
	}
	ctx, stop := cli.SignalContext(context.Background()) // before the run line, which tests wait for
	fmt.Fprintln(stdout, runLine(net, tc, trainSet, valSet, testSet))
	for _, e := range trainer.History { // a resumed run prints the epochs it continues from
		fmt.Fprintln(stdout, epochLine(e, tc))
	}

	progress := cli.NewProgress(stderr, !f.Quiet && isTerminal(stderr))
	var lastGood []byte // the checkpoint of the last finished epoch, kept for an interrupt
	trainer.OnBatch = func(epoch, batch, batches int) { progress.Batch(epoch, tc.Epochs, batch, batches) }
	trainer.OnEpoch = func(e train.Epoch) error {
		progress.Done()
		fmt.Fprintln(stdout, epochLine(e, tc))
		b, err := checkpointBytes(trainer, &f)
		if err != nil {
			return err
		}
		lastGood = b
		if f.Checkpoint != "" {
			return writeBytes(f.Checkpoint, lastGood)
		}
		return nil
	}
	err = trainer.Fit(ctx, trainSet, valSet)
	progress.Done()
	sig := stop()
	var historyErr error // reported at the end: a failed history must not cost the model
	if f.History != "" {
		historyErr = writeHistory(f.History, trainer.History)
	}
	if errors.Is(err, train.ErrInterrupted) {
		return interrupted(sig, &f, trainer, lastGood)
	}
	if err != nil {
		return err
	}
	if trainer.StoppedEarly {
		fmt.Fprintf(stdout, "Early stopping after epoch %d: the validation loss has not improved for %d epochs; restored the weights of epoch %d (val loss %.4f)\n",
			len(trainer.History), f.Patience, trainer.Best.Epoch, trainer.Best.ValLoss)
	}
	result, err := trainer.Eval.Evaluate(testSet)
	if err != nil {
		return err
	}
	if f.Save != "" {
		meta := map[string]string{
			"command":       f.commandLine(),
			"epochs":        fmt.Sprint(len(trainer.History)),
			"test_accuracy": fmt.Sprintf("%.4f", result.Accuracy),
		}
		if err := model.Save(f.Save, model.Saved{Net: net, Meta: meta}); err != nil {
			return err
		}
		if f.Checkpoint == f.Save+".ckpt" { // the default checkpoint is only a safety net
			os.Remove(f.Checkpoint)
		}
	}
	if f.PlotDir != "" {
		paths, err := writePlots(f.PlotDir, trainer.History, testSet, result, net)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Pictures: %s\n", strings.Join(paths, ", "))
	}
	if f.Report {
		printReport(stdout, result)
	}
	fmt.Fprintf(stdout, "Test accuracy: %.4f\n", result.Accuracy)
	return historyErr
}

// resumeFlags loads the checkpoint named by --resume and takes every flag from it except the
// ones a resumed run may change (resumable); giving another one is a usage error.
func resumeFlags(f *trainFlags, fs *pflag.FlagSet) (*model.Saved, error) {
	var bad []string
	fs.Visit(func(fl *pflag.Flag) {
		if !contains(resumable, fl.Name) {
			bad = append(bad, "--"+fl.Name)
		}
	})
	if len(bad) > 0 {
		return nil, cli.Usagef("%s cannot change on --resume: the checkpoint fixes them", strings.Join(bad, ", "))
	}
	saved, err := model.Load(f.Resume)
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	blob, ok := saved.Extra[flagsKey]
	if !ok || saved.Extra[train.StateKey] == nil {
		return nil, fmt.Errorf("--resume %s: a model file, not a checkpoint (it has no training state)", f.Resume)
	}
	var old trainFlags
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&old); err != nil {
		return nil, fmt.Errorf("--resume %s: flags: %w", f.Resume, err)
	}
	given := map[string]string{} // the flags given now win over the checkpoint's
	fs.Visit(func(fl *pflag.Flag) { given[fl.Name] = fl.Value.String() })
	resume := f.Resume
	*f = old // the flag values point into f, so Set below writes over the checkpoint's
	for name, v := range given {
		if err := fs.Set(name, v); err != nil {
			return nil, &cli.UsageError{Err: err}
		}
	}
	f.Resume = resume
	if !fs.Changed("checkpoint") {
		f.Checkpoint = resume // keep checkpointing where we resumed from
	}
	return &saved, nil
}

// flagsKey is the key of the gob-encoded trainFlags in a checkpoint's Extra.
const flagsKey = "mnist.flags"

func checkpointBytes(t *train.Trainer, f *trainFlags) ([]byte, error) {
	st, err := t.State()
	if err != nil {
		return nil, err
	}
	blob, err := train.EncodeState(st)
	if err != nil {
		return nil, err
	}
	var fb bytes.Buffer
	if err := gob.NewEncoder(&fb).Encode(*f); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	meta := map[string]string{"command": f.commandLine(), "epochs": fmt.Sprint(len(t.History))}
	err = model.Write(&b, model.Saved{Net: t.Net, Meta: meta, Extra: map[string][]byte{train.StateKey: blob, flagsKey: fb.Bytes()}})
	return b.Bytes(), err
}

func writeBytes(path string, b []byte) error {
	return model.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// interrupted saves the last finished epoch's checkpoint (when no --checkpoint file already holds
// it) and says how to resume.
func interrupted(sig os.Signal, f *trainFlags, t *train.Trainer, lastGood []byte) error {
	done := len(t.History)
	if lastGood == nil {
		return &cli.InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %v before the first epoch finished; nothing to save", sig)}
	}
	path := f.Checkpoint
	if path == "" {
		path = "mnist.ckpt"
		if err := writeBytes(path, lastGood); err != nil {
			return fmt.Errorf("interrupted by %v; saving the checkpoint failed: %w", sig, err)
		}
	}
	return &cli.InterruptedError{Signal: sig, Msg: fmt.Sprintf("interrupted by %v after %d finished epochs; checkpoint saved to %s; continue with: mnist train --resume %s --epochs %d",
		sig, done, path, path, f.Epochs)}
}

func runLine(net *model.Network, tc train.Config, trainSet, valSet, testSet *dataset.Set) string {
	val := 0
	if valSet != nil {
		val = valSet.Len()
	}
	return fmt.Sprintf("Training %s, %d parameters; %s lr=%g, batch %d, %d epochs, seed %d; data: %d train, %d validation, %d test",
		net.Config, net.NumParams(), tc.Optimizer, tc.LearnRate, tc.BatchSize, tc.Epochs, tc.Seed,
		trainSet.Len(), val, testSet.Len())
}

// epochLine formats an epoch in the tutorial's "Epoch N, loss: F" form, extended with accuracy,
// validation figures when there is a validation set, the learning rate when a schedule varies it,
// and the seconds.
func epochLine(e train.Epoch, tc train.Config) string {
	line := fmt.Sprintf("Epoch %d/%d, loss: %.4f, train acc: %.4f", e.Epoch, tc.Epochs, e.Loss, e.TrainAcc)
	if e.ValAcc == e.ValAcc { // not NaN
		line += fmt.Sprintf(", val loss: %.4f, val acc: %.4f", e.ValLoss, e.ValAcc)
	}
	if tc.Schedule.Name != "constant" || tc.Schedule.Warmup > 0 {
		line += fmt.Sprintf(", lr: %.3g", e.LearnRate)
	}
	return line + fmt.Sprintf(", %.1fs", e.Seconds)
}

func printReport(w io.Writer, r *train.Result) {
	fmt.Fprintln(w, "Classification report (test set):")
	_ = train.NewReport(r.Confusion).Write(w)
	fmt.Fprintln(w, "Confusion matrix (rows: true digit, columns: predicted):")
	_ = r.Confusion.Write(w)
}

func writeHistory(path string, h train.History) error {
	var b strings.Builder
	if err := h.WriteCSV(&b); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && cli.IsTerminal(f)
}
