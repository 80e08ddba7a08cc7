package train

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"

	"gorgonet/dataset"
	"gorgonet/model"
)

// Epoch holds the figures of one finished epoch.
type Epoch struct {
	Epoch    int     // 1-based
	Loss     float64 // mean training loss per sample over the epoch's batches, penalty included
	TrainAcc float64 // accuracy on the epoch's training batches (dropout active)
	ValLoss  float64 // validation loss (penalty included); NaN without a validation set
	ValAcc   float64 // validation accuracy; NaN without a validation set
	Seconds  float64 // wall time of the epoch, validation included
	// UserSeconds is the user CPU time the whole process used during the epoch, summed over its
	// threads (getrusage's ru_utime, time(1)'s "user"; system time is left out, and the crew of
	// model.Parallel spinning for work is in): UserSeconds/Seconds is how many cores the epoch
	// kept busy (about 1.9 of 2 for the default run on this project's machine). NaN where the
	// system does not tell (not unix) and for epochs resumed from checkpoints of state version 2,
	// which did not record it.
	UserSeconds float64
	LearnRate   float64 // the learning rate used in the epoch
}

// History is every finished epoch, in order.
type History []Epoch

// ErrInterrupted is returned by Fit when its context is cancelled; the epochs finished before are
// in the History.
var ErrInterrupted = errors.New("training interrupted")

// A Trainer fits one network: it owns the training graphs, their machines and the solver.
type Trainer struct {
	Net    *model.Network
	Config Config
	// OnBatch, if set, is called after each step with the 1-based batch number (progress bars).
	OnBatch func(epoch, batch, batches int)
	// OnEpoch, if set, is called after each epoch (printing, checkpoints); an error stops Fit.
	OnEpoch func(e Epoch) error

	History History
	Eval    *Evaluator
	// Best is the epoch with the lowest validation loss so far (early stopping); StoppedEarly is
	// set when Fit stopped there and restored its weights.
	Best         Best
	StoppedEarly bool

	full   *step // the training graphs of BatchSize samples
	rest   *step // those of the remainder's size, made when a set needs it
	solver *shardedSolver
}

// A step is the training graphs of one batch size: one replica per share of the batch's rows
// (Config.Replicas), each a graph and its machine, all bound to the network's weight tensors.
type step struct {
	batch     int
	replicas  []*replica
	maskDraws uint64 // random draws of the step's dropout masks
}

// A replica is a training graph and its machine for the rows [lo, hi) of a batch.
type replica struct {
	g       *model.TrainGraph
	vm      G.VM
	lo, hi  int
	err     error
	correct int // rows of the last run predicted right

	maskOffsets []uint64 // per mask, the step's draws before this replica's rows
	pcg         rand.PCG // this replica's place in the step's mask stream
}

// Best remembers the best epoch and its weights, for early stopping.
type Best struct {
	Epoch   int
	ValLoss float64
	Weights model.Weights // by parameter name
}

