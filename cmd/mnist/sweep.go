package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// sweepValSize is the validation set a sweep scores on when --val-size is not given: 5,000 of the
// 60,000 training images, the size Keras' and many papers' MNIST splits use.
const sweepValSize = 5000

// notSwept are the training flags a sweep does not vary: where the data is and what to print.
var notSwept = []string{"data", "history", "report", "quiet"}

// A trial is one combination of swept values, and what training with it gave.
type trial struct {
	Values     []string // one value per swept flag, in sweep.names order
	BestValAcc float64
	BestEpoch  int
	Epochs     int
	Seconds    float64
	flags      trainFlags
}

type sweep struct {
	names  []string    // the swept flags: those given more than one value
	values [][]string  // their values
	fixed  [][2]string // flags given one value: name, value
	base   trainFlags  // every other flag
}

func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist sweep", pflag.ContinueOnError)
	var template trainFlags
	tfs := pflag.NewFlagSet("template", pflag.ContinueOnError)
	template.register(tfs)
	lists := map[string]*string{}
	tfs.VisitAll(func(fl *pflag.Flag) {
		if fl.Value.Type() == "bool" || slices.Contains(notSwept, fl.Name) {
			fs.AddFlag(fl) // shared as they are
			return
		}
		usage := fl.Usage + "; a comma list sweeps over values"
		if fl.Name == "hidden" {
			usage = "hidden layer sizes, ':' between layers, ',' between values (e.g. 256,512:256)"
		}
		lists[fl.Name] = fs.String(fl.Name, fl.DefValue, usage)
	})
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
	sw := sweep{base: template}
	tfs.VisitAll(func(fl *pflag.Flag) {
		if p, ok := lists[fl.Name]; ok && fs.Changed(fl.Name) {
			if vs := splitList(*p); len(vs) > 1 {
				sw.names = append(sw.names, fl.Name)
				sw.values = append(sw.values, vs)
			} else {
				sw.fixed = append(sw.fixed, [2]string{fl.Name, vs[0]})
			}
		}
	})
	if len(sw.names) == 0 {
		return cli.Usagef("nothing to sweep: give at least one training flag a comma list of values (e.g. --lr 0.001,0.003)")
	}
	if n := gridSize(sw.values); n > maxGrid {
		return cli.Usagef("the grid of %s has more than %d combinations: give fewer values", strings.Join(sw.names, ", "), maxGrid)
	}
	combos := grid(sw.values)
	if *trials > 0 && *trials < len(combos) {
		rng := rand.New(rand.NewPCG(template.Seed, 0x5eeb))
		rng.Shuffle(len(combos), func(i, j int) { combos[i], combos[j] = combos[j], combos[i] })
		combos = combos[:*trials]
	}
	// Validate every combination before training any.
	todo := make([]trial, len(combos))
	for i, c := range combos {
		f, err := sw.flags(c)
		if err != nil {
			return err
		}
		if f.ValSize == 0 {
			return cli.Usagef("--val-size 0: a sweep scores on the validation set, which must not be empty")
		}
		if _, _, err := f.configs(28*28, dataset.MNISTClasses); err != nil {
			return err
		}
		todo[i] = trial{Values: c, flags: f}
	}
	for _, p := range []struct{ flag, path string }{{"out", *out}, {"save-best", *saveBest}} {
		if err := cli.CheckWritable(p.flag, p.path); err != nil {
			return err
		}
	}
	var done []trial
	if *resume {
		var err error
		if done, err = readSweepCSV(*out, sw.names); err != nil {
			return err
		}
	}
	full, _, err := dataset.LoadMNIST(template.Data)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "Sweep over %s: %d trials, scored on the validation set\n", strings.Join(sw.names, ", "), len(todo))
	ctx, stop := cli.SignalContext(context.Background())
	var bestModel []byte
	for i, tr := range todo {
		if slices.ContainsFunc(done, func(d trial) bool { return slices.Equal(d.Values, tr.Values) }) {
			fmt.Fprintf(stdout, "trial %d/%d: %s already in %s, skipped\n", i+1, len(todo), sw.label(tr.Values), *out)
			continue
		}
		result, net, err := runTrial(ctx, tr, full)
		if errors.Is(err, train.ErrInterrupted) {
			sig := stop()
			msg := fmt.Sprintf("sweep interrupted by %v after %d finished trials", sig, len(done))
			if *out != "" {
				msg += fmt.Sprintf("; results in %s; continue with the same command and --resume", *out)
			}
			return &cli.InterruptedError{Signal: sig, Msg: msg}
		}
		if err != nil {
			stop()
			return fmt.Errorf("trial %d (%s): %w", i+1, sw.label(tr.Values), err)
		}
		done = append(done, result)
		sortTrials(done)
		if *saveBest != "" && slices.Equal(done[0].Values, result.Values) {
			var b bytes.Buffer
			meta := map[string]string{"command": result.flags.commandLine(), "epochs": fmt.Sprint(result.Epochs),
				"best_val_acc": fmt.Sprintf("%.4f", result.BestValAcc)}
			if err := model.Write(&b, model.Saved{Net: net, Meta: meta}); err != nil {
				stop()
				return err
			}
			bestModel = b.Bytes()
		}
		fmt.Fprintf(stdout, "trial %d/%d: %s: best val acc %.4f at epoch %d of %d, %.1fs\n",
			i+1, len(todo), sw.label(result.Values), result.BestValAcc, result.BestEpoch, result.Epochs, result.Seconds)
		if *out != "" {
			if err := writeSweepCSV(*out, sw.names, done); err != nil {
				stop()
				return err
			}
		}
	}
	stop()
	fmt.Fprintln(stdout)
	printSweepTable(stdout, sw.names, done)
	if bestModel != nil {
		if err := writeBytes(*saveBest, bestModel); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Saved the best model to %s\n", *saveBest)
	} else if *saveBest != "" {
		fmt.Fprintf(stdout, "The best trial was trained by an earlier run (--resume), so --save-best saved nothing: run the command below with --save %s\n", *saveBest)
	}
	best := done[0].flags
	fmt.Fprintf(stdout, "Best (val acc %.4f): %s\n", done[0].BestValAcc, best.commandLine())
	return nil
}

