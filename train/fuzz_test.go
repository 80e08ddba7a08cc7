package train

import (
	"context"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
)

// FuzzRestoreState: the training state of a checkpoint (behind the model file's checksum, but
// outside input all the same: 'mnist train --resume FILE') decodes, restores into a trainer and
// trains on, or is refused with an error; it never panics, whatever its solver slots hold.
func FuzzRestoreState(f *testing.F) {
	data := dataset.XOR()
	cfg := model.MLP(2, []int{3}, 1)
	newTrainer := func(tb testing.TB, opt string, epochs int) *Trainer {
		return fixTrainer(tb, fixNet(tb, cfg, 1), Config{Optimizer: opt, Epochs: epochs, BatchSize: 4, Seed: 1, LearnRate: 0.1})
	}
	for i, opt := range Optimizers {
		tr := newTrainer(f, opt, 2)
		if err := tr.Fit(context.Background(), data, nil); err != nil {
			f.Fatal(err)
		}
		st, err := tr.State()
		if err != nil {
			f.Fatal(err)
		}
		blob, err := encodeState(st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), blob)
		f.Add(uint8(i), blob[:len(blob)/2])
		bad := st
		bad.Solver.Set = bad.Solver.Set[:len(bad.Solver.Set)/2]
		if b, err := encodeState(bad); err == nil {
			f.Add(uint8(i), b)
		}
	}
	f.Add(uint8(0), []byte{})
	f.Add(uint8(2), []byte("not gob"))
	f.Fuzz(func(t *testing.T, which uint8, blob []byte) {
		st, err := decodeState(blob)
		if err != nil {
			return
		}
		if len(st.History) > 1000 {
			return // a long history is fine, but training past it would only be slow
		}
		tr := newTrainer(t, Optimizers[int(which)%len(Optimizers)], len(st.History)+1)
		if err := tr.Restore(st); err != nil {
			return
		}
		_ = tr.Fit(context.Background(), data, nil) // may diverge on fuzzed moments; must not panic
	})
}
