package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorgonet/model"
	"gorgonet/train"
)

func TestGrid(t *testing.T) {
	got, err := Space{Names: []string{"x", "y"}, Values: [][]string{{"a", "b"}, {"1", "2", "3"}}}.Grid()
	want := [][]string{{"a", "1"}, {"a", "2"}, {"a", "3"}, {"b", "1"}, {"b", "2"}, {"b", "3"}}
	if err != nil || !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Fatalf("Grid = %v, %v; want %v", got, err, want)
	}
	long := make([]string, 1<<16)
	if _, err := (Space{Names: []string{"a", "b"}, Values: [][]string{long, long}}).Grid(); err == nil || !strings.Contains(err.Error(), "combinations") {
		t.Errorf("a grid of 2^32: %v", err)
	}
	if _, err := (Space{Names: []string{"a"}, Values: [][]string{{"1"}, {"2"}}}).Grid(); err == nil {
		t.Error("1 name for 2 value lists: no error")
	}
}

// Size stops counting past MaxGrid without overflowing.
func TestSize(t *testing.T) {
	long := make([]string, 1<<16)
	for _, c := range []struct {
		lists [][]string
		want  int
	}{
		{nil, 1},
		{[][]string{{"a", "b"}, {"c", "d", "e"}}, 6},
		{[][]string{{"a"}, {}}, 0},
		{[][]string{long, long}, MaxGrid + 1},
		{[][]string{long, long, long, long, long}, MaxGrid + 1}, // 2^80: no wrap-around
		{[][]string{long, {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"}}, MaxGrid},
	} {
		if got := (Space{Values: c.lists}).Size(); got != c.want {
			t.Errorf("Size of %d lists = %d, want %d", len(c.lists), got, c.want)
		}
	}
}

// FuzzGrid: the grid holds every combination exactly once, in mixed-radix order (the first list
// varying slowest), as many as Size says.
func FuzzGrid(f *testing.F) {
	for _, c := range [][3]string{{"0.001,0.003", "128,256:128", ""}, {"a", "b", "c"}, {",,", " , ", ""}, {"1,2,3", "x,y", "p,q,r,s"}} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		s := Space{Names: []string{"a", "b", "c"}}
		for _, l := range []string{a, b, c} {
			s.Values = append(s.Values, strings.Split(l, ","))
		}
		n := s.Size()
		if n > 1<<16 {
			return // the bound itself is TestSize's; a big grid would only be slow here
		}
		combos, err := s.Grid()
		if err != nil || len(combos) != n {
			t.Fatalf("grid of %v: %d combinations (%v), Size says %d", s.Values, len(combos), err, n)
		}
		for i, combo := range combos {
			k := i
			for j := len(s.Values) - 1; j >= 0; j-- {
				if combo[j] != s.Values[j][k%len(s.Values[j])] {
					t.Fatalf("combination %d is %q", i, combo)
				}
				k /= len(s.Values[j])
			}
		}
	})
}

// Sample draws distinct combinations, the same ones for the same seed, other ones for another.
func TestSample(t *testing.T) {
	s := Space{Names: []string{"lr", "hidden"}, Values: [][]string{{"1", "2", "3", "4"}, {"a", "b", "c", "d", "e"}}}
	a, _ := s.Sample(6, 1)
	b, _ := s.Sample(6, 1)
	c, _ := s.Sample(6, 2)
	if len(a) != 6 || !slices.EqualFunc(a, b, slices.Equal[[]string]) {
		t.Fatalf("Sample(6, 1) twice: %v and %v", a, b)
	}
	if slices.EqualFunc(a, c, slices.Equal[[]string]) {
		t.Errorf("seeds 1 and 2 draw the same trials %v", a)
	}
	seen := map[string]bool{}
	for _, v := range a {
		if seen[strings.Join(v, ",")] {
			t.Errorf("combination %v drawn twice", v)
		}
		seen[strings.Join(v, ",")] = true
	}
	all, _ := s.Sample(0, 1)
	grid, _ := s.Grid()
	if !slices.EqualFunc(all, grid, slices.Equal[[]string]) {
		t.Error("Sample(0) is not the grid")
	}
}

func history(accs ...float64) train.History {
	h := make(train.History, len(accs))
	for i, a := range accs {
		h[i] = train.Epoch{Epoch: i + 1, ValAcc: a}
	}
	return h
}

func TestScoreAndRank(t *testing.T) {
	tr := Score([]string{"x"}, history(0.5, 0.9, 0.9, 0.7), 3)
	if tr.BestValAcc != 0.9 || tr.BestEpoch != 2 || tr.Epochs != 4 || tr.Seconds != 3 {
		t.Errorf("Score: %+v", tr)
	}
	if tr := Score(nil, history(math.NaN(), math.NaN()), 1); tr.BestValAcc != 0 || tr.BestEpoch != 0 {
		t.Errorf("Score without validation figures: %+v", tr)
	}
	ts := []Trial{{Values: []string{"a"}, BestValAcc: 0.9, Seconds: 5}, {Values: []string{"b"}, BestValAcc: 0.95, Seconds: 9},
		{Values: []string{"c"}, BestValAcc: 0.9, Seconds: 2}, {Values: []string{"d"}, BestValAcc: 0.9, Seconds: 2}}
	Rank(ts)
	var order []string
	for _, t := range ts {
		order = append(order, t.Values[0])
	}
	if !slices.Equal(order, []string{"b", "c", "d", "a"}) {
		t.Errorf("Rank order %v, want b c d a (accuracy, then time, ties stable)", order)
	}
}

// FuzzReadCSV: whatever the CSV holds, ReadCSV returns trials of the right width or an error,
// never a panic; what WriteCSV writes reads back the same.
func FuzzReadCSV(f *testing.F) {
	names := []string{"lr", "hidden"}
	for _, s := range []string{
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n0.001,128,0.9512,3,3,12.5\n",
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n",
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n0.001,128,x,3,3,12.5\n",
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n0.001,128\n",
		"lr,best_val_acc,best_epoch,epochs,seconds\n0.1,0.5,1,1,1\n",
		"\"unterminated\n", "", "\x89PNG\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		trials, err := ReadCSV(strings.NewReader(content), names)
		if err != nil {
			return
		}
		for _, tr := range trials {
			if len(tr.Values) != len(names) {
				t.Fatalf("trial %v: %d values for %d swept settings", tr, len(tr.Values), len(names))
			}
		}
		var b bytes.Buffer
		if err := WriteCSV(&b, names, trials); err != nil {
			t.Fatal(err)
		}
		again, err := ReadCSV(&b, names)
		if err != nil || len(again) != len(trials) {
			t.Fatalf("written and read again: %d trials, %v", len(again), err)
		}
	})
}

