package train

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
)

// handConfusion is a 3-class matrix worked by hand (rows: true class, columns: predicted):
//
//	        p0  p1  p2   support
//	t0       5   2   1      8
//	t1       1   3   0      4
//	t2       0   1   7      8
//	column   6   6   8     20
//
// 15 of 20 on the diagonal: accuracy 3/4.
// class 0: precision 5/6, recall 5/8, F1 = 2tp/(2tp+fp+fn) = 10/14 = 5/7
// class 1: precision 3/6, recall 3/4, F1 = 6/10 = 3/5
// class 2: precision 7/8, recall 7/8, F1 = 14/16 = 7/8
func handConfusion() Confusion {
	return Confusion{{5, 2, 1}, {1, 3, 0}, {0, 1, 7}}
}

func handNear(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }

func checkMetrics(t *testing.T, what string, got, want ClassMetrics) {
	t.Helper()
	if !handNear(got.Precision, want.Precision) || !handNear(got.Recall, want.Recall) || !handNear(got.F1, want.F1) || got.Support != want.Support {
		t.Errorf("%s: got P=%.6f R=%.6f F1=%.6f support %d; want P=%.6f R=%.6f F1=%.6f support %d",
			what, got.Precision, got.Recall, got.F1, got.Support, want.Precision, want.Recall, want.F1, want.Support)
	}
}

func TestConfusionByHand(t *testing.T) {
	c := NewConfusion(3)
	// Fill it sample by sample through Add to check the [true][predicted] orientation.
	for truth, row := range handConfusion() {
		for pred, n := range row {
			for range n {
				c.Add(truth, pred)
			}
		}
	}
	want := handConfusion()
	for i := range want {
		for j := range want[i] {
			if c[i][j] != want[i][j] {
				t.Fatalf("after Add: c[%d][%d] = %d, want %d", i, j, c[i][j], want[i][j])
			}
		}
	}
	if c.Total() != 20 {
		t.Errorf("Total = %d, want 20", c.Total())
	}
	if !handNear(c.Accuracy(), 15.0/20) {
		t.Errorf("Accuracy = %v, want 0.75", c.Accuracy())
	}
	if NewConfusion(4).Accuracy() != 0 || NewConfusion(4).Total() != 0 {
		t.Error("an empty matrix must have Total 0 and Accuracy 0 (not NaN)")
	}
}

func TestReportByHand(t *testing.T) {
	r := NewReport(handConfusion())
	classes := []ClassMetrics{
		{Precision: 5.0 / 6, Recall: 5.0 / 8, F1: 5.0 / 7, Support: 8},
		{Precision: 3.0 / 6, Recall: 3.0 / 4, F1: 3.0 / 5, Support: 4},
		{Precision: 7.0 / 8, Recall: 7.0 / 8, F1: 7.0 / 8, Support: 8},
	}
	if len(r.Classes) != 3 {
		t.Fatalf("report has %d classes, want 3", len(r.Classes))
	}
	for k, want := range classes {
		checkMetrics(t, "class "+strconv.Itoa(k), r.Classes[k], want)
	}
	macro := ClassMetrics{
		Precision: (5.0/6 + 3.0/6 + 7.0/8) / 3,
		Recall:    (5.0/8 + 3.0/4 + 7.0/8) / 3,
		F1:        (5.0/7 + 3.0/5 + 7.0/8) / 3,
		Support:   20,
	}
	weighted := ClassMetrics{
		Precision: (8*5.0/6 + 4*3.0/6 + 8*7.0/8) / 20,
		Recall:    (8*5.0/8 + 4*3.0/4 + 8*7.0/8) / 20, // weighted recall is the accuracy
		F1:        (8*5.0/7 + 4*3.0/5 + 8*7.0/8) / 20,
		Support:   20,
	}
	checkMetrics(t, "macro avg", r.Macro, macro)
	checkMetrics(t, "weighted avg", r.Weighted, weighted)
	if !handNear(r.Weighted.Recall, 0.75) {
		t.Errorf("weighted recall %v must equal the accuracy 0.75", r.Weighted.Recall)
	}
	if !handNear(r.Accuracy, 0.75) || r.TotalSupport != 20 {
		t.Errorf("Accuracy %v, TotalSupport %d; want 0.75 and 20", r.Accuracy, r.TotalSupport)
	}
}

