package train

import "fmt"

// DivergedError reports a loss that became NaN or infinite.
type DivergedError struct {
	Epoch, Batch int
	Loss         float64
	LearnRate    float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("training diverged: the loss is %v at epoch %d, batch %d; try a lower learning rate (it is %g)",
		e.Loss, e.Epoch, e.Batch, e.LearnRate)
}
