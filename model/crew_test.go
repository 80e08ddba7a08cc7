package model

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
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

// A task's panic reaches the caller, once every task has finished, whichever goroutine ran it.
func TestParallelPanics(t *testing.T) {
	for _, which := range []int{0, 1, 2} {
		var finished atomic.Int32
		tasks := make([]func(), 3)
		for i := range tasks {
			tasks[i] = func() {
				if i == which {
					panic(fmt.Sprintf("boom %d", i))
				}
				time.Sleep(20 * time.Millisecond)
				finished.Add(1)
			}
		}
		func() {
			defer func() {
				if r := recover(); r != fmt.Sprintf("boom %d", which) {
					t.Errorf("task %d panicked: Parallel panicked with %v", which, r)
				}
				if n := finished.Load(); n != 2 {
					t.Errorf("task %d panicked: %d of the other 2 tasks had finished when Parallel panicked", which, n)
				}
			}()
			Parallel(tasks...)
		}()
	}
}

// A task that calls runtime.Goexit on a crew member (t.FailNow, say) neither hangs the call nor
// costs the crew its member: the caller panics, and the crew runs tasks at once afterwards.
func TestParallelGoexit(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("no crew with GOMAXPROCS 1")
	}
	result := make(chan any)
	go func() {
		defer func() { result <- recover() }()
		exited := make(chan struct{})
		Parallel(func() {
			select { // the first task is the caller's; the second goes to the crew
			case <-exited:
			case <-time.After(5 * time.Second):
			}
		}, func() {
			defer close(exited)
			runtime.Goexit()
		})
	}()
	select {
	case r := <-result:
		if s, _ := r.(string); !strings.Contains(s, "task 1 called runtime.Goexit") {
			t.Errorf("Parallel panicked with %v, want the task's runtime.Goexit named", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Parallel did not return")
	}
	if !meetAtOnce(2) {
		t.Error("after a member's runtime.Goexit, two tasks no longer run at once")
	}
}

// The crew grows with GOMAXPROCS, and a job wakes as many blocked members as it has tasks for
// them: four tasks that each wait for all four to have started run at once with GOMAXPROCS 4,
// also once the crew has blocked.
func TestParallelWakesTheCrew(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for round := range 3 {
		if !meetAtOnce(4) {
			t.Fatalf("round %d: 4 tasks did not run at once with GOMAXPROCS 4", round)
		}
	}
}

// meetAtOnce runs n tasks that each wait, up to 5 s, for all n to have started, after the crew has
// had time to block, and reports whether they met.
func meetAtOnce(n int) bool {
	time.Sleep(3 * SpinFor)
	var started atomic.Int32
	var met atomic.Int32
	tasks := make([]func(), n)
	for i := range tasks {
		tasks[i] = func() {
			started.Add(1)
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Microsecond) {
				if started.Load() == int32(n) {
					met.Add(1)
					return
				}
			}
		}
	}
	Parallel(tasks...)
	return met.Load() == int32(n)
}
