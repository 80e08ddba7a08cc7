package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/train"
	"gorgonet/train/sweep"
)

// sweepValSize is the validation set a sweep scores on when --val-size is not given: 5,000 of the
// 60,000 training images, the size Keras' and many papers' MNIST splits use.
const sweepValSize = 5000

func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist sweep", pflag.ContinueOnError)
	base := train.DefaultRecipe()
	base.ValSize = sweepValSize // so that --help shows the sweep's own default
	lists := map[string]*string{}
	for _, s := range base.Settings() {
		usage := s.Usage + "; a comma list sweeps over values"
		if s.Name == "hidden" {
			usage = "hidden layer sizes, ':' between layers, ',' between values (e.g. 256,512:256)"
		}
		lists[s.Name] = fs.String(s.Name, s.Value.String(), usage)
	}
	trials := fs.Int("trials", 0, "train N random combinations instead of the whole grid (0: grid)")
	out := fs.String("out", "", "write the results table as CSV to this file (rewritten after each trial)")
	saveBest := fs.String("save-best", "", "save the best trial's model to this file")
	resume := fs.Bool("resume", false, "skip the trials already in --out")
	if err := cli.ParseCommand(fs, args, stdout, "mnist sweep [flags]\n\nTrains every combination of the listed values (or --trials random ones), scores each on the\nvalidation set (never the test set), and prints the best as a 'mnist train' command.", false); err != nil {
		return err
	}
	if *trials < 0 {
		return cli.Usagef("--trials %d: must be >= 0", *trials)
	}
	if *resume && *out == "" {
		return cli.Usagef("--resume needs --out FILE (the CSV of the trials done)")
	}
	rs := sweep.Recipes{Base: train.DefaultRecipe(), Classes: dataset.MNISTClasses}
	rs.Base.ValSize = sweepValSize
	for _, set := range rs.Base.Settings() {
		if fs.Changed(set.Name) {
			if err := rs.SetList(set.Name, *lists[set.Name]); err != nil {
				return err
			}
		}
	}
	if len(rs.Space.Names) == 0 {
		if _, _, err := rs.Base.Configs(dataset.DigitSize*dataset.DigitSize, dataset.MNISTClasses); err != nil {
			return err // a bad single value first: it is what the user got wrong
		}
		return cli.Usagef("nothing to sweep: give at least one training flag a comma list of values (e.g. --lr 0.001,0.003)")
	}
	combos, err := rs.Space.Sample(*trials, rs.Base.Seed)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	rs.Data = &dataset.Set{Features: dataset.DigitSize * dataset.DigitSize} // to check the combinations before loading
	if err := rs.Check(combos); err != nil {
		return err
	}
	for _, p := range [][2]string{{"out", *out}, {"save-best", *saveBest}} {
		if err := train.CheckOutput(p[0], p[1]); err != nil {
			return err
		}
	}
	if err := train.CheckDistinct([2]string{"out", *out}, [2]string{"save-best", *saveBest}); err != nil {
		return err
	}
	if err := rs.Base.FindData(); err != nil {
		return err
	}
	data, err := loadData(&rs.Base, false, stderr, "mnist sweep")
	if err != nil {
		return err
	}
	rs.Data, rs.Classes = data.Train, len(data.Classes)

	fmt.Fprintf(stdout, "Sweep over %s: %d trials, scored on the validation set\n", strings.Join(rs.Space.Names, ", "), len(combos))
	onTrial := func(i, n int, t sweep.Trial, skipped bool) {
		if skipped {
			fmt.Fprintf(stdout, "trial %d/%d: %s already in %s, skipped\n", i, n, rs.Space.Label(t.Values), *out)
			return
		}
		fmt.Fprintf(stdout, "trial %d/%d: %s: best val acc %.4f at epoch %d of %d, %.1fs\n",
			i, n, rs.Space.Label(t.Values), t.BestValAcc, t.BestEpoch, t.Epochs, t.Seconds)
	}
	ctx, stop := train.SignalContext(context.Background())
	res, err := sweep.Run(ctx, rs.Space, combos, rs.Train, sweep.Options{CSV: *out, Resume: *resume, OnTrial: onTrial})
	sig := stop()
	var csvErr *sweep.CSVError
	switch {
	case errors.Is(err, train.ErrInterrupted):
		msg := fmt.Sprintf("sweep interrupted by %s after %d finished trials", train.SignalName(sig), len(res.Trials))
		if *out != "" {
			msg += fmt.Sprintf("; results in %s; continue with the same command and --resume", *out)
		}
		return &train.InterruptedError{Signal: sig, Msg: msg}
	case errors.As(err, &csvErr):
		return fmt.Errorf("--out %w", err)
	case err != nil:
		return err
	}
	fmt.Fprintln(stdout)
	_ = sweep.WriteTable(stdout, rs.Space.Names, res.Trials)
	best, _ := rs.Recipe(res.Trials[0].Values)
	if *saveBest != "" {
		saved, err := res.SaveBest(*saveBest, map[string]string{"command": best.CommandLine("mnist", "train"), "epochs": fmt.Sprint(res.Trials[0].Epochs),
			"best_val_acc": fmt.Sprintf("%.4f", res.Trials[0].BestValAcc)})
		if err != nil {
			return err
		}
		msg := map[bool]string{true: "Saved the best model to %s\n", false: "The best trial was trained by an earlier run (--resume), so --save-best saved nothing: run the command below with --save %s\n"}
		fmt.Fprintf(stdout, msg[saved], *saveBest)
	}
	fmt.Fprintf(stdout, "Best (val acc %.4f): %s\n", res.Trials[0].BestValAcc, best.CommandLine("mnist", "train"))
	return nil
}
