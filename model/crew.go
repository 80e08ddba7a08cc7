package model

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Parallel runs tasks at once and returns when every one has finished. The calling goroutine runs
// the first task and then any the crew has not taken; the crew, goroutines kept for the life of
// the process, takes the others. The crew is started on first use and grows to
// runtime.GOMAXPROCS(0)-1 members as GOMAXPROCS does (it never shrinks; members without work
// block). With no crew (GOMAXPROCS 1) the caller runs every task in order. Parallel may be called
// from within a task (a replica's matrix product cut into bands, say): the crew takes the inner
// tasks as it does the outer ones, and a caller runs whatever the crew has not taken, so nothing
// waits on a task nobody runs.
//
// Tasks must not be nil and must not wait for one another: at most the caller and the crew's free
// members run at once, and which goroutine runs which task, other than the first, is not
// specified. If tasks panic, Parallel panics in the caller, once every task has finished, with
// the first panic's value; a task that calls runtime.Goexit (t.FailNow, say) on a crew member
// makes Parallel panic likewise. Do not make the call that starts or grows the crew inside a
// testing/synctest bubble: its members would belong to the bubble.
//
// Why a crew rather than a goroutine per task, as the go statement gives: a training step at
// batch 100 hands work to the other core several times (its replicas, the bands of their
// products, the solver's shares), and each time the Go scheduler wakes a sleeping thread for the
// new goroutine, which the virtual machines here run only about 0.1 ms later, and later still on
// a busy host. A crew member that runs out of work spins for SpinFor, looking for the next task,
// before it blocks, so the next hand-off finds it awake; so does a caller waiting for the crew to
// finish its tasks. Each call after an idle spell thus costs up to SpinFor of CPU per woken
// member. This is how OpenMP runtimes wait (libgomp's spin count before a futex wait,
// OMP_WAIT_POLICY), PyTorch's CPU operators among their users. A training step at batch 100 on
// two replicas took 0.86x-0.89x the time of goroutines per task (pure Go; openblas 0.80x-0.86x)
// for about the same CPU time, the same arithmetic in the same order; earlier attempts that only
// kept the replicas' workers spinning were slower, because a spinning worker could not take the
// bands of the other replica's products, which now are crew tasks too.
func Parallel(tasks ...func()) {
	switch len(tasks) {
	case 0:
		return
	case 1:
		tasks[0]()
		return
	}
	crew.grow()
	j := &job{tasks: tasks, done: make(chan struct{})}
	j.left.Store(int32(len(tasks)))
	j.next.Store(1) // the first task is the caller's
	crew.post(j)
	j.runTask(0, false)
	j.run(false)
	crew.remove(j)
	if j.left.Load() != 0 && !spin(func() bool { return j.left.Load() == 0 }) {
		<-j.done
	}
	if p := j.panicked.Load(); p != nil {
		panic(p.value)
	}
}

// SpinFor is how long a crew member without work, or a caller of Parallel waiting for the crew,
// looks for work or the end of its tasks before it blocks: long enough to span the gaps between
// the parallel parts of a training step (a few to a hundred microseconds), short enough that an
// idle process soon stops using the cores.
const SpinFor = 200 * time.Microsecond

// A job is the tasks of one call of Parallel. Tasks are claimed in order by whoever runs them.
type job struct {
	tasks    []func()
	next     atomic.Int32  // the next task to claim
	left     atomic.Int32  // tasks not finished
	done     chan struct{} // closed when left reaches 0
	panicked atomic.Pointer[taskPanic]
}

// A taskPanic is what a task panicked with, for its caller to panic with in turn.
type taskPanic struct{ value any }

// run claims and runs the job's tasks until none is left to claim; member tells whether the
// calling goroutine is a crew member.
func (j *job) run(member bool) {
	for {
		i := int(j.next.Add(1)) - 1
		if i >= len(j.tasks) {
			return
		}
		j.runTask(i, member)
	}
}

