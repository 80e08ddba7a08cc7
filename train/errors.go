package train

import (
	"fmt"
	"os"
)

// DivergedError reports a run that diverged: a training loss that became NaN or infinite at a
// batch (What is empty), or, checked after each epoch's last update and before the epoch counts,
// weights, outputs or a validation loss that are not finite (What says which).
type DivergedError struct {
	Epoch, Batch int
	Loss         float64
	What         string
	LearnRate    float64
}

func (e *DivergedError) Error() string {
	if e.What != "" {
		return fmt.Sprintf("training diverged in epoch %d: %s; try a lower learning rate (it is %g)", e.Epoch, e.What, e.LearnRate)
	}
	return fmt.Sprintf("training diverged: the loss is %v at epoch %d, batch %d; try a lower learning rate (it is %g)",
		e.Loss, e.Epoch, e.Batch, e.LearnRate)
}

// An InterruptedError reports work that a signal stopped (see SignalContext) once what could be
// kept was kept: Msg says what that is and how to go on (Run.Interrupted writes one). It wraps
// ErrInterrupted. A program exits with status 128 + the signal's number, as shells report a
// killed process.
type InterruptedError struct {
	Signal os.Signal // the signal that stopped the work; nil when not known
	Msg    string
}

func (e *InterruptedError) Error() string { return e.Msg }

// Unwrap returns ErrInterrupted, so that errors.Is(err, ErrInterrupted) holds.
func (e *InterruptedError) Unwrap() error { return ErrInterrupted }
