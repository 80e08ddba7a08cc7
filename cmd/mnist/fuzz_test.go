package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSweepLists: a sweep's comma lists split into one trimmed value per field, and their grid
// holds every combination exactly once, in order, as many as gridSize says.
func FuzzSweepLists(f *testing.F) {
	for _, c := range [][3]string{
		{"0.001,0.003", "128,256:128", ""},
		{"a", "b", "c"},
		{",,", " , ", ""},
		{"1, 2 ,3", "x,y", "p,q,r,s"},
		{"", "", ""},
		{"0.1,0.1", "1,1", "z"},
		{"\t", "\n,\r", ","},
	} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var lists [][]string
		for _, s := range []string{a, b, c} {
			vs := splitList(s)
			if len(vs) != strings.Count(s, ",")+1 {
				t.Fatalf("splitList(%q) = %q: %d values for %d fields", s, vs, len(vs), strings.Count(s, ",")+1)
			}
			for _, v := range vs {
				if v != strings.TrimSpace(v) || strings.Contains(v, ",") {
					t.Fatalf("splitList(%q) gives the value %q", s, v)
				}
			}
			lists = append(lists, vs)
		}
		n := gridSize(lists)
		if n > 1<<16 {
			return // the bound itself is checked below; building a big grid here would only be slow
		}
		combos := grid(lists)
		if len(combos) != n {
			t.Fatalf("grid of %d, %d and %d values: %d combinations, gridSize says %d", len(lists[0]), len(lists[1]), len(lists[2]), len(combos), n)
		}
		// The first list varies slowest: combination i is the mixed-radix number i.
		for i, combo := range combos {
			k := i
			for j := len(lists) - 1; j >= 0; j-- {
				if combo[j] != lists[j][k%len(lists[j])] {
					t.Fatalf("combination %d is %q", i, combo)
				}
				k /= len(lists[j])
			}
		}
	})
}

// gridSize stops counting past maxGrid without overflowing.
func TestGridSize(t *testing.T) {
	long := make([]string, 1<<16)
	for _, c := range []struct {
		lists [][]string
		want  int
	}{
		{nil, 1},
		{[][]string{{"a", "b"}, {"c", "d", "e"}}, 6},
		{[][]string{{"a"}, {}}, 0},
		{[][]string{long, long}, maxGrid + 1},
		{[][]string{long, long, long, long, long}, maxGrid + 1}, // 2^80: no wrap-around
		{[][]string{long, {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"}}, maxGrid},
	} {
		if got := gridSize(c.lists); got != c.want {
			t.Errorf("gridSize of %d lists = %d, want %d", len(c.lists), got, c.want)
		}
	}
}

// FuzzReadSweepCSV: whatever --out holds when a sweep is resumed, readSweepCSV returns trials or
// an error naming the file, never a panic.
func FuzzReadSweepCSV(f *testing.F) {
	names := []string{"lr", "hidden"}
	for _, s := range []string{
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n0.001,128,0.9512,3,3,12.5\n",
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n",
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n0.001,128,x,3,3,12.5\n",
		"lr,hidden,best_val_acc,best_epoch,epochs,seconds\n0.001,128\n",
		"lr,best_val_acc,best_epoch,epochs,seconds\n0.1,0.5,1,1,1\n",
		"\"unterminated\n",
		"",
		"\x89PNG\r\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(dir, "out.csv")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		trials, err := readSweepCSV(path, names)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, tr := range trials {
			if len(tr.Values) != len(names) {
				t.Fatalf("trial %v: %d values for %d swept flags", tr, len(tr.Values), len(names))
			}
		}
	})
}
