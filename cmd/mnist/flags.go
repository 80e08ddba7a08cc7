package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// runFlags are the flags of the commands that train besides the recipe's settings: where the data
// is and what to print.
type runFlags struct {
	Data, History string
	Report, Quiet bool
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Data, "data", "", "directory of MNIST-style IDX files (default: $MNIST_DIR, else the bundled MNIST)")
	fs.StringVar(&f.History, "history", "", "write one CSV row per epoch to this file")
	fs.BoolVar(&f.Report, "report", false, "print the classification report and confusion matrix of the test set")
	fs.BoolVar(&f.Quiet, "quiet", false, "no progress bar (the run, epoch and result lines are always printed)")
}

// addRecipe makes every setting of r a flag of fs.
func addRecipe(fs *pflag.FlagSet, r *train.Recipe) {
	for _, s := range r.Settings() {
		fs.Var(s.Value, s.Name, s.Usage)
	}
}

// commandLine returns the 'mnist train' command that reproduces r.
func commandLine(r *train.Recipe) string {
	return strings.Join(append([]string{"mnist", "train"}, r.Args()...), " ")
}

// split applies --train-limit and --val-size to the training file's samples.
func split(full *dataset.Set, r *train.Recipe) (trainSet, valSet *dataset.Set, err error) {
	trainSet = full.Limit(r.TrainLimit)
	if r.ValSize >= trainSet.Len() {
		return nil, nil, cli.Usagef("--val-size %d: must be smaller than the %d training samples", r.ValSize, trainSet.Len())
	}
	if trainSet, valSet, err = trainSet.Split(r.ValSize, r.Seed); err != nil {
		return nil, nil, err
	}
	if r.BatchSize > trainSet.Len() {
		return nil, nil, cli.Usagef("--batch-size %d: larger than the %d training samples", r.BatchSize, trainSet.Len())
	}
	return trainSet, valSet, nil
}

// newTrainer returns the trainer of a new run of r, or of the run ck continues (to r's epochs).
func newTrainer(ck *train.Checkpoint, r *train.Recipe, inputs int, resume string) (*train.Trainer, error) {
	mc, tc, err := r.Configs(inputs, dataset.MNISTClasses)
	if err != nil {
		return nil, err
	}
	if ck == nil {
		net, err := model.New(mc, rand.New(rand.NewPCG(r.Seed, 0)))
		if err != nil {
			return nil, err
		}
		return train.NewTrainer(net, tc)
	}
	if ck.Net.Inputs != inputs {
		return nil, fmt.Errorf("--resume %s: the model takes %d inputs, the data has %d", resume, ck.Net.Inputs, inputs)
	}
	if done := len(ck.State.History); done >= tc.Epochs {
		return nil, cli.Usagef("--epochs %d: the checkpoint %s already holds %d epochs", tc.Epochs, resume, done)
	}
	ck.State.Config.Epochs = tc.Epochs
	t, err := train.Resume(ck)
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %w", resume, err)
	}
	return t, nil
}

// runLine is the first line of a run.
func runLine(t *train.Trainer, trainSet, valSet, testSet *dataset.Set) string {
	val, tc := 0, t.Config
	if valSet != nil {
		val = valSet.Len()
	}
	return fmt.Sprintf("Training %s, %d parameters; %s lr=%g, batch %d, %d epochs, seed %d; data: %d train, %d validation, %d test",
		t.Net, t.Net.NumParams(), tc.Optimizer, tc.LearnRate, tc.BatchSize, tc.Epochs, tc.Seed, trainSet.Len(), val, testSet.Len())
}
