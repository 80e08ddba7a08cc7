package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// xorBin is the program built once by TestMain; the tests that check exit statuses and stderr run
// it as a user would.
var xorBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xor-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	xorBin = filepath.Join(dir, "xor")
	if out, err := exec.Command("go", "build", "-o", xorBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBin runs the built program and returns its stdout, stderr and exit status.
func runBin(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(xorBin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		status = ee.ExitCode()
	default:
		t.Fatalf("running xor %q: %v", args, err)
	}
	return o.String(), e.String(), status
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var accuracyLine = regexp.MustCompile(`^Accuracy: (\d\.\d{3})$`)

// The package comment and the defaults claim: the default 2-4-1 tanh MLP learns XOR for every seed
// from 1 to 20, and a perceptron never gets more than 3 of the 4 samples right.
func TestEverySeed(t *testing.T) {
	for seed := 1; seed <= 20; seed++ {
		for _, kind := range []string{"mlp", "perceptron"} {
			var out, errOut bytes.Buffer
			args := []string{"--model", kind, "--seed", strconv.Itoa(seed)}
			if err := run(args, &out, &errOut); err != nil {
				t.Fatalf("xor %s: %v", strings.Join(args, " "), err)
			}
			m := accuracyLine.FindStringSubmatch(lastLine(out.String()))
			if m == nil {
				t.Fatalf("xor %s: last line %q, want \"Accuracy: X.XXX\"", strings.Join(args, " "), lastLine(out.String()))
			}
			acc, _ := strconv.ParseFloat(m[1], 64)
			switch {
			case kind == "mlp" && m[1] != "1.000":
				t.Errorf("seed %d: the MLP reaches %s, want 1.000", seed, m[1])
			case kind == "perceptron" && acc > 0.75:
				t.Errorf("seed %d: the perceptron reaches %s: XOR is not linearly separable, at most 0.750", seed, m[1])
			}
		}
	}
}

var tableHeader = regexp.MustCompile(`^ x1 +x2 +target +output +class$`)

// truthTables returns the rows (x1, x2, target, class) of every truth table in out.
func truthTables(t *testing.T, out string) [][][4]int {
	t.Helper()
	var tables [][][4]int
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !tableHeader.MatchString(l) {
			continue
		}
		var rows [][4]int
		for _, r := range lines[i+1 : min(i+5, len(lines))] {
			f := strings.Fields(r)
			if len(f) != 5 {
				t.Fatalf("truth table row %q: want 5 fields", r)
			}
			var v [4]int
			for j, k := range []int{0, 1, 2, 4} {
				n, err := strconv.Atoi(f[k])
				if err != nil {
					t.Fatalf("truth table row %q: %v", r, err)
				}
				v[j] = n
			}
			if p, err := strconv.ParseFloat(f[3], 64); err != nil || p < 0 || p > 1 {
				t.Fatalf("truth table row %q: output %q is not a probability", r, f[3])
			}
			rows = append(rows, v)
		}
		tables = append(tables, rows)
	}
	return tables
}

// With no flags the program trains both models, prints both truth tables and concludes that the
// MLP learned XOR and the perceptron did not.
func TestDefaultRun(t *testing.T) {
	stdout, stderr, status := runBin(t)
	if status != 0 || stderr != "" {
		t.Fatalf("xor: status %d, stderr %q", status, stderr)
	}
	tables := truthTables(t, stdout)
	if len(tables) != 2 {
		t.Fatalf("%d truth tables, want 2 (perceptron, then mlp):\n%s", len(tables), stdout)
	}
	wrong := [2]int{}
	for k, table := range tables {
		if len(table) != 4 {
			t.Fatalf("table %d has %d rows, want 4", k+1, len(table))
		}
		for i, r := range table {
			x1, x2, target, class := r[0], r[1], r[2], r[3]
			if x1 != i/2 || x2 != i%2 || target != x1^x2 {
				t.Errorf("table %d row %d: inputs %d %d target %d, want the XOR truth table in order", k+1, i+1, x1, x2, target)
			}
			if class != target {
				wrong[k]++
			}
		}
	}
	if wrong[0] == 0 {
		t.Error("the perceptron's table has every class right")
	}
	if wrong[1] != 0 {
		t.Errorf("the MLP's table has %d wrong classes", wrong[1])
	}
	for _, want := range []string{"Training perceptron 2-1 ", "Training mlp 2-4-1 tanh ", "mlp accuracy: 1.000\n", "Epoch 500/500, loss: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^perceptron accuracy: 0\.(250|500|750|000)$`).MatchString(stdout) {
		t.Errorf("no perceptron accuracy line of at most 0.750:\n%s", stdout)
	}
	if got, want := lastLine(stdout), "The MLP learned XOR; the perceptron did not (XOR is not linearly separable)."; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}

	quiet, _, _ := runBin(t, "--quiet")
	if quiet != stdout {
		// --quiet silences only the progress bar, which a pipe never shows.
		t.Errorf("--quiet changes stdout:\n%s\nwithout it:\n%s", quiet, stdout)
	}
}

