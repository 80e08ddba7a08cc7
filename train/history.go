package train

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
)

var nan = math.NaN()

// HistoryHeader is the header row of History.WriteCSV.
var HistoryHeader = []string{"epoch", "loss", "train_acc", "val_loss", "val_acc", "seconds"}

// WriteCSV writes one row per epoch under HistoryHeader. Missing validation figures are empty.
func (h History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(HistoryHeader); err != nil {
		return err
	}
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 8, 64)
	}
	for _, e := range h {
		row := []string{strconv.Itoa(e.Epoch), f(e.Loss), f(e.TrainAcc), f(e.ValLoss), f(e.ValAcc), strconv.FormatFloat(e.Seconds, 'f', 3, 64)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
