package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSweep runs a small sweep twice: the CSV is sorted by validation accuracy, random trials
// are the same for the same seed, --resume skips finished trials, and the printed best command,
// run as printed, reproduces the best trial's validation accuracy.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "sweep.csv")
	args := []string{"sweep", "--train-limit", "1500", "--val-size", "300", "--epochs", "2", "--hidden", "16,32:16",
		"--lr", "0.001,0.003,0.01", "--trials", "4", "--out", csvPath}
	out, errOut, status := runMnist(t, dir, args...)
	if status != 0 {
		t.Fatalf("sweep: status %d: %s", status, errOut)
	}
	rows := readCSV(t, csvPath)
	if len(rows) != 5 || !slices.Equal(rows[0], []string{"hidden", "lr", "best_val_acc", "best_epoch", "epochs", "seconds"}) {
		t.Fatalf("CSV:\n%v", rows)
	}
	for i := 2; i < len(rows); i++ {
		if rows[i][2] > rows[i-1][2] {
			t.Errorf("CSV not sorted by validation accuracy: %v before %v", rows[i-1], rows[i])
		}
	}

	// The same random trials again, all skipped by --resume.
	out2, errOut, status := runMnist(t, dir, append(args, "--resume")...)
	if status != 0 {
		t.Fatalf("resume: status %d: %s", status, errOut)
	}
	if n := strings.Count(out2, "skipped"); n != 4 {
		t.Errorf("--resume skipped %d of 4 trials:\n%s", n, out2)
	}

	best := regexp.MustCompile(`(?m)^Best \(val acc ([0-9.]+)\): mnist (train .*)$`).FindStringSubmatch(out)
	if best == nil {
		t.Fatalf("no Best line in:\n%s", out)
	}
	if best[1] != rows[1][2] {
		t.Errorf("Best line says %s, the CSV's first row %s", best[1], rows[1][2])
	}
	trainOut, errOut, status := runMnist(t, dir, append(strings.Fields(best[2]), "--quiet")...)
	if status != 0 {
		t.Fatalf("%s: status %d: %s", best[2], status, errOut)
	}
	if !strings.Contains(trainOut, "val acc: "+best[1]) {
		t.Errorf("running %q does not reach val acc %s:\n%s", best[2], best[1], trainOut)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
