package train

import (
	"gorgonet/model"
	"slices"
	"strings"
)

// Optimizers lists the solver names Config.Optimizer accepts. Gorgonia v0.9.18 also has AdaGrad
// and AdamW, but its AdaGrad ignores every option (even the learning rate) and its AdamW never
// updates the weights, so they are not offered.
var Optimizers = []string{"sgd", "momentum", "adam", "rmsprop"}

// DefaultLearnRate returns the usual starting learning rate of an optimizer: 0.1 for plain SGD and
// 0.01 for momentum on a mean loss; 0.001 for Adam (Kingma & Ba 2015) and RMSProp (Keras' default).
func DefaultLearnRate(optimizer string) float64 {
	switch optimizer {
	case "sgd":
		return 0.1
	case "momentum":
		return 0.01
	}
	return 0.001
}

// Config holds the training hyperparameters. NewTrainer gives zero fields their defaults
// (WithDefaults): the zero Config is Defaults().
type Config struct {
	Optimizer string  // sgd, momentum, adam or rmsprop; "" means adam
	LearnRate float64 // step size; 0 means DefaultLearnRate(Optimizer)
	Momentum  float64 // momentum coefficient of "momentum"; 0 means 0.9
	Rho       float64 // RMSProp's decay of the squared-gradient average; 0 means 0.9, as Keras and PyTorch (gorgonia's own default is 0.999)
	Epochs    int     // passes over the training set; 0 means 10
	BatchSize int     // samples per step; 0 means 100. Every sample is used in every epoch: the last batch of an epoch holds the remainder when BatchSize does not divide the set
	Seed      uint64  // seeds the batch order and the dropout masks of every epoch
	Schedule  Schedule
	// Patience > 0 stops training when the validation loss has not improved for that many
	// epochs, and restores the weights of the best epoch (early stopping). It needs a validation set.
	Patience int
	// Replicas is the number of training graphs a batch's rows are shared out to, run at once,
	// one core each (data parallelism: see the package's replicas.go); 0 means DefaultReplicas.
	// It changes only the order of the floating-point sums over a batch, but rounding differences
	// grow over a run (the default run's test accuracy for seeds 1-3: 0.9820, 0.9822, 0.9813 with
	// 2 replicas; 0.9820, 0.9820, 0.9815 with 1), so it is a setting of the run and not the number
	// of cores: the same settings give the same numbers on every machine.
	Replicas int
}

// DefaultReplicas is the number of training graphs a batch is shared out to when Config.Replicas
// is 0: two, the cores of the smallest machines the figures of README were measured on.
const DefaultReplicas = 2

// Defaults returns the default training config: Adam, learning rate 0.001, batch 100, 10 epochs.
func Defaults() Config {
	return Config{Optimizer: "adam", LearnRate: 0.001, Momentum: 0.9, Rho: 0.9, Epochs: 10, BatchSize: 100, Seed: 1, Replicas: DefaultReplicas,
		Schedule: Schedule{}.withDefaults()}
}

// WithDefaults returns c with its zero fields set to their defaults (the learning rate to the
// optimizer's).
func (c Config) WithDefaults() Config {
	d := Defaults()
	if c.Optimizer == "" {
		c.Optimizer = d.Optimizer
	}
	if c.LearnRate == 0 {
		c.LearnRate = DefaultLearnRate(c.Optimizer)
	}
	if c.Momentum == 0 {
		c.Momentum = d.Momentum
	}
	if c.Rho == 0 {
		c.Rho = d.Rho
	}
	if c.Epochs == 0 {
		c.Epochs = d.Epochs
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.Replicas == 0 {
		c.Replicas = DefaultReplicas
	}
	c.Schedule = c.Schedule.withDefaults()
	return c
}

// Limits of the hyperparameters Validate accepts. They are not settings but guards: a value past
// one is a typo (an extra zero, a missing decimal point), found before any work rather than after
// a diverged run.
const (
	MaxLearnRate = 1e6
	MaxEpochs    = 100_000
	MaxBatchSize = 1 << 20
	MaxPatience  = 1_000_000
	MaxReplicas  = 256
)

// configErr returns a *model.ConfigError about a field of Config.
func configErr(field string, value any, format string, args ...any) error {
	return model.NewConfigError("train", field, value, format, args...)
}

// Validate checks every field as it is (call WithDefaults first for a config with zero fields)
// and returns a *ConfigError naming the first bad one.
func (c Config) Validate() error {
	if !slices.Contains(Optimizers, c.Optimizer) {
		return configErr("Optimizer", c.Optimizer, "want one of %s", strings.Join(Optimizers, ", "))
	}
	if !(c.LearnRate > 0 && c.LearnRate <= MaxLearnRate) {
		return configErr("LearnRate", c.LearnRate, "must be between 0 and %g, above 0", float64(MaxLearnRate))
	}
	if !(c.Momentum >= 0 && c.Momentum < 1) {
		return configErr("Momentum", c.Momentum, "must be between 0 and 1 (1 excluded)")
	}
	if c.Optimizer == "momentum" && c.Momentum == 0 {
		return configErr("Momentum", c.Momentum, "must be above 0 with Optimizer \"momentum\" (for none, use sgd)")
	}
	if !(c.Rho > 0 && c.Rho < 1) {
		return configErr("Rho", c.Rho, "must be between 0 and 1, both excluded")
	}
	if c.Epochs <= 0 || c.Epochs > MaxEpochs {
		return configErr("Epochs", c.Epochs, "must be between 1 and %d", MaxEpochs)
	}
	if c.BatchSize <= 0 || c.BatchSize > MaxBatchSize {
		return configErr("BatchSize", c.BatchSize, "must be between 1 and %d", MaxBatchSize)
	}
	if c.Patience < 0 || c.Patience > MaxPatience {
		return configErr("Patience", c.Patience, "must be between 0 and %d", MaxPatience)
	}
	if c.Replicas <= 0 || c.Replicas > MaxReplicas {
		return configErr("Replicas", c.Replicas, "must be between 1 and %d", MaxReplicas)
	}
	if err := c.Schedule.Validate(); err != nil {
		return err
	}
	if c.Schedule.Warmup > 0 && c.Schedule.Warmup >= c.Epochs {
		return configErr("Schedule.Warmup", c.Schedule.Warmup, "must be less than the %d epochs", c.Epochs)
	}
	return nil
}
