package train

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/schollz/progressbar/v3"
)

// Progress shows training progress as one bar per epoch (github.com/schollz/progressbar), for a
// program to update from Trainer.OnBatch and clear (Done) before it prints an epoch's line. A
// disabled Progress (the program's output is not a terminal, or the user asked for quiet) does
// nothing.
type Progress struct {
	bar     *progressbar.ProgressBar
	enabled bool
	w       io.Writer
}

// NewProgress returns a progress display writing to w, enabled when quiet is false and w is a
// terminal (golang.org/x/term: a character device such as /dev/null is not one, so a bar is never
// drawn into 2>/dev/null or a log file).
func NewProgress(w io.Writer, quiet bool) *Progress {
	return &Progress{w: w, enabled: !quiet && IsTerminal(w)}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

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

// SignalName names a signal as a user knows it: SIGINT (Ctrl-C), SIGTERM; others as Go prints them.
func SignalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return fmt.Sprint(sig)
}

// SignalContext returns a context cancelled by SIGINT or SIGTERM, for Fit to stop between batches
// (ErrInterrupted) so that the program can keep the last finished epoch (Run.Interrupted, Checkpointer.Keep),
// and a function that reports which signal arrived (nil if none) and releases the handler. After
// the first signal the default behaviour returns, so a second Ctrl-C kills the process at once.
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
