package train

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gorgonet/model"
)

// A Checkpoint is everything needed to continue a training run exactly where it stopped: the
// network (its layers and weights), the trainer's State (config, history, solver state, the
// early-stopping best), and Meta, free-form metadata the caller fills with its own settings (the
// mnist command keeps its flags there, so that --resume can re-apply them).
//
// A checkpoint file is a model file (see package model: versioned, checksummed, written
// atomically) whose Extra holds the encoded State under StateKey and whose Meta is the
// checkpoint's, so any program that reads model files can also evaluate a checkpoint.
type Checkpoint struct {
	Net   *model.Network
	State State
	Meta  map[string]string
}

// StateKey is the key of the encoded State in a checkpoint's model.Saved.Extra.
const StateKey = "train.state"

// ErrNotCheckpoint is returned when a model file holds no training state: a saved model, which
// can be evaluated but not resumed.
var ErrNotCheckpoint = fmt.Errorf("a model file, not a checkpoint: it holds no training state")

// Checkpoint returns the trainer's checkpoint with the given metadata. It shares the network with
// the trainer: encode it (WriteCheckpoint, MarshalCheckpoint) before training goes on.
func (t *Trainer) Checkpoint(meta map[string]string) (*Checkpoint, error) {
	st, err := t.State()
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Net: t.Net, State: st, Meta: meta}, nil
}

// WriteCheckpoint writes c to w in the model file format. A network that cannot be saved (a layer
// that does not describe itself, NaN or infinite weights) is refused, as by model.Write.
func WriteCheckpoint(w io.Writer, c *Checkpoint) error {
	blob, err := encodeState(c.State)
	if err != nil {
		return err
	}
	return model.Write(w, model.Saved{Net: c.Net, Meta: c.Meta, Extra: map[string][]byte{StateKey: blob}})
}

// MarshalCheckpoint returns the bytes WriteCheckpoint writes: a snapshot of the run, to keep in
// memory (the last finished epoch, written out if the run is interrupted).
func MarshalCheckpoint(c *Checkpoint) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteCheckpoint(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SaveCheckpoint writes c to path atomically (model.WriteFileAtomic): an interrupted save never
// leaves a half-written file, and the previous checkpoint survives a failed one.
func SaveCheckpoint(path string, c *Checkpoint) error {
	return model.WriteFileAtomic(path, func(w io.Writer) error { return WriteCheckpoint(w, c) })
}

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint. A model file without training
// state is ErrNotCheckpoint; the network's layer kinds and activations must be registered.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	saved, err := model.Read(r)
	if err != nil {
		return nil, err
	}
	blob, ok := saved.Extra[StateKey]
	if !ok {
		return nil, ErrNotCheckpoint
	}
	st, err := decodeState(blob)
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Net: saved.Net, State: st, Meta: saved.Meta}, nil
}

// LoadCheckpoint reads the checkpoint at path. Errors name the file.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := ReadCheckpoint(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Resume returns a trainer that continues c up to epochs (0: the run's own Config.Epochs): its
// network, its config and its state. The next Fit starts after the last finished epoch and, with
// the same data, ends exactly where an uninterrupted run would. Epochs the checkpoint has already
// done are a *SettingError.
func Resume(c *Checkpoint, epochs int) (*Trainer, error) {
	cfg := c.State.Config
	if cfg.Replicas == 0 {
		cfg.Replicas = 1 // a checkpoint from before Config.Replicas: its run trained on one graph
	}
	if epochs > 0 {
		cfg.Epochs = epochs
	}
	if done := len(c.State.History); done >= cfg.Epochs {
		unit := "epochs"
		if done == 1 {
			unit = "epoch"
		}
		return nil, settingErr("epochs", fmt.Sprint(cfg.Epochs), "the checkpoint already holds %d %s, so the run is complete; ask for more epochs to train on", done, unit)
	}
	t, err := NewTrainer(c.Net, cfg)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := t.Restore(c.State); err != nil {
		return nil, err
	}
	return t, nil
}

// A Checkpointer keeps a run's checkpoint of the last finished epoch: call Epoch from
// Trainer.OnEpoch. It writes the checkpoint to Path after every epoch (atomically, so a crash
// leaves the previous one) and keeps its bytes, so that a run interrupted later can still save
// the last finished epoch (Keep) even without a Path.
type Checkpointer struct {
	Path string                   // written after every epoch; "" keeps the checkpoint in memory only
	Meta func() map[string]string // the metadata of each checkpoint; nil for none
	last []byte
}

// Epoch snapshots t's state and writes it to Path.
func (c *Checkpointer) Epoch(t *Trainer) error {
	var meta map[string]string
	if c.Meta != nil {
		meta = c.Meta()
	}
	ck, err := t.Checkpoint(meta)
	if err != nil {
		return err
	}
	b, err := MarshalCheckpoint(ck)
	if err != nil {
		return err
	}
	c.last = b
	if c.Path == "" {
		return nil
	}
	return model.WriteFileAtomic(c.Path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// ErrNoEpoch is returned by Keep when no epoch has finished: there is nothing to keep.
var ErrNoEpoch = errors.New("no epoch finished: nothing to save")

// Keep makes sure the last finished epoch's checkpoint is in a file, for a run that stops early
// (interrupted, say): in Path when there is one (it is already there), else written to fallback.
// It returns the file's path.
func (c *Checkpointer) Keep(fallback string) (string, error) {
	switch {
	case c.last == nil:
		return "", ErrNoEpoch
	case c.Path != "":
		return c.Path, nil
	}
	return fallback, model.WriteFileAtomic(fallback, func(w io.Writer) error { _, err := w.Write(c.last); return err })
}
