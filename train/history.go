package train

import (
	"encoding/csv"
	"fmt"
	"gorgonet/model"
	"io"
	"math"
	"strconv"
)

var nan = math.NaN()

// HistoryHeader is the header row of History.WriteCSV.
// seconds is the epoch's wall time, user_seconds the user CPU time of the process during it
// (Epoch.UserSeconds): user_seconds/seconds is the number of cores it kept busy.
var HistoryHeader = []string{"epoch", "loss", "train_acc", "val_loss", "val_acc", "seconds", "user_seconds"}

// WriteCSV writes one row per epoch under HistoryHeader. Missing validation figures and unknown
// user times are empty.
func (h History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(HistoryHeader); err != nil {
		return err
	}
	f := func(v float64, format byte, prec int) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, format, prec, 64)
	}
	for _, e := range h {
		row := []string{strconv.Itoa(e.Epoch), f(e.Loss, 'g', 8), f(e.TrainAcc, 'g', 8), f(e.ValLoss, 'g', 8), f(e.ValAcc, 'g', 8),
			f(e.Seconds, 'f', 3), f(e.UserSeconds, 'f', 3)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Line formats the epoch in the tutorial's "Epoch N, loss: F" form, extended with the number of
// epochs, the training accuracy, the validation figures when there is a validation set, the
// learning rate when withLR (a schedule varies it), and the seconds:
//
//	Epoch 3/10, loss: 0.0712, train acc: 0.9781, val loss: 0.0850, val acc: 0.9744, 3.8s
func (e Epoch) Line(epochs int, withLR bool) string {
	line := fmt.Sprintf("Epoch %d/%d, loss: %.4f, train acc: %.4f", e.Epoch, epochs, e.Loss, e.TrainAcc)
	if !math.IsNaN(e.ValAcc) {
		line += fmt.Sprintf(", val loss: %.4f, val acc: %.4f", e.ValLoss, e.ValAcc)
	}
	if withLR {
		line += fmt.Sprintf(", lr: %.3g", e.LearnRate)
	}
	return line + fmt.Sprintf(", %.1fs", e.Seconds)
}

// SaveHistory writes h as CSV (WriteCSV) to path, atomically.
func SaveHistory(path string, h History) error {
	return model.WriteFileAtomic(path, h.WriteCSV)
}
