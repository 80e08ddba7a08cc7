package model

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every task runs exactly once, and Parallel returns only when all have finished, whatever their
// number, from several goroutines at once, and nested three deep (a task's Parallel inside a
// task's).
func TestParallelRunsEveryTaskOnce(t *testing.T) {
	var wg sync.WaitGroup
	for caller := range 4 {
		wg.Go(func() {
			for n := range 12 {
				runs := make([]atomic.Int32, n)
				finished := make([]atomic.Bool, n)
				tasks := make([]func(), n)
				for i := range tasks {
					tasks[i] = func() {
						runs[i].Add(1)
						if (i+caller)%3 == 0 {
							time.Sleep(50 * time.Microsecond) // some tasks outlast the caller's
						}
						if n > 4 && i%4 == 1 { // nested: every task's inner tasks run too
							var inner [3]atomic.Int32
							Parallel(func() { inner[0].Add(1) }, func() {
								inner[1].Add(1)
								Parallel(func() { inner[2].Add(1) }, func() { inner[2].Add(1) })
							})
							if inner[0].Load() != 1 || inner[1].Load() != 1 || inner[2].Load() != 2 {
								t.Errorf("inner tasks ran %d, %d, %d times, want 1, 1, 2", inner[0].Load(), inner[1].Load(), inner[2].Load())
							}
						}
						finished[i].Store(true)
					}
				}
				Parallel(tasks...)
				for i := range n {
					if runs[i].Load() != 1 || !finished[i].Load() {
						t.Errorf("caller %d, %d tasks: task %d ran %d times, finished %v when Parallel returned", caller, n, i, runs[i].Load(), finished[i].Load())
					}
				}
			}
		})
	}
	wg.Wait()
}

// The crew runs tasks at once with the caller, also after it has blocked for want of work: here
// each of two tasks waits for the other to have started, which one goroutine could not do.
func TestParallelRunsTasksAtOnce(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("no crew with GOMAXPROCS 1")
	}
	for round := range 3 {
		time.Sleep(3 * SpinFor) // the crew has stopped spinning and blocked
		var started [2]chan struct{}
		var met [2]bool
		for i := range started {
			started[i] = make(chan struct{})
		}
		meet := func(i int) func() {
			return func() {
				close(started[i])
				select {
				case <-started[1-i]:
					met[i] = true
				case <-time.After(5 * time.Second):
				}
			}
		}
		Parallel(meet(0), meet(1))
		if !met[0] || !met[1] {
			t.Fatalf("round %d: the tasks did not run at once (met %v): no crew member took the second", round, met)
		}
	}
}

// A call of Parallel starts no goroutine once the crew is running (goroutines per call, as the
// go statement gives, are what the crew replaces).
func TestParallelStartsNoGoroutine(t *testing.T) {
	Parallel(func() {}, func() {}) // the crew starts on first use
	created := func() uint64 {
		s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	before := created()
	var sum atomic.Int64
	for i := range 100 {
		Parallel(func() { sum.Add(int64(i)) }, func() { sum.Add(1) }, func() { sum.Add(2) })
	}
	if n := created() - before; n > 5 { // the runtime's own goroutines (the GC's, timers) may start
		t.Errorf("100 calls of Parallel started %d goroutines", n)
	}
	if want := int64(99*100/2 + 300); sum.Load() != want {
		t.Errorf("tasks summed %d, want %d", sum.Load(), want)
	}
}