func TestHelp(t *testing.T) {
	stdout, stderr, status := runBin(t, "--help")
	if status != 0 || stderr != "" {
		t.Fatalf("xor --help: status %d, stderr %q", status, stderr)
	}
	if n := strings.Count(stdout, "Usage: xor"); n != 1 {
		t.Errorf("the usage is printed %d times, want once:\n%s", n, stdout)
	}
	for _, flag := range []string{"--model", "--hidden", "--activation", "--loss", "--optimizer", "--lr", "--epochs", "--l2", "--seed", "--quiet"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("--help does not list %s", flag)
		}
	}
}

// Bad flags and arguments: exit status 2, nothing on stdout, and on stderr one line naming the
// problem (then the usage hint), never a panic trace.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the first stderr line
	}{
		{[]string{"--model", "foo"}, `--model "foo": want perceptron or mlp`},
		{[]string{"--hidden", "4,,2"}, `--hidden "4,,2": empty size at position 2`},
		{[]string{"--hidden", "abc"}, `--hidden "abc": "abc" is not a whole number`},
		{[]string{"--hidden", "0"}, `--hidden "0": size 0`},
		{[]string{"--hidden="}, `--hidden is empty`},
		{[]string{"--loss", "xent"}, `--loss "xent": want one of`},
		{[]string{"--epochs", "0"}, `--epochs 0: must be between 1`},
		{[]string{"--epochs", "-3"}, `--epochs -3: must be between 1`},
		{[]string{"--epochs", "abc"}, `"--epochs"`},
		{[]string{"--lr", "-1"}, `--lr -1: must be between`},
		{[]string{"--lr", "abc"}, `invalid argument "abc" for "--lr"`},
		{[]string{"--l2", "-1"}, `--l2 -1: must be between 0 and`},
		{[]string{"--optimizer", "adagrad"}, `"adagrad"`},
		{[]string{"--activation", "swish"}, `"swish"`},
		{[]string{"--frob"}, `unknown flag: --frob`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--model", "mlp", "extra"}, `unexpected argument "extra"`},
	} {
		stdout, stderr, status := runBin(t, c.args...)
		name := "xor " + strings.Join(c.args, " ")
		if status != 2 {
			t.Errorf("%s: exit status %d, want 2 (stderr %q)", name, status, stderr)
		}
		if stdout != "" {
			t.Errorf("%s: wrote to stdout %q", name, stdout)
		}
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "xor: ") || !strings.Contains(lines[0], c.want) {
			t.Errorf("%s: first stderr line %q, want \"xor: ...%s...\"", name, lines[0], c.want)
		}
		if len(lines) > 2 || (len(lines) == 2 && !strings.Contains(lines[1], "--help")) {
			t.Errorf("%s: stderr is not one line plus the usage hint:\n%s", name, stderr)
		}
		if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
			t.Errorf("%s: stderr has a panic trace:\n%s", name, stderr)
		}
	}
}
