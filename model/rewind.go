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

// Run runs a TapeMachine's whole program on the calling goroutine, with the results of RunAll
// bit for bit (TestRunIsRunAll). Gorgonia's RunAll locks the caller to its OS thread, starts a
// goroutine that runs the program and waits for it: two hand-offs of the processor between OS
// threads every run, each the wake-up of a sleeping thread, which on a virtual machine's idle
// core took from 0.1 to over 1 ms, during which the replicas of a training step did not run at
// once. Run calls the machine's own Run on its whole program instead (the same instructions in
// the same order; then every node is bound to its value, as the instructions already did), and
// falls back to RunAll for anything but a tape machine with no work queued for after the run and
// no NaN, Inf or pointer watch (G.WithNaNWatch, G.WithInfWatch: RunAll's checks).
// Like Rewind, it reaches the machine's program by reflection.
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
	p, closures := m.FieldByName("p"), m.FieldByName("closureQueue")
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() || !closures.IsValid() || closures.Kind() != reflect.Slice || closures.Len() != 0 {
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
	if !instrs.IsValid() || !run.IsValid() || run.Type().NumIn() != 1 || run.Type().In(0) != instrs.Type() || run.Type().NumOut() != 1 {
		return false, nil
	}
	out := run.Call([]reflect.Value{reflect.NewAt(instrs.Type(), unsafe.Pointer(instrs.UnsafeAddr())).Elem()})
	err, _ = out[0].Interface().(error)
	return true, err
}
