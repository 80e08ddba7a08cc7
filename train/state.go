package train

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"gorgonet/model"
)

// State is what a checkpoint keeps besides the network: enough to continue training exactly as if
// it had not stopped. The random streams of an epoch (its batch order, its dropout masks) are
// derived from Config.Seed and the epoch number alone, so the number of finished epochs is their
// position; no generator state needs keeping.
type State struct {
	Version      int // stateVersion
	Config       Config
	History      History
	Solver       SolverState
	Best         Best
	StoppedEarly bool
}

// stateVersion is the version of the encoded State; a checkpoint holding another is refused.
const stateVersion = 2

// SolverState is a Gorgonia solver's internal state: its step count (Adam's bias correction) and,
// per learnable in order, the tensors it keeps (Adam: first and second moments; RMSProp: the
// squared-gradient average; momentum: the velocity).
type SolverState struct {
	Iter  int
	Slots [][2]model.TensorData
	Set   []bool // whether the solver has created the slot yet (it does so on its first step)
}

// State returns the trainer's current state.
func (t *Trainer) State() (State, error) {
	ss, err := readSolverState(t.solver)
	if err != nil {
		return State{}, err
	}
	return State{Version: stateVersion, Config: t.Config, History: append(History(nil), t.History...), Solver: ss, Best: t.Best, StoppedEarly: t.StoppedEarly}, nil
}

// Restore sets the history and solver state saved by State, so the next Fit continues after the
// last saved epoch.
func (t *Trainer) Restore(s State) error {
	learnables := t.full.g.Learnables
	if len(s.Solver.Set) != len(s.Solver.Slots) || len(s.Solver.Slots) != 0 && len(s.Solver.Slots) != len(learnables) {
		return fmt.Errorf("checkpoint: solver state for %d learnables, the model has %d", len(s.Solver.Slots), len(learnables))
	}
	if s.Best.Weights != nil {
		if err := t.checkBest(s.Best); err != nil {
			return err
		}
	}
	if err := writeSolverState(t.solver, s.Solver, learnables); err != nil {
		return err
	}
	t.History = append(History(nil), s.History...)
	t.Best, t.StoppedEarly = s.Best, s.StoppedEarly
	return nil
}

// checkBest checks that the best epoch's weights fit the network, so that early stopping can
// restore them.
func (t *Trainer) checkBest(b Best) error {
	have := t.Net.Weights()
	for name, td := range b.Weights {
		w, ok := have[name]
		if !ok || !slices.Equal(w.Shape, td.Shape) || w.Dtype() != td.Dtype() {
			return fmt.Errorf("checkpoint: the best epoch's weights do not fit the network (%s)", name)
		}
	}
	if len(b.Weights) != len(have) {
		return fmt.Errorf("checkpoint: the best epoch's weights hold %d tensors, the network %d", len(b.Weights), len(have))
	}
	return nil
}

// encodeState and decodeState turn a State into bytes for model.Saved.Extra and back.
func encodeState(s State) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(s); err != nil {
		return nil, fmt.Errorf("encode training state: %w", err)
	}
	return b.Bytes(), nil
}

func decodeState(b []byte) (s State, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decode training state: %v", r)
		}
	}()
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return State{}, fmt.Errorf("decode training state: %w", err)
	}
	if s.Version != stateVersion {
		return State{}, fmt.Errorf("training state version %d, this program reads %d: the checkpoint comes from another gorgonet", s.Version, stateVersion)
	}
	return s, nil
}

// SetLearnRate changes the learning rate the solver uses from its next step on (schedules).
func (t *Trainer) SetLearnRate(lr float64) error {
	f, ok := solverField(t.solver, "eta")
	if !ok {
		return fmt.Errorf("solver %T has no learning rate field", t.solver)
	}
	f.SetFloat(lr)
	return nil
}

// Gorgonia v0.9.18's solvers keep their learning rate and state in unexported fields, with no API
// to read or set them; the version is pinned (it is the last release), so they are reached by
// reflection. The checkpoint tests fail if a field moves.

func solverField(s G.Solver, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.Elem().FieldByName(name)
	if !f.IsValid() {
		return reflect.Value{}, false
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), true
}

func settable(v reflect.Value) reflect.Value {
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

func readSolverState(s G.Solver) (SolverState, error) {
	var ss SolverState
	if it, ok := solverField(s, "iter"); ok {
		ss.Iter = int(it.Int())
	}
	cache, ok := solverField(s, "cache")
	if !ok {
		return ss, nil // plain SGD keeps no state
	}
	for i := range cache.Len() {
		dv := cache.Index(i)
		if dv.IsNil() {
			ss.Slots = append(ss.Slots, [2]model.TensorData{})
			ss.Set = append(ss.Set, false)
			continue
		}
		var slot [2]model.TensorData
		for j, name := range []string{"Value", "d"} {
			f := settable(dv.Elem().FieldByName(name))
			if d, ok := f.Interface().(*tensor.Dense); ok {
				slot[j] = model.TensorDataOf(d)
			}
		}
		ss.Slots = append(ss.Slots, slot)
		ss.Set = append(ss.Set, true)
	}
	return ss, nil
}

func writeSolverState(s G.Solver, ss SolverState, learnables G.Nodes) error {
	if it, ok := solverField(s, "iter"); ok {
		it.SetInt(int64(ss.Iter))
	}
	cache, ok := solverField(s, "cache")
	if !ok || len(ss.Slots) == 0 {
		return nil
	}
	slice := reflect.MakeSlice(cache.Type(), len(ss.Slots), len(ss.Slots))
	for i, slot := range ss.Slots {
		if !ss.Set[i] {
			continue
		}
		dv := reflect.New(cache.Type().Elem().Elem()) // *dualValue
		shape := learnables[i].Shape()
		for j, name := range []string{"Value", "d"} {
			d := tensor.New(tensor.WithShape(shape...), tensor.Of(learnables[i].Dtype()))
			if err := slot[j].CopyInto(fmt.Sprintf("solver state %s", learnables[i].Name()), d); err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
			settable(dv.Elem().FieldByName(name)).Set(reflect.ValueOf(d))
		}
		slice.Index(i).Set(dv)
	}
	cache.Set(slice)
	return nil
}