// A class never predicted has precision 0/0 and a class never present has recall 0/0: both are
// reported as 0, as scikit-learn's zero_division=0 does, and nothing becomes NaN.
func TestReportZeroDivision(t *testing.T) {
	//        p0 p1 p2
	// t0      2  0  0
	// t1      1  0  0   (class 1 is never predicted)
	// t2      0  0  0   (class 2 never occurs and is never predicted)
	c := Confusion{{2, 0, 0}, {1, 0, 0}, {0, 0, 0}}
	r := NewReport(c)
	checkMetrics(t, "class 0", r.Classes[0], ClassMetrics{Precision: 2.0 / 3, Recall: 1, F1: 4.0 / 5, Support: 2})
	checkMetrics(t, "class 1", r.Classes[1], ClassMetrics{Support: 1})
	checkMetrics(t, "class 2", r.Classes[2], ClassMetrics{Support: 0})
	checkMetrics(t, "macro avg", r.Macro, ClassMetrics{Precision: (2.0 / 3) / 3, Recall: 1.0 / 3, F1: (4.0 / 5) / 3, Support: 3})
	checkMetrics(t, "weighted avg", r.Weighted, ClassMetrics{Precision: 2 * (2.0 / 3) / 3, Recall: 2.0 / 3, F1: 2 * (4.0 / 5) / 3, Support: 3})

	empty := NewReport(NewConfusion(2))
	for _, m := range append(empty.Classes, empty.Macro, empty.Weighted) {
		for _, v := range []float64{m.Precision, m.Recall, m.F1} {
			if v != 0 {
				t.Errorf("report of an empty matrix: %+v, want zeros", m)
			}
		}
	}
	if empty.Accuracy != 0 {
		t.Errorf("report of an empty matrix: accuracy %v, want 0", empty.Accuracy)
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "NaN") {
		t.Errorf("report prints NaN:\n%s", b.String())
	}
}

// Report.Write prints scikit-learn's classification_report layout: a header of precision, recall,
// f1-score and support, a blank line, one row per class, a blank line, the accuracy row (its value
// under f1-score) and the macro and weighted averages, every column right-aligned.
func TestReportWriteLayout(t *testing.T) {
	r := NewReport(handConfusion())
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 9 {
		t.Fatalf("report has %d lines, want 9 (header, blank, 3 classes, blank, accuracy, macro, weighted):\n%s", len(lines), out)
	}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "precision recall f1-score support" {
		t.Errorf("header fields %q, want precision recall f1-score support", got)
	}
	if lines[1] != "" || lines[5] != "" {
		t.Errorf("lines 2 and 6 must be blank:\n%s", out)
	}
	f4 := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	want := [][]string{
		{"0", f4(5.0 / 6), f4(5.0 / 8), f4(5.0 / 7), "8"},
		{"1", f4(3.0 / 6), f4(3.0 / 4), f4(3.0 / 5), "4"},
		{"2", f4(7.0 / 8), f4(7.0 / 8), f4(7.0 / 8), "8"},
		{"accuracy", "0.7500", "20"},
		{"macro", "avg", f4(r.Macro.Precision), f4(r.Macro.Recall), f4(r.Macro.F1), "20"},
		{"weighted", "avg", f4(r.Weighted.Precision), f4(r.Weighted.Recall), f4(r.Weighted.F1), "20"},
	}
	for i, w := range want {
		line := lines[[]int{2, 3, 4, 6, 7, 8}[i]]
		if got := strings.Fields(line); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("row %q: fields %q, want %q", line, got, w)
		}
	}
	// Right alignment: every non-blank line has the same width, and the last character of each
	// figure sits under the last character of its header word.
	width := len(lines[0])
	for _, l := range lines {
		if l != "" && len(l) != width {
			t.Errorf("line %q is %d wide, the header %d: columns are not aligned", l, len(l), width)
		}
	}
	hdrEnd := func(word string) int { return strings.Index(lines[0], word) + len(word) }
	if got := lines[6][:hdrEnd("f1-score")]; !strings.HasSuffix(got, "0.7500") {
		t.Errorf("the accuracy must stand under f1-score:\n%s\n%s", lines[0], lines[6])
	}
	if got := lines[2][:hdrEnd("precision")]; !strings.HasSuffix(got, f4(5.0/6)) {
		t.Errorf("class 0's precision must stand under precision:\n%s\n%s", lines[0], lines[2])
	}
}

func TestConfusionWrite(t *testing.T) {
	var b bytes.Buffer
	if err := handConfusion().Write(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := [][]string{{`true\pred`, "0", "1", "2"}, {"0", "5", "2", "1"}, {"1", "1", "3", "0"}, {"2", "0", "1", "7"}}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d: %q, want %q", i+1, got, w)
		}
		if len(lines[i]) != len(lines[0]) {
			t.Errorf("line %d is %d wide, the header %d", i+1, len(lines[i]), len(lines[0]))
		}
	}
}