// flags returns the training flags of one combination.
func (sw sweep) flags(values []string) (trainFlags, error) {
	var f trainFlags
	fs := pflag.NewFlagSet("trial", pflag.ContinueOnError)
	f.register(fs)
	f.Data, f.Quiet = sw.base.Data, true
	set := func(name, v string) error {
		given := v
		if name == "hidden" {
			v = strings.ReplaceAll(v, ":", ",")
		}
		if err := fs.Set(name, v); err != nil {
			return cli.Usagef("--%s %q: %v", name, given, err)
		}
		return nil
	}
	for _, nv := range sw.fixed {
		if err := set(nv[0], nv[1]); err != nil {
			return f, err
		}
	}
	for i, name := range sw.names {
		if err := set(name, values[i]); err != nil {
			return f, err
		}
	}
	if !fs.Changed("val-size") {
		f.ValSize = sweepValSize
	}
	if f.Model == "perceptron" && !fs.Changed("dropout") {
		f.Dropout = 0
	}
	return f, nil
}

func (sw sweep) label(values []string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = sw.names[i] + "=" + v
	}
	return strings.Join(parts, " ")
}

// runTrial trains one combination exactly as 'mnist train' would with the same flags.
func runTrial(ctx context.Context, tr trial, full *dataset.Set) (trial, *model.Network, error) {
	f := tr.flags
	mc, tc, err := f.configs(full.Features, dataset.MNISTClasses)
	if err != nil {
		return tr, nil, err
	}
	trainSet, valSet, err := f.split(full)
	if err != nil {
		return tr, nil, err
	}
	net, err := newNetwork(mc, &f)
	if err != nil {
		return tr, nil, err
	}
	trainer, err := train.NewTrainer(net, tc)
	if err != nil {
		return tr, nil, err
	}
	start := time.Now()
	if err := trainer.Fit(ctx, trainSet, valSet); err != nil {
		return tr, nil, err
	}
	tr.Seconds = time.Since(start).Seconds()
	tr.Epochs = len(trainer.History)
	for _, e := range trainer.History {
		if e.ValAcc > tr.BestValAcc {
			tr.BestValAcc, tr.BestEpoch = e.ValAcc, e.Epoch
		}
	}
	return tr, net, nil
}

