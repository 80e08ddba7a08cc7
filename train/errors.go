package train

import "fmt"

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