// Run trains every combination, ranks them, rewrites the CSV after each trial, keeps the best
// network, resumes from the CSV without training again, and stops on interruption and failure.
func TestRun(t *testing.T) {
	space := Space{Names: []string{"lr"}, Values: [][]string{{"1", "2", "3"}}}
	combos, _ := space.Grid()
	acc := map[string]float64{"1": 0.8, "2": 0.95, "3": 0.9}
	nets := map[string]*model.Network{}
	var trained []string
	fake := func(_ context.Context, v []string) (train.History, *model.Network, error) {
		trained = append(trained, v[0])
		net, err := model.New(model.Perceptron(2, 1), rand.New(rand.NewPCG(1, 0)))
		if err == nil {
			nets[v[0]] = net
		}
		return history(acc[v[0]]-0.1, acc[v[0]]), net, err
	}
	csvPath := filepath.Join(t.TempDir(), "sweep.csv")
	var calls []string
	onTrial := func(i, n int, tr Trial, skipped bool) {
		calls = append(calls, fmt.Sprintln(i, n, tr.Values[0], skipped))
	}
	res, err := Run(context.Background(), space, combos, fake, Options{CSV: csvPath, OnTrial: onTrial})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(trained, []string{"1", "2", "3"}) || !slices.Equal(calls, []string{"1 3 1 false\n", "2 3 2 false\n", "3 3 3 false\n"}) {
		t.Errorf("trained %v, reported %v", trained, calls)
	}
	if res.Trials[0].Values[0] != "2" || res.Trials[1].Values[0] != "3" || res.Best != nets["2"] {
		t.Errorf("ranking %v, best network %p (want %p)", res.Trials, res.Best, nets["2"])
	}
	b, _ := os.ReadFile(csvPath)
	if !strings.HasPrefix(string(b), "lr,best_val_acc,best_epoch,epochs,seconds\n2,0.9500,2,2,") {
		t.Errorf("CSV:\n%s", b)
	}

	// Resume: nothing is trained again; a trial that beats the CSV's best becomes Best.
	trained, calls = nil, nil
	more := append(combos, []string{"4"})
	acc["4"] = 0.99
	res, err = Run(context.Background(), space, more, fake, Options{CSV: csvPath, Resume: true, OnTrial: onTrial})
	if err != nil || !slices.Equal(trained, []string{"4"}) || len(res.Trials) != 4 || res.Best != nets["4"] {
		t.Errorf("resume: trained %v, %d trials, %v", trained, len(res.Trials), err)
	}
	if calls[0] != "1 4 1 true\n" {
		t.Errorf("resume reported %v", calls)
	}
	// Resumed with nothing new, the best network was trained by the earlier run: Best is nil.
	if res, err := Run(context.Background(), space, more, fake, Options{CSV: csvPath, Resume: true}); err != nil || res.Best != nil {
		t.Errorf("resume with nothing to train: Best %v, %v", res.Best, err)
	}
	// A CSV of another sweep is refused, naming the file.
	if _, err := Run(context.Background(), Space{Names: []string{"hidden"}}, nil, fake, Options{CSV: csvPath, Resume: true}); err == nil || !strings.Contains(err.Error(), csvPath) {
		t.Errorf("another sweep's CSV: %v", err)
	}

	// Interrupted in the second trial: the first is kept and the error wraps ErrInterrupted.
	n := 0
	stop := func(_ context.Context, v []string) (train.History, *model.Network, error) {
		if n++; n == 2 {
			return nil, nil, fmt.Errorf("%w in epoch 1", train.ErrInterrupted)
		}
		return fake(context.Background(), v)
	}
	res, err = Run(context.Background(), space, combos, stop, Options{})
	if !errors.Is(err, train.ErrInterrupted) || len(res.Trials) != 1 {
		t.Errorf("interrupted: %v, %d trials kept", err, len(res.Trials))
	}
	failing := func(context.Context, []string) (train.History, *model.Network, error) {
		return nil, nil, errors.New("boom")
	}
	if _, err := Run(context.Background(), space, combos, failing, Options{}); err == nil || !strings.Contains(err.Error(), "trial 1 (lr=1): boom") {
		t.Errorf("failed trial: %v", err)
	}
}
