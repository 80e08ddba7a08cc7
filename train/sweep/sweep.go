package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"gorgonet/dataset"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorgonet/model"
	"gorgonet/train"
)

// MaxGrid bounds the combinations of a Space: Grid builds them all (also for Sample), and a few
// long lists could otherwise ask for billions and exhaust memory.
const MaxGrid = 1 << 20

// A Space is the settings a sweep varies: Names[i] takes each of Values[i]. Values are text, as
// given on a command line; the TrainFunc parses them.
type Space struct {
	Names  []string
	Values [][]string
}

// Size returns the number of combinations, or MaxGrid+1 when there are more than MaxGrid.
func (s Space) Size() int {
	for _, list := range s.Values {
		if len(list) == 0 {
			return 0
		}
	}
	n := 1
	for _, list := range s.Values {
		if len(list) > MaxGrid/n {
			return MaxGrid + 1
		}
		n *= len(list)
	}
	return n
}

// Grid returns every combination of one value per setting, the first setting varying slowest. A
// space of more than MaxGrid combinations is an error.
func (s Space) Grid() ([][]string, error) {
	if len(s.Names) != len(s.Values) {
		return nil, fmt.Errorf("sweep: %d names for %d value lists", len(s.Names), len(s.Values))
	}
	if s.Size() > MaxGrid {
		return nil, fmt.Errorf("the grid of %s has more than %d combinations: give fewer values", strings.Join(s.Names, ", "), MaxGrid)
	}
	combos := [][]string{nil}
	for _, list := range s.Values {
		var next [][]string
		for _, c := range combos {
			for _, v := range list {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		combos = next
	}
	return combos, nil
}

// Sample returns n combinations of the grid chosen at random without repetition, the same for the
// same seed (a shuffle of Grid by a PCG seeded with seed); all of them, in grid order, when n <= 0
// or n is at least the grid's size.
func (s Space) Sample(n int, seed uint64) ([][]string, error) {
	combos, err := s.Grid()
	if err != nil || n <= 0 || n >= len(combos) {
		return combos, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eeb))
	rng.Shuffle(len(combos), func(i, j int) { combos[i], combos[j] = combos[j], combos[i] })
	return combos[:n], nil
}

// Label returns "name=value name=value" for a combination, for messages.
func (s Space) Label(values []string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = s.Names[i] + "=" + v
	}
	return strings.Join(parts, " ")
}

// A Trial is one combination and what training with it gave.
type Trial struct {
	Values     []string // one per swept setting, in Space order
	BestValAcc float64  // the best validation accuracy of any epoch
	BestEpoch  int      // the epoch that reached it (1-based)
	Epochs     int      // epochs trained (fewer than asked when early stopping ended the run)
	Seconds    float64  // wall time of the training
}

// Score returns the trial of values trained with history h in the given time: the epoch of best
// validation accuracy (the first one on ties).
func Score(values []string, h train.History, seconds float64) Trial {
	t := Trial{Values: values, Epochs: len(h), Seconds: seconds}
	for _, e := range h {
		if e.ValAcc > t.BestValAcc {
			t.BestValAcc, t.BestEpoch = e.ValAcc, e.Epoch
		}
	}
	return t
}

// Rank orders trials by best validation accuracy, highest first, then by fewer seconds; ties keep
// their order.
func Rank(ts []Trial) {
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].BestValAcc != ts[j].BestValAcc {
			return ts[i].BestValAcc > ts[j].BestValAcc
		}
		return ts[i].Seconds < ts[j].Seconds
	})
}

// Columns are the CSV columns after the swept settings' names.
var Columns = []string{"best_val_acc", "best_epoch", "epochs", "seconds"}

// Row returns a trial's cells: its values, then Columns.
func (t Trial) Row() []string {
	return append(slices.Clone(t.Values), fmt.Sprintf("%.4f", t.BestValAcc), strconv.Itoa(t.BestEpoch),
		strconv.Itoa(t.Epochs), fmt.Sprintf("%.1f", t.Seconds))
}

