package train

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Confusion is a confusion matrix: Confusion[t][p] counts samples of true class t predicted as p.
type Confusion [][]int

// NewConfusion returns an empty classes x classes matrix.
func NewConfusion(classes int) Confusion {
	c := make(Confusion, classes)
	for i := range c {
		c[i] = make([]int, classes)
	}
	return c
}

// Add counts one sample.
func (c Confusion) Add(truth, predicted int) { c[truth][predicted]++ }

// Total returns the number of samples counted.
func (c Confusion) Total() int {
	n := 0
	for _, row := range c {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Accuracy returns the fraction of samples on the diagonal.
func (c Confusion) Accuracy() float64 {
	diag := 0
	for i := range c {
		diag += c[i][i]
	}
	if t := c.Total(); t > 0 {
		return float64(diag) / float64(t)
	}
	return 0
}

// ClassMetrics are the per-class figures of a classification report.
type ClassMetrics struct {
	Precision, Recall, F1 float64
	Support               int // samples whose true class this is
}

// Report is a per-class report in the manner of scikit-learn's classification_report: precision,
// recall and F1 of each class, and their macro (unweighted) and weighted-by-support averages.
// A ratio whose denominator is zero is reported as 0, as scikit-learn's zero_division=0 does.
type Report struct {
	Names        []string // the classes' names for Write; nil: their numbers
	Classes      []ClassMetrics
	Accuracy     float64
	Macro        ClassMetrics
	Weighted     ClassMetrics
	TotalSupport int
}

// NewReport computes the report of a confusion matrix.
func NewReport(c Confusion) Report {
	r := Report{Classes: make([]ClassMetrics, len(c)), Accuracy: c.Accuracy(), TotalSupport: c.Total()}
	for k := range c {
		tp := c[k][k]
		predicted, actual := 0, 0
		for i := range c {
			predicted += c[i][k]
			actual += c[k][i]
		}
		m := ClassMetrics{Precision: ratio(tp, predicted), Recall: ratio(tp, actual), Support: actual}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		r.Classes[k] = m
		n := float64(len(c))
		r.Macro.Precision += m.Precision / n
		r.Macro.Recall += m.Recall / n
		r.Macro.F1 += m.F1 / n
		if r.TotalSupport > 0 {
			w := float64(actual) / float64(r.TotalSupport)
			r.Weighted.Precision += m.Precision * w
			r.Weighted.Recall += m.Recall * w
			r.Weighted.F1 += m.F1 * w
		}
	}
	r.Macro.Support, r.Weighted.Support = r.TotalSupport, r.TotalSupport
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Write prints the report in scikit-learn's layout, figures with 4 decimals, each class under its
// name (Names) or number.
func (r Report) Write(w io.Writer) error {
	width := 12
	for _, n := range r.Names {
		width = max(width, len(n))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s %10s %10s %10s %10s\n\n", width, "", "precision", "recall", "f1-score", "support")
	for k, m := range r.Classes {
		name := strconv.Itoa(k)
		if k < len(r.Names) {
			name = r.Names[k]
		}
		fmt.Fprintf(&b, "%*s %10.4f %10.4f %10.4f %10d\n", width, name, m.Precision, m.Recall, m.F1, m.Support)
	}
	fmt.Fprintf(&b, "\n%*s %10s %10s %10.4f %10d\n", width, "accuracy", "", "", r.Accuracy, r.TotalSupport)
	for _, row := range []struct {
		name string
		m    ClassMetrics
	}{{"macro avg", r.Macro}, {"weighted avg", r.Weighted}} {
		fmt.Fprintf(&b, "%*s %10.4f %10.4f %10.4f %10d\n", width, row.name, row.m.Precision, row.m.Recall, row.m.F1, row.m.Support)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Write prints the matrix with true classes as rows and predicted classes as columns.
func (c Confusion) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString("true\\pred")
	for p := range c {
		fmt.Fprintf(&b, " %6d", p)
	}
	b.WriteByte('\n')
	for t, row := range c {
		fmt.Fprintf(&b, "%9d", t)
		for _, v := range row {
			fmt.Fprintf(&b, " %6d", v)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteReport prints the classification report of the result (NewReport) and its confusion
// matrix, each under a title line, the classes named by names (nil: numbered).
func (r *Result) WriteReport(w io.Writer, names []string) error {
	var b strings.Builder
	b.WriteString("Classification report (test set):\n")
	rep := NewReport(r.Confusion)
	rep.Names = names
	_ = rep.Write(&b)
	b.WriteString("Confusion matrix (rows: true class, columns: predicted):\n")
	_ = r.Confusion.Write(&b)
	if names != nil {
		b.WriteString("Classes:")
		for i, n := range names {
			fmt.Fprintf(&b, " %d %s", i, n)
			if i < len(names)-1 {
				b.WriteString(",")
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