// splitList splits a comma list of values.
func splitList(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// maxGrid bounds the combinations of a sweep: grid builds them all (even for --trials), and a few
// long lists could otherwise ask for billions and crash the program out of memory.
const maxGrid = 1 << 20

// gridSize returns the number of combinations of lists, or maxGrid+1 when there are more.
func gridSize(lists [][]string) int {
	for _, list := range lists {
		if len(list) == 0 {
			return 0
		}
	}
	n := 1
	for _, list := range lists {
		if len(list) > maxGrid/n {
			return maxGrid + 1
		}
		n *= len(list)
	}
	return n
}

// grid returns every combination of one value per list, the first list varying slowest.
func grid(lists [][]string) [][]string {
	combos := [][]string{nil}
	for _, list := range lists {
		var next [][]string
		for _, c := range combos {
			for _, v := range list {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		combos = next
	}
	return combos
}

// sortTrials orders by best validation accuracy, then by fewer seconds; stable for ties.
func sortTrials(ts []trial) {
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].BestValAcc != ts[j].BestValAcc {
			return ts[i].BestValAcc > ts[j].BestValAcc
		}
		return ts[i].Seconds < ts[j].Seconds
	})
}

var sweepColumns = []string{"best_val_acc", "best_epoch", "epochs", "seconds"}

func writeSweepCSV(path string, names []string, ts []trial) error {
	return model.WriteFileAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write(append(slices.Clone(names), sweepColumns...))
		for _, t := range ts {
			_ = cw.Write(append(slices.Clone(t.Values), fmt.Sprintf("%.4f", t.BestValAcc), strconv.Itoa(t.BestEpoch),
				strconv.Itoa(t.Epochs), fmt.Sprintf("%.1f", t.Seconds)))
		}
		cw.Flush()
		return cw.Error()
	})
}

// readSweepCSV reads the trials of an earlier run of the same sweep (--resume).
func readSweepCSV(path string, names []string) ([]trial, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // nothing done yet
	}
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("--out %s: %w", path, err)
	}
	want := append(slices.Clone(names), sweepColumns...)
	if len(rows) == 0 || !slices.Equal(rows[0], want) {
		return nil, fmt.Errorf("--out %s: its columns are not those of this sweep (%s); use another file", path, strings.Join(want, ","))
	}
	var ts []trial
	for i, r := range rows[1:] {
		n := len(names)
		acc, err1 := strconv.ParseFloat(r[n], 64)
		be, err2 := strconv.Atoi(r[n+1])
		ep, err3 := strconv.Atoi(r[n+2])
		sec, err4 := strconv.ParseFloat(r[n+3], 64)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("--out %s: row %d: %w", path, i+2, err)
		}
		ts = append(ts, trial{Values: r[:n], BestValAcc: acc, BestEpoch: be, Epochs: ep, Seconds: sec})
	}
	return ts, nil
}

func printSweepTable(w io.Writer, names []string, ts []trial) {
	header := append([]string{"rank"}, append(slices.Clone(names), sweepColumns...)...)
	rows := [][]string{header}
	for i, t := range ts {
		rows = append(rows, append(append([]string{strconv.Itoa(i + 1)}, t.Values...),
			fmt.Sprintf("%.4f", t.BestValAcc), strconv.Itoa(t.BestEpoch), strconv.Itoa(t.Epochs), fmt.Sprintf("%.1f", t.Seconds)))
	}
	width := make([]int, len(header))
	for _, r := range rows {
		for j, c := range r {
			width[j] = max(width[j], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for j, c := range r {
			fmt.Fprintf(&b, "%-*s  ", width[j], c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