// NewTrainer gives cfg's zero fields their defaults, validates it, and builds the training graph,
// its machine and the solver.
func NewTrainer(net *model.Network, cfg Config) (*Trainer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	full, err := newStep(net, cfg.BatchSize, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	t := &Trainer{Net: net, Config: cfg, Eval: NewEvaluator(net), full: full}
	t.solver = newShardedSolver(sharesFor(net.NumParams()), func() G.Solver { return newSolver(cfg) })
	return t, nil
}

// newStep builds the training graphs for batches of batch samples: n replicas (fewer when the
// batch has fewer rows), the rows shared out as evenly as they go, the larger shares first.
func newStep(net *model.Network, batch, n int) (*step, error) {
	n = max(1, min(n, batch))
	s := &step{batch: batch}
	for k := range n {
		lo, hi := k*batch/n, (k+1)*batch/n
		g, err := net.NewTrainGraph(hi - lo)
		if err != nil {
			return nil, err
		}
		r := &replica{g: g, vm: g.NewMachine(), lo: lo, hi: hi}
		s.replicas = append(s.replicas, r)
	}
	s.maskDraws = s.maskOffsets()
	return s, nil
}

// learnables returns the learnable nodes of the first replica, whose gradients the solver reads.
func (s *step) learnables() G.Nodes { return s.replicas[0].g.Learnables }

// String describes the run on one line: "mlp 784-256-10 relu loss=crossentropy dropout=0.2
// float32, 203530 parameters; adam lr=0.001, batch 100 on 2 replicas, 10 epochs, seed 1".
func (t *Trainer) String() string {
	c := t.Config
	epochs, replicas := "epochs", "replicas"
	if c.Epochs == 1 {
		epochs = "epoch"
	}
	n := c.Replicas // the replicas a batch runs on: no more than its rows (newStep)
	if t.full != nil {
		n = len(t.full.replicas)
	}
	if n == 1 {
		replicas = "replica"
	}
	return fmt.Sprintf("%s, %d parameters; %s lr=%g, batch %d on %d %s, %d %s, seed %d",
		t.Net, t.Net.NumParams(), c.Optimizer, c.LearnRate, c.BatchSize, n, replicas, c.Epochs, epochs, c.Seed)
}

// StopLine says why training ended early, for a program to print after Fit; "" when it did not.
func (t *Trainer) StopLine() string {
	if !t.StoppedEarly {
		return ""
	}
	return fmt.Sprintf("Early stopping after epoch %d: the validation loss has not improved for %d epochs; restored the weights of epoch %d (val loss %.4f)",
		len(t.History), t.Config.Patience, t.Best.Epoch, t.Best.ValLoss)
}

// newSolver returns the Gorgonia solver cfg names. None gets WithBatchSize (the loss is already a
// mean over the batch) nor solver-side L1/L2 (the penalty is a graph term).
func newSolver(cfg Config) G.Solver {
	lr := G.WithLearnRate(cfg.LearnRate)
	switch cfg.Optimizer {
	case "sgd":
		return G.NewVanillaSolver(lr)
	case "momentum":
		return G.NewMomentum(lr, G.WithMomentum(cfg.Momentum))
	case "rmsprop":
		// eps 1e-7 as Keras; rho set explicitly because gorgonia defaults to 0.999.
		return G.NewRMSPropSolver(lr, G.WithRho(cfg.Rho), G.WithEps(1e-7))
	default:
		return G.NewAdamSolver(lr)
	}
}

// Fit trains from the epoch after the last one in History up to Config.Epochs. val may be nil.
//
// Every training sample is used in every epoch, as PyTorch's DataLoader and Keras' fit do by
// default: the epoch's order is cut into batches of BatchSize and, when BatchSize does not divide
// the set, a last smaller batch. Graphs have a fixed batch size, so that batch runs through a
// second training graph of its size whose weight nodes are bound to the same tensors and whose
// learnables are passed to the same solver in the same order: its step is exactly the gradient
// step of the mean loss over those samples, and the solver's state (Adam's moments, its step
// count) carries on. The epoch's loss and accuracy are averaged per sample.
//
// It stops between batches when ctx is cancelled (ErrInterrupted) and at once when the loss is not
// finite (*DivergedError).
func (t *Trainer) Fit(ctx context.Context, train, val *dataset.Set) error {
	cfg := t.Config
	if err := t.check(train, val); err != nil {
		return err
	}
	n := train.Len()
	batches := (n + cfg.BatchSize - 1) / cfg.BatchSize
	var order []int
	for epoch := len(t.History) + 1; epoch <= cfg.Epochs && !t.StoppedEarly; epoch++ {
		start, user := time.Now(), userTime()
		lr := cfg.Schedule.Rate(cfg.LearnRate, epoch, cfg.Epochs)
		if err := t.SetLearnRate(lr); err != nil {
			return err
		}
		order = dataset.Order(order, n, cfg.Seed, epoch)
		masks := rand.NewPCG(cfg.Seed, maskStream+uint64(epoch)) // replayable per epoch
		var lossSum float64
		correct := 0
		for b := range batches {
			if ctx.Err() != nil {
				return fmt.Errorf("%w in epoch %d", ErrInterrupted, epoch)
			}
			idx := order[b*cfg.BatchSize : min((b+1)*cfg.BatchSize, n)]
			s, err := t.stepFor(len(idx))
			if err != nil {
				return err
			}
			if err := t.run(s, train, idx, masks); err != nil {
				var d *DivergedError
				if errors.As(err, &d) {
					d.Epoch, d.Batch, d.LearnRate = epoch, b+1, lr
					return d
				}
				return fmt.Errorf("epoch %d, batch %d: %w", epoch, b+1, err)
			}
			for _, r := range s.replicas {
				lossSum += r.g.LossValue() * float64(r.hi-r.lo)
				correct += r.correct
			}
			if t.OnBatch != nil {
				t.OnBatch(epoch, b+1, batches)
			}
		}
		e := Epoch{Epoch: epoch, Loss: lossSum / float64(n), LearnRate: lr,
			TrainAcc: float64(correct) / float64(n), ValLoss: nan, ValAcc: nan}
		if err := t.checkFinite(train, val, &e); err != nil {
			return err
		}
		if cfg.Patience > 0 {
			t.earlyStop(e)
		}
		e.Seconds, e.UserSeconds = time.Since(start).Seconds(), userTime()-user
		t.History = append(t.History, e)
		if t.OnEpoch != nil {
			if err := t.OnEpoch(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFinite checks, after an epoch's last update and before the epoch counts (is checkpointed
// or reported), that the run has not diverged: every weight finite, the outputs and the loss on
// the first ProbeSize training samples finite, and the validation loss (which it fills in e)
// finite. The loss of each batch is only checked before its update, so without this a last update
// that overflowed would be saved.
func (t *Trainer) checkFinite(train, val *dataset.Set, e *Epoch) error {
	diverged := func(what string) error {
		return &DivergedError{Epoch: e.Epoch, Loss: nan, What: what, LearnRate: e.LearnRate}
	}
	if err := t.Net.CheckFinite(); err != nil {
		return diverged(fmt.Sprintf("after its last update %v", err))
	}
	if r, err := t.Eval.Evaluate(train.Limit(ProbeSize)); errors.Is(err, model.ErrNonFiniteOutput) || err == nil && !finite(r.Loss) {
		return diverged("after its last update the outputs on the training samples are not finite")
	} else if err != nil {
		return err
	}
	if val == nil {
		return nil
	}
	r, err := t.Eval.Evaluate(val)
	if errors.Is(err, model.ErrNonFiniteOutput) || err == nil && !finite(r.Loss) {
		return diverged("the validation outputs or loss are not finite")
	}
	if err != nil {
		return err
	}
	e.ValLoss, e.ValAcc = r.Loss, r.Accuracy
	return nil
}

// ProbeSize is the number of training samples whose outputs are checked after every epoch.
const ProbeSize = 256

// check refuses sets the network cannot be trained on.
func (t *Trainer) check(train, val *dataset.Set) error {
	if train.Len() == 0 {
		return fmt.Errorf("the %s set is empty", train.Name)
	}
	if train.Features != t.Net.Inputs {
		return fmt.Errorf("the %s set has %d features per sample, the model takes %d", train.Name, train.Features, t.Net.Inputs)
	}
	if t.Config.Patience > 0 && val == nil {
		return fmt.Errorf("early stopping (patience %d) needs a validation set", t.Config.Patience)
	}
	for _, s := range []*dataset.Set{train, val} {
		if s != nil {
			if err := checkLabels(t.Net, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// stepFor returns the training graph for a batch of size samples: the full one, or the
// remainder's, built on first use.
func (t *Trainer) stepFor(size int) (*step, error) {
	if size == t.full.batch {
		return t.full, nil
	}
	if t.rest == nil || t.rest.batch != size {
		s, err := newStep(t.Net, size, t.Config.Replicas)
		if err != nil {
			return nil, err
		}
		t.rest = s
	}
	return t.rest, nil
}

// earlyStop keeps the weights of the epoch with the lowest validation loss and, once Patience
// epochs have passed without improvement, restores them and ends training.
func (t *Trainer) earlyStop(e Epoch) {
	if t.Best.Weights == nil || e.ValLoss < t.Best.ValLoss {
		t.Best = Best{Epoch: e.Epoch, ValLoss: e.ValLoss, Weights: t.Net.Weights()}
		return
	}
	if e.Epoch-t.Best.Epoch >= t.Config.Patience {
		_ = t.Net.SetWeights(t.Best.Weights) // the same network's weights: cannot fail
		t.StoppedEarly = true
	}
}

// run makes one training step on the samples at idx: fill each replica's rows and run its forward
// and backward passes, the replicas at once, combine their gradients into the first replica's, and let
// the solver update the weights. The dropout masks are the step's draws from masks, which it
// advances past them (nil: keep the previous masks); each replica draws its own rows (masks.go).
//
// Each replica's loss is the mean over its n_k rows, so the gradient of the batch's mean loss is
// the sum over replicas of (n_k/batch) times the replica's gradient (the L2 term, in every
// replica's loss, adds up to itself once, as the weights sum to one).
func (t *Trainer) run(s *step, set *dataset.Set, idx []int, masks *rand.PCG) error {
	var start rand.PCG
	if masks != nil {
		start = *masks
		skipPCG(masks, s.maskDraws)
	}
	forward := func(r *replica) {
		if masks != nil {
			r.fillMasks(&start)
		}
		fillXY(set, idx[r.lo:r.hi], r.g.XValue, r.g.YValue)
		r.err = model.Run(r.vm)
		if err := rewind(r.vm); r.err == nil && err != nil {
			r.err = err
		}
		if r.err == nil {
			r.correct = countCorrect(t.Net, set, idx[r.lo:r.hi], r.g.LogitsValue())
		}
	}
	if len(s.replicas) == 1 {
		forward(s.replicas[0])
	} else {
		tasks := make([]func(), len(s.replicas))
		for k, r := range s.replicas {
			tasks[k] = func() { forward(r) }
		}
		model.Parallel(tasks...)
	}
	var loss float64
	for _, r := range s.replicas {
		if r.err != nil {
			return r.err
		}
		loss += r.g.LossValue() * float64(r.hi-r.lo) / float64(s.batch)
	}
	if !finite(loss) {
		return &DivergedError{Loss: loss, LearnRate: t.Config.LearnRate}
	}
	var combine func(int, []piece)
	if len(s.replicas) > 1 {
		var err error
		if combine, err = s.combineGradients(); err != nil {
			return err
		}
	}
	return t.solver.StepAfter(s.learnables(), combine)
}

// userTime returns the user CPU time of the process so far in seconds (processCPU), NaN where
// it is not known.
func userTime() float64 {
	user, _, ok := processCPU()
	if !ok {
		return nan
	}
	return user.Seconds()
}

// rewind readies a machine for its next run, keeping its registers (model.Rewind); the tests
// swap in Gorgonia's Reset to check that the results do not change.
var rewind = model.Rewind

// maskStream offsets the PCG stream of the dropout masks from the batch-order stream.
const maskStream = 0xd50e << 32
