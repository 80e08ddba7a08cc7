package train

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gorgonet/model"
)

const wantHistoryHeader = "epoch,loss,train_acc,val_loss,val_acc,seconds,user_seconds"

func TestHistoryWriteCSV(t *testing.T) {
	h := History{
		{Epoch: 1, Loss: 0.5, TrainAcc: 0.8, ValLoss: math.NaN(), ValAcc: math.NaN(), Seconds: 1.2344, UserSeconds: 2.0006},
		{Epoch: 2, Loss: 0.25, TrainAcc: 0.875, ValLoss: 0.3, ValAcc: 0.85, Seconds: 2, UserSeconds: math.NaN()},
	}
	var b bytes.Buffer
	if err := h.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	// Seconds have 3 decimals; other figures their shortest form; NaN is an empty field.
	want := wantHistoryHeader + "\n1,0.5,0.8,,,1.234,2.001\n2,0.25,0.875,0.3,0.85,2.000,\n"
	if b.String() != want {
		t.Errorf("WriteCSV wrote\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	if err := History(nil).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != wantHistoryHeader+"\n" {
		t.Errorf("an empty history: %q, want the header alone", b.String())
	}
}

// The CSV of a real run without validation: the header, one row per epoch, the figures of the
// History and empty validation fields.
func TestHistoryCSVOfARun(t *testing.T) {
	all, _ := fixMNIST(t)
	net := fixNet(t, model.MLP(784, []int{8}, 10), 1)
	tr := fixTrainer(t, net, Config{Epochs: 3, BatchSize: 100, Seed: 1})
	if err := tr.Fit(context.Background(), all.Limit(500), nil); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tr.History.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); first != wantHistoryHeader {
		t.Errorf("header %q, want %q", first, wantHistoryHeader)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want the header and 3 epochs", len(rows))
	}
	for i, row := range rows[1:] {
		e := tr.History[i]
		if row[0] != strconv.Itoa(i+1) {
			t.Errorf("row %d: epoch %q", i+1, row[0])
		}
		if row[3] != "" || row[4] != "" {
			t.Errorf("row %d: val_loss %q, val_acc %q; want empty without validation", i+1, row[3], row[4])
		}
		for j, v := range map[int]float64{1: e.Loss, 2: e.TrainAcc} {
			got, err := strconv.ParseFloat(row[j], 64)
			if err != nil || math.Abs(got-v) > 1e-7*math.Abs(v) {
				t.Errorf("row %d field %d: %q, want %v", i+1, j, row[j], v)
			}
		}
		if s, err := strconv.ParseFloat(row[5], 64); err != nil || s < 0 {
			t.Errorf("row %d: seconds %q", i+1, row[5])
		}
		if _, _, ok := processCPU(); ok && row[6] != strconv.FormatFloat(e.UserSeconds, 'f', 3, 64) {
			t.Errorf("row %d: user_seconds %q, want %.3f", i+1, row[6], e.UserSeconds)
		}
	}
}

// An epoch's user time is the CPU time it took: more than none, no more than all the cores could
// give in its wall time, and, summed over the epochs, no more than the process used during Fit.
// The epochs here keep a core busy for about 0.1 s each.
func TestEpochUserSeconds(t *testing.T) {
	if _, _, ok := processCPU(); !ok {
		t.Skip("getrusage is not known here")
	}
	all, _ := fixMNIST(t)
	net := fixNet(t, model.MLP(784, []int{64}, 10), 1)
	tr := fixTrainer(t, net, Config{Epochs: 3, BatchSize: 50, Seed: 1, Replicas: 1})
	user0, _, _ := processCPU()
	if err := tr.Fit(context.Background(), all.Limit(2000), nil); err != nil {
		t.Fatal(err)
	}
	user1, _, _ := processCPU()
	var sum float64
	for _, e := range tr.History {
		// getrusage counts in microseconds, but the kernel may charge time by ticks (4 ms at
		// 250 Hz): allow a tick.
		if !(e.UserSeconds > 0) || e.UserSeconds > float64(runtime.NumCPU())*e.Seconds+0.004 {
			t.Errorf("epoch %d: %.3f s user time in %.3f s wall on %d cores", e.Epoch, e.UserSeconds, e.Seconds, runtime.NumCPU())
		}
		sum += e.UserSeconds
	}
	if fit := (user1 - user0).Seconds(); sum > fit+1e-9 {
		t.Errorf("the epochs' user times add up to %.3f s, the process used %.3f s during Fit", sum, fit)
	}
}
