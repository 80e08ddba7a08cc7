// Package cli holds what the mnist and xor programs share: the split between usage errors (exit
// status 2: a bad flag, a *train.SettingError) and runtime errors (1), the exit status of an
// interruption by a signal (a *train.InterruptedError), and parsing a command's flags.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"gorgonet/train"
)

// Exit statuses.
const (
	ExitRuntime     = 1
	ExitUsage       = 2
	ExitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// UsageError is a bad flag, argument or value: the program prints it with a usage hint and exits
// with status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// ReportedError is a runtime failure already reported line by line: Exit prints nothing more.
type ReportedError struct{ error }

// Reported returns err as a ReportedError.
func Reported(err error) error { return ReportedError{err} }

// Exit prints err (if any) as one line on stderr, with a usage hint for usage errors (a
// UsageError or a *train.SettingError), and returns the process exit status: 128 + the signal's
// number for a *train.InterruptedError (130 for SIGINT, or when the signal is not known).
func Exit(stderr io.Writer, prog, hint string, err error) int {
	var ie *train.InterruptedError
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(ReportedError)):
		return ExitRuntime // already reported, line by line
	}
	fmt.Fprintf(stderr, "%s: %s\n", prog, strings.Join(strings.Fields(err.Error()), " "))
	switch {
	case errors.As(err, new(*UsageError)), errors.As(err, new(*train.SettingError)):
		if hint != "" {
			fmt.Fprintln(stderr, hint)
		}
		return ExitUsage
	case errors.As(err, &ie):
		if s, ok := ie.Signal.(syscall.Signal); ok {
			return 128 + int(s)
		}
		return ExitInterrupted
	}
	return ExitRuntime
}

// ParseFlags parses args into fs and turns pflag's errors into UsageErrors. It returns
// pflag.ErrHelp when --help was asked for; the usage has NOT been printed then: the caller prints
// it (fs.Usage()), once.
func ParseFlags(fs *pflag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // errors are reported once, by Exit
	// pflag calls fs.Usage itself on --help/-h before returning ErrHelp, and the callers print it
	// too: without this the usage came out twice.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return &UsageError{err}
	}
	return nil
}

// ParseCommand parses a command's flags: --help prints "Usage: " + usage, a blank line and the
// flag list to stdout and returns pflag.ErrHelp; positional arguments are a usage error unless
// allowArgs.
func ParseCommand(fs *pflag.FlagSet, args []string, stdout io.Writer, usage string, allowArgs bool) error {
	fs.Usage = func() { fmt.Fprintf(stdout, "Usage: %s\n\nFlags:\n%s", usage, fs.FlagUsages()) }
	if err := ParseFlags(fs, args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fs.Usage()
		}
		return err
	}
	if !allowArgs && fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
