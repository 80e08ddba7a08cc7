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
	Epoch     int     // 1-based
	Loss      float64 // mean training loss over the epoch's batches, penalty included
	TrainAcc  float64 // accuracy on the epoch's training batches (dropout active)
	ValLoss   float64 // validation loss (penalty included); NaN without a validation set
	ValAcc    float64 // validation accuracy; NaN without a validation set
	Seconds   float64 // wall time of the epoch, validation included
	LearnRate float64 // the learning rate used in the epoch
}

// History is every finished epoch, in order.
type History []Epoch

// ErrInterrupted is returned by Fit when its context is cancelled; the epochs finished before are
// in the History.
var ErrInterrupted = errors.New("training interrupted")

// DivergedError reports a loss that became NaN or infinite.
type DivergedError struct {
	Epoch, Batch int
	Loss         float64
	LearnRate    float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("training diverged: the loss is %v at epoch %d, batch %d; try a lower learning rate (it is %g)",
		e.Loss, e.Epoch, e.Batch, e.LearnRate)
}

// A Trainer fits one network: it owns the training graph, its machine and the solver.
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

	graph  *model.TrainGraph
	vm     G.VM
	solver G.Solver
}

// Best remembers the best epoch and its weights, for early stopping.
type Best struct {
	Epoch   int
	ValLoss float64
	Weights []model.TensorData // in Network.Params order
}

// NewTrainer validates cfg and builds the training graph, its machine and the solver.
func NewTrainer(net *model.Network, cfg Config) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tg, err := net.NewTrainGraph(cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	t := &Trainer{Net: net, Config: cfg, Eval: NewEvaluator(net), graph: tg}
	t.vm = tg.NewMachine()
	t.solver = newSolver(cfg)
	return t, nil
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
// It stops between batches when ctx is cancelled (ErrInterrupted) and at once when the loss is
// not finite (*DivergedError).
func (t *Trainer) Fit(ctx context.Context, train, val *dataset.Set) error {
	cfg, tg := t.Config, t.graph
	if train.Len() < cfg.BatchSize {
		return fmt.Errorf("batch size %d is larger than the training set (%d samples)", cfg.BatchSize, train.Len())
	}
	if train.Features != t.Net.Config.Inputs {
		return fmt.Errorf("the %s set has %d features per sample, the model takes %d", train.Name, train.Features, t.Net.Config.Inputs)
	}
	if cfg.Patience > 0 && val == nil {
		return fmt.Errorf("early stopping (patience %d) needs a validation set", cfg.Patience)
	}
	for _, s := range []*dataset.Set{train, val} {
		if s != nil {
			if err := checkLabels(t.Net, s); err != nil {
				return err
			}
		}
	}
	batches := train.Len() / cfg.BatchSize
	var order []int
	for epoch := len(t.History) + 1; epoch <= cfg.Epochs && !t.StoppedEarly; epoch++ {
		start := time.Now()
		lr := cfg.Schedule.Rate(cfg.LearnRate, epoch, cfg.Epochs)
		if err := t.SetLearnRate(lr); err != nil {
			return err
		}
		order = dataset.Order(order, train.Len(), cfg.Seed, epoch)
		masks := rand.New(rand.NewPCG(cfg.Seed, maskStream+uint64(epoch))) // replayable per epoch
		var lossSum float64
		correct := 0
		for b := range batches {
			if ctx.Err() != nil {
				return fmt.Errorf("%w in epoch %d", ErrInterrupted, epoch)
			}
			idx := order[b*cfg.BatchSize : (b+1)*cfg.BatchSize]
			if err := t.step(train, idx, masks); err != nil {
				var d *DivergedError
				if errors.As(err, &d) {
					d.Epoch, d.Batch, d.LearnRate = epoch, b+1, lr
					return d
				}
				return fmt.Errorf("epoch %d, batch %d: %w", epoch, b+1, err)
			}
			lossSum += tg.LossValue()
			correct += countCorrect(train, idx, tg.LogitsValue())
			if t.OnBatch != nil {
				t.OnBatch(epoch, b+1, batches)
			}
		}
		e := Epoch{Epoch: epoch, Loss: lossSum / float64(batches), LearnRate: lr,
			TrainAcc: float64(correct) / float64(batches*cfg.BatchSize), ValLoss: nan, ValAcc: nan}
		if val != nil {
			r, err := t.Eval.Evaluate(val)
			if err != nil {
				return err
			}
			e.ValLoss, e.ValAcc = r.Loss, r.Accuracy
		}
		if cfg.Patience > 0 {
			t.earlyStop(e)
		}
		e.Seconds = time.Since(start).Seconds()
		t.History = append(t.History, e)
		if t.OnEpoch != nil {
			if err := t.OnEpoch(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// earlyStop keeps the weights of the epoch with the lowest validation loss and, once Patience
// epochs have passed without improvement, restores them and ends training.
func (t *Trainer) earlyStop(e Epoch) {
	if t.Best.Weights == nil || e.ValLoss < t.Best.ValLoss {
		t.Best = Best{Epoch: e.Epoch, ValLoss: e.ValLoss, Weights: t.Best.Weights[:0]}
		for _, p := range t.Net.Params() {
			t.Best.Weights = append(t.Best.Weights, model.TensorDataOf(p.Value))
		}
		return
	}
	if e.Epoch-t.Best.Epoch >= t.Config.Patience {
		for i, p := range t.Net.Params() {
			_ = t.Best.Weights[i].CopyInto(p.Name, p.Value) // same network: shapes match
		}
		t.StoppedEarly = true
	}
}

// step runs one training step on the samples at idx: fill the batch, forward and backward pass,
// solver update. masks draws the dropout masks (nil: keep the previous ones).
func (t *Trainer) step(s *dataset.Set, idx []int, masks *rand.Rand) error {
	tg := t.graph
	fillXY(s, idx, tg.XValue, tg.YValue)
	if masks != nil {
		tg.FillMasks(masks)
	}
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return err
	}
	if loss := tg.LossValue(); !finite(loss) {
		return &DivergedError{Loss: loss, LearnRate: t.Config.LearnRate}
	}
	return t.solver.Step(G.NodesToValueGrads(tg.Learnables))
}

// maskStream offsets the PCG stream of the dropout masks from the batch-order stream.
const maskStream = 0xd50e << 32