// runTask runs task i and counts it finished even if it panics (the panic is kept for the
// caller) or calls runtime.Goexit, which then goes on ending the goroutine: a crew member (member)
// is replaced by a new one.
func (j *job) runTask(i int, member bool) {
	returned := false
	defer func() {
		if !returned {
			v := recover()
			if v == nil { // runtime.Goexit: recover cannot stop it
				v = fmt.Sprintf("model.Parallel: task %d called runtime.Goexit", i)
				if member {
					go crewMember()
				}
			}
			j.panicked.CompareAndSwap(nil, &taskPanic{v})
		}
		if j.left.Add(-1) == 0 {
			close(j.done)
		}
	}()
	j.tasks[i]()
	returned = true
}

// claimable reports whether some of the job's tasks are not claimed yet.
func (j *job) claimable() bool { return int(j.next.Load()) < len(j.tasks) }

// crew is the process's crew.
var crew crewState

// crewState is the jobs with tasks to claim, newest last (a task's inner jobs are taken before its
// siblings), and how the crew's members wait.
type crewState struct {
	mu      sync.Mutex
	jobs    []*job
	members atomic.Int32  // goroutines in the crew
	posted  atomic.Int32  // len(jobs), read without the lock by spinning members
	parked  atomic.Int32  // members blocked on wake
	wake    chan struct{} // a token per member to wake
}

// grow starts members until the crew has GOMAXPROCS-1.
func (c *crewState) grow() {
	want := int32(runtime.GOMAXPROCS(0) - 1)
	if c.members.Load() >= want {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wake == nil {
		c.wake = make(chan struct{}, maxMembers)
	}
	for c.members.Load() < min(want, maxMembers) {
		c.members.Add(1)
		go crewMember()
	}
}

// maxMembers bounds the crew (and the wake channel's buffer); GOMAXPROCS is rarely near it.
const maxMembers = 1024

// post offers j's tasks to the crew and wakes as many blocked members as it has tasks to take.
func (c *crewState) post(j *job) {
	c.mu.Lock()
	c.jobs = append(c.jobs, j)
	c.posted.Add(1)
	c.mu.Unlock()
	for n := min(int(c.parked.Load()), len(j.tasks)-1); n > 0; n-- {
		select {
		case c.wake <- struct{}{}:
		default: // the buffer is full: every parked member has a token
			return
		}
	}
}

// take returns the newest job with tasks to claim, dropping the jobs without, or nil.
func (c *crewState) take() *job {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := len(c.jobs); n > 0; n = len(c.jobs) {
		if j := c.jobs[n-1]; j.claimable() {
			return j
		}
		c.jobs = slices.Delete(c.jobs, n-1, n)
		c.posted.Add(-1)
	}
	return nil
}

// remove withdraws j, once its caller has claimed its last task, if take has not dropped it.
func (c *crewState) remove(j *job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.jobs, j); i >= 0 {
		c.jobs = slices.Delete(c.jobs, i, i+1) // clears the freed element: no job kept alive
		c.posted.Add(-1)
	}
}

// crewMember runs the crew's tasks for the life of the process.
func crewMember() {
	for {
		if j := crew.take(); j != nil {
			j.run(true)
			continue
		}
		if spin(func() bool { return crew.posted.Load() > 0 }) {
			continue
		}
		// Block, unless a job was posted since the spin: post increments posted before it reads
		// parked, and this reads posted after incrementing parked (both sequentially consistent),
		// so either post sees this member parked and sends a token or this sees the job.
		crew.parked.Add(1)
		if crew.posted.Load() == 0 {
			<-crew.wake
		}
		crew.parked.Add(-1)
	}
}

// spin calls cond until it holds, for at most SpinFor, and reports whether it held. It yields
// the processor now and then, so that other goroutines (the garbage collector's, a task's) run.
func spin(cond func() bool) bool {
	start := time.Now()
	for i := 1; ; i++ {
		if cond() {
			return true
		}
		if i%1024 == 0 {
			if time.Since(start) > SpinFor {
				return false
			}
			runtime.Gosched()
		}
	}
}
