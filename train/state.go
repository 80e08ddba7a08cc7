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

// stateVersion is the version of the encoded State; a checkpoint holding another is refused,
// except version 2, which lacks Epoch.UserSeconds (decodeState makes it NaN: not recorded).
const stateVersion = 3

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
	ss, err := readSolverState(t.solver, t.full.learnables())
	if err != nil {
		return State{}, err
	}
	return State{Version: stateVersion, Config: t.Config, History: append(History(nil), t.History...), Solver: ss, Best: t.Best, StoppedEarly: t.StoppedEarly}, nil
}

// Restore sets the history and solver state saved by State, so the next Fit continues after the
// last saved epoch.
func (t *Trainer) Restore(s State) error {
	learnables := t.full.learnables()
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
	if s.Version == 2 {
		// Version 2 did not record the epochs' user times; gob leaves the absent field 0.
		for i := range s.History {
			s.History[i].UserSeconds = nan
		}
		s.Version = stateVersion
	}
	if s.Version != stateVersion {
		return State{}, fmt.Errorf("training state version %d, this program reads %d: the checkpoint comes from another gorgonet", s.Version, stateVersion)
	}
	return s, nil
}

// SetLearnRate changes the learning rate the solver uses from its next step on (schedules).
func (t *Trainer) SetLearnRate(lr float64) error {
	for _, s := range t.solver.solvers {
		f, ok := solverField(s, "eta")
		if !ok {
			return fmt.Errorf("solver %T has no learning rate field", s)
		}
		f.SetFloat(lr)
	}
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

// A slot is what a solver keeps for one of its tensors (the two fields of its dualValue); nil
// tensors until its first step.
type slot [2]*tensor.Dense

// solverSlots reads a solver's step count and its slots, one per tensor it updates; ok is false
// for a solver that keeps none (plain SGD).
func solverSlots(s G.Solver) (iter int, slots []slot, ok bool) {
	if it, ok := solverField(s, "iter"); ok {
		iter = int(it.Int())
	}
	cache, ok := solverField(s, "cache")
	if !ok {
		return iter, nil, false
	}
	slots = make([]slot, cache.Len())
	for i := range cache.Len() {
		if dv := cache.Index(i); !dv.IsNil() {
			for j, name := range []string{"Value", "d"} {
				slots[i][j], _ = settable(dv.Elem().FieldByName(name)).Interface().(*tensor.Dense)
			}
		}
	}
	return iter, slots, true
}

// setSolverSlots sets a solver's step count and slots (nil tensors: not created yet).
func setSolverSlots(s G.Solver, iter int, slots []slot) {
	if it, ok := solverField(s, "iter"); ok {
		it.SetInt(int64(iter))
	}
	cache, ok := solverField(s, "cache")
	if !ok {
		return
	}
	if len(slots) == 0 {
		cache.Set(reflect.Zero(cache.Type()))
		return
	}
	slice := reflect.MakeSlice(cache.Type(), len(slots), len(slots))
	for i, sl := range slots {
		if sl[0] == nil {
			continue
		}
		dv := reflect.New(cache.Type().Elem().Elem()) // *dualValue
		for j, name := range []string{"Value", "d"} {
			settable(dv.Elem().FieldByName(name)).Set(reflect.ValueOf(sl[j]))
		}
		slice.Index(i).Set(dv)
	}
	cache.Set(slice)
}

// readSolverState gathers the solvers' slots into one per learnable, whatever the shares.
func readSolverState(s *shardedSolver, learnables G.Nodes) (SolverState, error) {
	var ss SolverState
	sizes := learnableSizes(learnables)
	full := make([]slot, len(learnables))
	started := false
	for k, solver := range s.solvers {
		iter, slots, ok := solverSlots(solver)
		ss.Iter = iter
		if !ok || len(slots) == 0 {
			continue
		}
		started = true
		pieces := s.pieces(k, sizes)
		if len(slots) != len(pieces) {
			return SolverState{}, fmt.Errorf("solver share %d keeps %d slots for %d pieces", k, len(slots), len(pieces))
		}
		for j, p := range pieces {
			if slots[j][0] == nil {
				continue
			}
			for m := range full[p.i] {
				if full[p.i][m] == nil {
					full[p.i][m] = tensor.New(tensor.WithShape(learnables[p.i].Shape()...), tensor.Of(learnables[p.i].Dtype()))
				}
				if err := tensor.Copy(slice(full[p.i][m], p.lo, p.hi, tensor.StdEng{}), slots[j][m]); err != nil {
					return SolverState{}, fmt.Errorf("solver state %s: %w", learnables[p.i].Name(), err)
				}
			}
		}
	}
	if !started {
		return ss, nil
	}
	for _, sl := range full {
		var data [2]model.TensorData
		if sl[0] != nil {
			data = [2]model.TensorData{model.TensorDataOf(sl[0]), model.TensorDataOf(sl[1])}
		}
		ss.Slots = append(ss.Slots, data)
		ss.Set = append(ss.Set, sl[0] != nil)
	}
	return ss, nil
}

// writeSolverState cuts a saved state into the solvers' shares.
func writeSolverState(s *shardedSolver, ss SolverState, learnables G.Nodes) error {
	full := make([]slot, len(ss.Slots))
	for i, data := range ss.Slots {
		if !ss.Set[i] {
			continue
		}
		for m := range data {
			d := tensor.New(tensor.WithShape(learnables[i].Shape()...), tensor.Of(learnables[i].Dtype()))
			if err := data[m].CopyInto(fmt.Sprintf("solver state %s", learnables[i].Name()), d); err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
			full[i][m] = d
		}
	}
	sizes := learnableSizes(learnables)
	for k, solver := range s.solvers {
		var slots []slot
		if len(full) > 0 {
			for _, p := range s.pieces(k, sizes) {
				var sl slot
				if full[p.i][0] != nil {
					for m := range sl {
						sl[m] = slice(full[p.i][m], p.lo, p.hi, s.engines[k]).Clone().(*tensor.Dense)
					}
				}
				slots = append(slots, sl)
			}
		}
		setSolverSlots(solver, ss.Iter, slots)
	}
	return nil
}

func learnableSizes(learnables G.Nodes) []int {
	sizes := make([]int, len(learnables))
	for i, n := range learnables {
		sizes[i] = n.Shape().TotalSize()
	}
	return sizes
}
