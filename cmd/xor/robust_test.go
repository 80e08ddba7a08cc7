package main

// Robustness of the xor program (issue 9): bad input gives exit status 2 (usage) or 1 (runtime),
// one first stderr line naming the flag, and never a Go panic or runtime trace.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type badCase struct {
	args   []string
	status int
	want   []string // in stderr's first line
}

func panicked(s string) bool {
	return strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") || strings.Contains(s, "fatal error:")
}

func runCases(t *testing.T, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		name := "xor " + strings.Join(c.args, " ")
		stdout, stderr, status := runBin(t, c.args...)
		if panicked(stdout) || panicked(stderr) {
			t.Errorf("%s: panic trace:\n%s\n%s", name, stdout, stderr)
			continue
		}
		if status != c.status {
			t.Errorf("%s: exit status %d, want %d; stderr %q", name, status, c.status, stderr)
			continue
		}
		if status == 0 {
			if !accuracyLine.MatchString(lastLine(stdout)) {
				t.Errorf("%s: last line %q", name, lastLine(stdout))
			}
			continue
		}
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "xor: ") {
			t.Errorf("%s: first stderr line %q does not start with \"xor: \"", name, lines[0])
		}
		for _, w := range c.want {
			if !strings.Contains(lines[0], w) {
				t.Errorf("%s: first stderr line %q lacks %q", name, lines[0], w)
			}
		}
		if status == 2 {
			if stdout != "" {
				t.Errorf("%s: a usage error, but stdout has:\n%s", name, stdout)
			}
			if len(lines) > 2 || (len(lines) == 2 && !strings.Contains(lines[1], "--help")) {
				t.Errorf("%s: stderr is not one line and the usage hint:\n%s", name, stderr)
			}
		} else if len(lines) != 1 {
			t.Errorf("%s: stderr is not one line:\n%s", name, stderr)
		}
	}
}

// quick keeps valid runs short: one model, 5 steps. Flags given after it win.
func quick(extra ...string) []string {
	return append([]string{"--quiet", "--model", "mlp", "--epochs", "5"}, extra...)
}

// Every numeric flag at zero, negative, huge and non-numeric values.
func TestRobustNumericFlags(t *testing.T) {
	// --lr 0 is the optimizer's default learning rate, as in mnist.
	valid := map[string]bool{"l2=0": true, "l2=1e-400": true, "seed=0": true, "seed=0x7fffffffffffffff": true, "lr=0": true, "lr=1e-400": true}
	floats := map[string]bool{"lr": true, "l2": true}
	var cases []badCase
	for _, fl := range []string{"lr", "epochs", "l2", "seed"} {
		values := []string{"0", "-1", "1e300", "99999999999999999999", "abc", ""}
		if floats[fl] {
			values = append(values, "NaN", "-Inf", "+Inf", "1e-400")
		} else {
			values = append(values, "1.5", "0x7fffffffffffffff")
		}
		for _, v := range values {
			c := badCase{quick("--" + fl + "=" + v), 2, []string{"--" + fl}}
			if valid[fl+"="+v] {
				c.status, c.want = 0, nil
			}
			cases = append(cases, c)
		}
	}
	cases = append(cases, badCase{quick("--epochs", "10000001"), 2, []string{"--epochs 10000001"}})
	t.Logf("%d numeric flag cases", len(cases))
	runCases(t, cases)
}

// Malformed layer lists, unknown names, stray arguments.
func TestRobustListsAndNames(t *testing.T) {
	var cases []badCase
	for _, h := range []string{"128,,64", "abc", ",,", ",", "-1", "0", "99999999", "1.5", "4;2", "4,"} {
		cases = append(cases, badCase{quick("--hidden", h), 2, []string{"--hidden"}})
	}
	cases = append(cases,
		badCase{quick("--hidden", "65536,65536"), 2, []string{"2-65536-65536-1", "MaxParams"}},
		badCase{quick("--model", "cnn"), 2, []string{`--model "cnn"`}},
		badCase{quick("--loss", "xent"), 2, []string{`--loss "xent"`}},
		badCase{quick("--loss", "crossentropy"), 2, []string{`--loss "crossentropy"`}},
		badCase{quick("--optimizer", "adagrad"), 2, []string{`--optimizer "adagrad"`}},
		badCase{quick("--activation", "swish"), 2, []string{"--activation", `"swish"`}},
		badCase{quick("--model", "perceptron", "--activation", "swish"), 2, []string{"--activation"}},
		badCase{quick("--dtype", "float32"), 2, []string{"unknown flag: --dtype"}},
		badCase{quick("extra"), 2, []string{`unexpected argument "extra"`}},
		badCase{[]string{"graph", "--format", "svg"}, 2, []string{`--format "svg"`}},
		badCase{[]string{"graph", "--hidden", "0"}, 2, []string{"--hidden"}},
		badCase{[]string{"graph", "extra"}, 2, []string{`unexpected argument "extra"`}},
		badCase{[]string{"--format", "dot"}, 2, []string{"unknown flag: --format"}}, // only with 'graph'
		// A learning rate that makes the loss NaN: status 1, the epoch, the batch, the advice.
		badCase{[]string{"--quiet", "--model", "mlp", "--optimizer", "momentum", "--lr", "100", "--activation", "leakyrelu", "--hidden", "256,256"},
			1, []string{"training diverged", "epoch", "lower learning rate"}},
	)
	t.Logf("%d list and name cases", len(cases))
	runCases(t, cases)
}

// --plot in a place that cannot be written is refused before training (status 2, nothing on
// stdout). As root a read-only directory is writable, so: a missing directory, a path under a
// regular file, an existing directory (the final rename would fail) and /proc.
func TestRobustPlotPath(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []badCase{
		{quick("--plot", filepath.Join(file, "sub", "b.png")), 2, []string{"--plot", file + " is not a directory"}},
		{quick("--plot", filepath.Join(file, "b.png")), 2, []string{"--plot", "not a directory"}},
		{quick("--plot", tmp), 2, []string{"--plot", "is a directory"}},
		{quick("--plot", "/proc/gorgonet-b.png"), 2, []string{"--plot /proc/gorgonet-b.png"}},
	}
	runCases(t, cases)
}
