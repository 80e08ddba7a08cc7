package train

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A disabled Progress writes nothing; an enabled one draws a bar labelled with the epoch and
// clears it on Done.
func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, false) // a buffer is not a terminal: disabled even when not quiet
	for i := 1; i <= 5; i++ {
		p.Batch(1, 2, i, 5)
	}
	p.Done()
	if b.Len() != 0 {
		t.Errorf("a disabled progress bar wrote %q", b.String())
	}
	p = &Progress{w: &b, enabled: true} // as NewProgress makes it on a terminal
	for i := 1; i <= 5; i++ {
		p.Batch(2, 3, i, 5)
	}
	if !strings.Contains(b.String(), "epoch 2/3") || !strings.Contains(b.String(), "(1/5)") {
		t.Errorf("the bar shows %q", b.String())
	}
	p.Done()
	if p.bar != nil {
		t.Error("Done left the bar")
	}
}

func TestSignalContext(t *testing.T) {
	ctx, stop := SignalContext(context.Background())
	if ctx.Err() != nil {
		t.Fatal("context cancelled before any signal")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	if sig := stop(); sig != syscall.SIGTERM {
		t.Errorf("stop() = %v, want SIGTERM", sig)
	}

	ctx, stop = SignalContext(context.Background())
	if sig := stop(); sig != nil {
		t.Errorf("stop() without a signal = %v, want nil", sig)
	}
	if ctx.Err() == nil {
		t.Error("stop() must release (cancel) the context")
	}
}

// IsTerminal is false for a regular file, a pipe and /dev/null (a character device, which the
// mode-bit test took for a terminal: the progress bar was then drawn into 2>/dev/null).
func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, out := range map[string]io.Writer{"a regular file": f, os.DevNull: null, "a pipe": w, "a buffer": &bytes.Buffer{}} {
		if IsTerminal(out) {
			t.Errorf("IsTerminal(%s) = true", name)
		}
	}
}