// WriteTable writes the ranked trials as aligned text columns: rank, the settings, then Columns.
func WriteTable(w io.Writer, names []string, ts []Trial) error {
	rows := [][]string{append(append([]string{"rank"}, names...), Columns...)}
	for i, t := range ts {
		rows = append(rows, append([]string{strconv.Itoa(i + 1)}, t.Row()...))
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for j, c := range r {
			width[j] = max(width[j], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for j, c := range r {
			fmt.Fprintf(&line, "%-*s  ", width[j], c)
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes a header (names, then Columns) and one row per trial.
func WriteCSV(w io.Writer, names []string, ts []Trial) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(append(slices.Clone(names), Columns...))
	for _, t := range ts {
		_ = cw.Write(t.Row())
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads what WriteCSV wrote for the same names. A header with other columns is an error:
// the file belongs to another sweep.
func ReadCSV(r io.Reader, names []string) ([]Trial, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	want := append(slices.Clone(names), Columns...)
	if len(rows) == 0 || !slices.Equal(rows[0], want) {
		return nil, fmt.Errorf("its columns are not those of this sweep (%s); use another file", strings.Join(want, ","))
	}
	var ts []Trial
	n := len(names)
	for i, r := range rows[1:] {
		acc, err1 := strconv.ParseFloat(r[n], 64)
		be, err2 := strconv.Atoi(r[n+1])
		ep, err3 := strconv.Atoi(r[n+2])
		sec, err4 := strconv.ParseFloat(r[n+3], 64)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+2, err)
		}
		ts = append(ts, Trial{Values: r[:n], BestValAcc: acc, BestEpoch: be, Epochs: ep, Seconds: sec})
	}
	return ts, nil
}

// A TrainFunc trains the combination values (in Space order) and returns the training history and
// the trained network. It must score on a validation set: Score reads Epoch.ValAcc.
type TrainFunc func(ctx context.Context, values []string) (train.History, *model.Network, error)

// Options are a sweep's outputs. The zero value writes nothing and reports nothing.
type Options struct {
	// CSV is rewritten (atomically) after every trial with every finished trial, ranked; "" for
	// none.
	CSV string
	// Resume skips the combinations already in CSV (a missing file holds none).
	Resume bool
	// OnTrial, if set, is called after each combination: i of n (1-based), its trial, and whether
	// it was skipped (found in CSV) rather than trained.
	OnTrial func(i, n int, t Trial, skipped bool)
}

// A Result is a sweep's outcome.
type Result struct {
	Trials []Trial // every finished trial, ranked (Rank): the best first
	// Best is the network of Trials[0] when this run trained it; nil when the best trial came
	// from the CSV of an earlier run.
	Best *model.Network
}

// SaveBest saves the best trial's network to path with meta (model.Save) and reports whether it
// could: false, with no error, when the best trial was trained by an earlier run (Best is nil).
func (r *Result) SaveBest(path string, meta map[string]string) (bool, error) {
	if r.Best == nil {
		return false, nil
	}
	return true, model.Save(path, model.Saved{Net: r.Best, Meta: meta})
}

// Run trains every combination not already done and ranks the trials. When ctx is cancelled it
// returns the result so far (the CSV holds it) with an error wrapping train.ErrInterrupted; a
// failed trial stops the sweep with an error naming the combination.
func Run(ctx context.Context, space Space, combos [][]string, trainFn TrainFunc, opt Options) (*Result, error) {
	res := &Result{}
	if opt.Resume && opt.CSV != "" {
		done, err := readCSVFile(opt.CSV, space.Names)
		if err != nil {
			return nil, err
		}
		res.Trials = done
	}
	finished := 0
	for i, values := range combos {
		if j := slices.IndexFunc(res.Trials, func(t Trial) bool { return slices.Equal(t.Values, values) }); j >= 0 {
			if opt.OnTrial != nil {
				opt.OnTrial(i+1, len(combos), res.Trials[j], true)
			}
			continue
		}
		start := time.Now()
		h, net, err := trainFn(ctx, values)
		if errors.Is(err, train.ErrInterrupted) {
			return res, fmt.Errorf("sweep: %w after %d finished trials", err, finished)
		}
		if err != nil {
			return res, fmt.Errorf("trial %d (%s): %w", i+1, space.Label(values), err)
		}
		t := Score(values, h, time.Since(start).Seconds())
		res.Trials = append(res.Trials, t)
		Rank(res.Trials)
		if slices.Equal(res.Trials[0].Values, values) {
			res.Best = net
		}
		finished++
		if opt.CSV != "" {
			if err := model.WriteFileAtomic(opt.CSV, func(w io.Writer) error { return WriteCSV(w, space.Names, res.Trials) }); err != nil {
				return res, err
			}
		}
		if opt.OnTrial != nil {
			opt.OnTrial(i+1, len(combos), t, false)
		}
	}
	return res, nil
}

// Recipes sweeps over settings of a train.Recipe: each combination of the Space's values is Base
// with those settings set (train.Recipe.Set; the names are the recipe's), trained on the
// training file's samples as the recipe splits them (train.Recipe.Split), and scored on its
// validation set.
type Recipes struct {
	Base    train.Recipe
	Space   Space
	Data    *dataset.Set // the samples of the training file
	Classes int
}

// SetList sets a setting from a command line's list: comma-separated values, ':' standing for ','
// within a value (so "256,512:256" is the hidden layers 256, and 512 then 256). One value sets
// Base; several make the setting a swept one of Space. A value Base cannot take is an error.
func (rs *Recipes) SetList(name, list string) error {
	values := strings.Split(list, ",")
	for i, v := range values {
		values[i] = strings.ReplaceAll(strings.TrimSpace(v), ":", ",")
	}
	if len(values) == 1 {
		if err := rs.Base.Set(name, values[0]); err != nil {
			return &train.SettingError{Setting: name, Value: strconv.Quote(values[0]), Reason: err.Error()}
		}
		return nil
	}
	rs.Space.Names, rs.Space.Values = append(rs.Space.Names, name), append(rs.Space.Values, values)
	return nil
}

// Recipe returns the recipe of one combination, checked (train.Recipe.Configs): an invalid one is a
// *train.SettingError, and so is one without a validation set, since a sweep scores on it.
func (rs Recipes) Recipe(values []string) (train.Recipe, error) {
	r := rs.Base.Clone()
	for i, name := range rs.Space.Names {
		if err := r.Set(name, values[i]); err != nil {
			return r, &train.SettingError{Setting: name, Value: strconv.Quote(values[i]), Reason: err.Error()}
		}
	}
	if r.ValSize == 0 {
		return r, &train.SettingError{Setting: "val-size", Value: "0", Reason: "a sweep scores on the validation set, which must not be empty"}
	}
	_, _, err := r.Configs(rs.Data.Features, rs.Classes)
	return r, err
}

// Check checks the recipe of every combination, so that a sweep is refused before any training.
func (rs Recipes) Check(combos [][]string) error {
	for _, c := range combos {
		if _, err := rs.Recipe(c); err != nil {
			return err
		}
	}
	return nil
}

// Train is the TrainFunc of the sweep: it trains a new network of the combination's recipe.
func (rs Recipes) Train(ctx context.Context, values []string) (train.History, *model.Network, error) {
	r, err := rs.Recipe(values)
	if err != nil {
		return nil, nil, err
	}
	trainSet, val, err := r.Split(rs.Data)
	if err != nil {
		return nil, nil, err
	}
	t, err := r.NewTrainer(rs.Data.Features, rs.Classes)
	if err != nil {
		return nil, nil, err
	}
	err = t.Fit(ctx, trainSet, val)
	return t.History, t.Net, err
}

// A CSVError reports a sweep's CSV file that cannot be read back to resume from.
type CSVError struct {
	Path string
	Err  error
}

func (e *CSVError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *CSVError) Unwrap() error { return e.Err }

// readCSVFile reads the trials of an earlier run of the same sweep; a missing file holds none.
func readCSVFile(path string, names []string) ([]Trial, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err == nil {
		var ts []Trial
		if ts, err = ReadCSV(bytes.NewReader(b), names); err == nil {
			return ts, nil
		}
	}
	return nil, &CSVError{Path: path, Err: err}
}
