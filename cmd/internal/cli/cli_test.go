package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/spf13/pflag"

	"gorgonet/train"
)

func TestExit(t *testing.T) {
	const hint = "Run 'prog --help' for usage."
	for _, c := range []struct {
		name   string
		err    error
		hint   string
		status int
		stderr string
	}{
		{"nil", nil, hint, 0, ""},
		{"usage", Usagef("--epochs 0: must be between 1 and 10"), hint, ExitUsage, "prog: --epochs 0: must be between 1 and 10\n" + hint + "\n"},
		{"usage without hint", Usagef("bad"), "", ExitUsage, "prog: bad\n"},
		{"wrapped usage", fmt.Errorf("loading: %w", Usagef("--data: missing")), hint, ExitUsage, "prog: loading: --data: missing\n" + hint + "\n"},
		{"interrupted, no signal", &train.InterruptedError{Msg: "interrupted after 2 epochs"}, hint, ExitInterrupted, "prog: interrupted after 2 epochs\n"},
		{"SIGINT", &train.InterruptedError{Signal: os.Interrupt, Msg: "stopped"}, hint, 130, "prog: stopped\n"},
		{"SIGTERM", &train.InterruptedError{Signal: syscall.SIGTERM, Msg: "stopped"}, hint, 143, "prog: stopped\n"},
		{"wrapped interrupted", fmt.Errorf("train: %w", &train.InterruptedError{Signal: syscall.SIGINT, Msg: "stopped"}), hint, 130, "prog: train: stopped\n"},
		{"runtime", errors.New("reading x: bad magic"), hint, ExitRuntime, "prog: reading x: bad magic\n"},
		{"multi-line runtime", errors.New("first\n  second\tthird\n"), hint, ExitRuntime, "prog: first second third\n"},
		{"multi-line usage", Usagef("bad\nvalue"), hint, ExitUsage, "prog: bad value\n" + hint + "\n"},
		{"already reported", Reported(errors.New("2 of 3 images failed")), hint, ExitRuntime, ""},
		{"wrapped, already reported", fmt.Errorf("predict: %w", Reported(errors.New("1 of 2 images failed"))), hint, ExitRuntime, ""},
	} {
		var b bytes.Buffer
		if got := Exit(&b, "prog", c.hint, c.err); got != c.status {
			t.Errorf("%s: Exit = %d, want %d", c.name, got, c.status)
		}
		if b.String() != c.stderr {
			t.Errorf("%s: stderr %q, want %q", c.name, b.String(), c.stderr)
		}
	}
	if ExitRuntime != 1 || ExitUsage != 2 || ExitInterrupted != 130 {
		t.Errorf("exit statuses %d %d %d, want 1 2 130", ExitRuntime, ExitUsage, ExitInterrupted)
	}
}

func newTestFlags() (*pflag.FlagSet, *int, *int) {
	fs := pflag.NewFlagSet("prog", pflag.ContinueOnError)
	n := fs.Int("epochs", 10, "epochs")
	calls := new(int)
	fs.Usage = func() { *calls++ }
	return fs, n, calls
}

func TestParseFlags(t *testing.T) {
	fs, n, calls := newTestFlags()
	if err := ParseFlags(fs, []string{"--epochs", "3"}); err != nil || *n != 3 || *calls != 0 {
		t.Errorf("--epochs 3: err %v, value %d, usage printed %d times", err, *n, *calls)
	}
	for _, args := range [][]string{{"--frob"}, {"--epochs", "abc"}, {"-x"}, {"--epochs"}} {
		fs, _, calls := newTestFlags()
		var out bytes.Buffer
		fs.SetOutput(&out)
		err := ParseFlags(fs, args)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: error %v (%T), want a *UsageError", args, err, err)
		}
		if *calls != 0 || out.Len() != 0 {
			t.Errorf("%q: usage printed %d times, %q written: errors are reported once, by Exit", args, *calls, out.String())
		}
	}
	// --help and -h: ErrHelp, and the usage is left to the caller, so it is printed exactly once.
	for _, arg := range []string{"--help", "-h"} {
		fs, _, calls = newTestFlags()
		err := ParseFlags(fs, []string{arg})
		if !errors.Is(err, pflag.ErrHelp) {
			t.Errorf("%s: error %v, want pflag.ErrHelp", arg, err)
		}
		if *calls != 0 {
			t.Errorf("%s: ParseFlags printed the usage %d times; the caller prints it", arg, *calls)
		}
		fs.Usage()
		if *calls != 1 {
			t.Errorf("%s: fs.Usage was not restored after parsing", arg)
		}
	}
}
