// Package cli holds what the mnist and xor programs share: the split between usage errors (exit
// status 2: a bad flag, a *train.SettingError) and runtime errors (1), parsing a command's flags,
// interruption by signals, output paths, and the progress bar.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"golang.org/x/term"

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

// InterruptedError is returned when a signal stopped the work; Msg says what was kept. The exit
// status is 128 + the signal number (130 for SIGINT), as shells report a killed process.
type InterruptedError struct {
	Signal os.Signal
	Msg    string
}

func (e *InterruptedError) Error() string { return e.Msg }

// Exit prints err (if any) as one line on stderr, with a usage hint for usage errors, and returns
// the process exit status.
func Exit(stderr io.Writer, prog, hint string, err error) int {
	if err == nil {
		return 0
	}
	var ue *UsageError
	var se *train.SettingError
	var ie *InterruptedError
	switch {
	case errors.As(err, &ue), errors.As(err, &se):
		fmt.Fprintf(stderr, "%s: %v\n", prog, oneLine(err))
		if hint != "" {
			fmt.Fprintln(stderr, hint)
		}
		return ExitUsage
	case errors.As(err, &ie):
		fmt.Fprintf(stderr, "%s: %v\n", prog, oneLine(err))
		if s, ok := ie.Signal.(syscall.Signal); ok {
			return 128 + int(s)
		}
		return ExitInterrupted
	case errors.As(err, new(interface{ Reported() })):
		return ExitRuntime // already reported, line by line
	default:
		fmt.Fprintf(stderr, "%s: %v\n", prog, oneLine(err))
		return ExitRuntime
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
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

// SignalContext returns a context cancelled by SIGINT or SIGTERM, and a function that reports
// which signal arrived (nil if none) and releases the handler. After the first signal the default
// behaviour returns, so a second Ctrl-C kills the process at once.
func SignalContext(parent context.Context) (context.Context, func() os.Signal) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	got := make(chan os.Signal, 1)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			got <- s
			cancel()
		case <-done:
		}
	}()
	return ctx, func() os.Signal {
		close(done)
		signal.Stop(ch)
		cancel()
		select {
		case s := <-got:
			return s
		default:
			return nil
		}
	}
}

// IsTerminal reports whether w is a terminal (golang.org/x/term: a character device such as
// /dev/null is not one), so that progress bars are drawn only where someone sees them.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Progress shows one bar per epoch on stderr when it is a terminal and quiet is false; otherwise
// its methods do nothing.
type Progress struct {
	bar     *progressbar.ProgressBar
	enabled bool
	w       io.Writer
}

// NewProgress returns a progress display writing to w when enabled.
func NewProgress(w io.Writer, enabled bool) *Progress { return &Progress{w: w, enabled: enabled} }

// Batch records that batch of batches in epoch is done.
func (p *Progress) Batch(epoch, epochs, batch, batches int) {
	p.Step(fmt.Sprintf("epoch %d/%d", epoch, epochs), batch, batches)
}

// Step records that done of total steps are done; a new bar, labelled desc, starts at step 1.
func (p *Progress) Step(desc string, done, total int) {
	if !p.enabled {
		return
	}
	if done == 1 || p.bar == nil {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
	}
	_ = p.bar.Set(done)
}

// Done clears the bar (before an epoch line is printed).
func (p *Progress) Done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
}

// CheckWritable makes path's directory when missing and fails with a UsageError when path is a
// directory or cannot be written (see MakeDir), so that a run is refused before any training
// rather than losing its result at the end.
func CheckWritable(flag, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() { // the rename would fail after training
		return Usagef("--%s %s: is a directory, not a file", flag, path)
	}
	return MakeDir(flag, path, filepath.Dir(path))
}

// MakeDir makes dir when missing (as mkdir -p) and fails with a UsageError naming the flag and
// its value when dir cannot be made (a path through a regular file, say) or written in.
func MakeDir(flag, value, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			for p := dir; p != filepath.Dir(p); p = filepath.Dir(p) { // name the file in the way
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					return Usagef("--%s %s: %s is not a directory", flag, value, p)
				}
			}
		}
		return Usagef("--%s %s: cannot create directory %s: %v", flag, value, dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".gorgonet-write-test-*")
	if err != nil {
		return Usagef("--%s %s: cannot write in %s", flag, value, dir)
	}
	f.Close()
	return os.Remove(f.Name())
}
