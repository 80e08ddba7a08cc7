package model

import (
	"fmt"
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Rewind readies a TapeMachine to run its program again while keeping the values in its
// registers, so that every op able to (Gorgonia's UsePreallocDoer) writes into the tensor it
// wrote in the previous run instead of allocating a new one. Gorgonia's own Reset drops every
// register, so each run re-allocates every intermediate: for a 784-256-10 MLP at batch 100 about
// 1.2 MB per step, and the garbage collection that follows. Inputs are loaded anew by every run,
// and the values read through G.Read are overwritten by the next run, as after Reset.
//
// Gorgonia v0.9.18 has no API for this: the tape machine's program counter is reached by
// reflection, as train reaches the solvers' state; vm must be a *tapeMachine (NewTapeMachine).
// The results are bit-identical to those with Reset (TestRewindIsReset).
func Rewind(vm G.VM) error {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("model: Rewind: %T is not a tape machine", vm)
	}
	pc := v.Elem().FieldByName("pc")
	if !pc.IsValid() || pc.Kind() != reflect.Int {
		return fmt.Errorf("model: Rewind: %T has no program counter", vm)
	}
	reflect.NewAt(pc.Type(), unsafe.Pointer(pc.UnsafeAddr())).Elem().SetInt(0)
	return nil
}

// Run runs a TapeMachine's program on the calling goroutine, as vm.RunAll does, with the same
// results bit for bit (TestRunIsRunAll), and is used the same way: load the inputs, Run, read the
// values, then Rewind (or Reset) before the next run. Like RunAll, it runs the program from where
// the machine stands to its end, so a second Run without Rewind runs nothing (TestRunNeedsRewind).
//
// It is faster: Gorgonia's RunAll locks the caller to its OS thread, starts a goroutine that runs
// the program and waits for it, two hand-offs between OS threads every run, each the wake-up of a
// sleeping thread, which on a virtual machine's idle core took from 0.1 to over 1 ms, while the
// replicas of a training step could not run at once. Run instead calls the machine's own Run
// method on the rest of its program (the same instructions in the same order; then every node is
// bound to its value, as the instructions already did), reaching the program by reflection as
// Rewind does. Machines Run cannot run so are run by RunAll: anything but a tape machine, a machine
// that watches for NaN, Inf or pointer clashes (G.WithNaNWatch, G.WithInfWatch: RunAll's checks),
// and one with work queued for after the run (gradients of constant nodes). After an error the
// machine needs a Reset, as after RunAll's.
func Run(vm G.VM) error {
	if ran, err := runOnCaller(vm); ran {
		return err
	}
	return vm.RunAll()
}

// runOnCaller runs vm's program as Run does and reports whether it could.
func runOnCaller(vm G.VM) (ran bool, err error) {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return false, nil
	}
	m := v.Elem()
	p, pc, closures := m.FieldByName("p"), m.FieldByName("pc"), m.FieldByName("closureQueue")
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() || !pc.IsValid() || pc.Kind() != reflect.Int ||
		!closures.IsValid() || closures.Kind() != reflect.Slice || closures.Len() != 0 {
		return false, nil
	}
	// RunAll's own checks after each instruction, which Run does not make: WithNaNWatch,
	// WithInfWatch (runFlags bits 2 and 3) and the pointer watch (logFlags bit 4).
	runFlags, logFlags := m.FieldByName("runFlags"), m.FieldByName("logFlags")
	if !runFlags.CanUint() || !logFlags.CanUint() || runFlags.Uint()&(1<<2|1<<3) != 0 || logFlags.Uint()&(1<<4) != 0 {
		return false, nil
	}
	prog := reflect.NewAt(p.Type().Elem(), p.UnsafePointer()).Elem()
	instrs := prog.FieldByName("instructions")
	run := v.MethodByName("Run")
	if !instrs.IsValid() || instrs.Kind() != reflect.Slice || !run.IsValid() || run.Type().NumIn() != 1 || run.Type().In(0) != instrs.Type() || run.Type().NumOut() != 1 {
		return false, nil
	}
	from, end := int(pc.Int()), instrs.Len()
	if from >= end {
		return true, nil // run already: RunAll too runs nothing until the machine is rewound
	}
	rest := reflect.NewAt(instrs.Type(), unsafe.Pointer(instrs.UnsafeAddr())).Elem().Slice(from, end)
	out := run.Call([]reflect.Value{rest})
	if err, _ = out[0].Interface().(error); err == nil {
		reflect.NewAt(pc.Type(), unsafe.Pointer(pc.UnsafeAddr())).Elem().SetInt(int64(end)) // where RunAll leaves it
	}
	return true, err
}
