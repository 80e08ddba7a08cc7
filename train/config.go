package train

import (
	"fmt"
	"math"
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

// Config holds the training hyperparameters. Zero fields take the defaults of Defaults.
type Config struct {
	Optimizer string  // sgd, momentum, adam or rmsprop
	LearnRate float64 // step size; 0 means DefaultLearnRate(Optimizer)
	Momentum  float64 // momentum coefficient of "momentum" (default 0.9)
	Rho       float64 // RMSProp's decay of the squared-gradient average (default 0.9, as Keras and PyTorch; gorgonia's own default is 0.999)
	Epochs    int     // passes over the training set
	BatchSize int     // samples per step; the last partial batch of an epoch is skipped (its samples come in other epochs' batches, the order being reshuffled)
	Seed      uint64  // seeds the batch order and the dropout masks of every epoch
	Schedule  Schedule
	// Patience > 0 stops training when the validation loss has not improved for that many
	// epochs, and restores the weights of the best epoch (early stopping). It needs a validation set.
	Patience int
}

// Defaults returns the default training config: Adam, learning rate 0.001, batch 100, 10 epochs.
func Defaults() Config {
	return Config{Optimizer: "adam", LearnRate: 0.001, Momentum: 0.9, Rho: 0.9, Epochs: 10, BatchSize: 100, Seed: 1}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
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
	return c
}

// Validate checks every field (zero fields taking their defaults) and names the first bad one.
func (c Config) Validate() error {
	c = c.withDefaults()
	if !slices.Contains(Optimizers, c.Optimizer) {
		return fmt.Errorf("train config: Optimizer %q: unknown (want one of %s)", c.Optimizer, strings.Join(Optimizers, ", "))
	}
	if !(c.LearnRate > 0) || math.IsInf(c.LearnRate, 0) {
		return fmt.Errorf("train config: LearnRate = %g: must be a positive number", c.LearnRate)
	}
	if !(c.Momentum >= 0 && c.Momentum < 1) {
		return fmt.Errorf("train config: Momentum = %g: must be in [0,1)", c.Momentum)
	}
	if !(c.Rho > 0 && c.Rho < 1) {
		return fmt.Errorf("train config: Rho = %g: must be in (0,1)", c.Rho)
	}
	if c.Epochs <= 0 {
		return fmt.Errorf("train config: Epochs = %d: must be positive", c.Epochs)
	}
	if c.BatchSize <= 0 {
		return fmt.Errorf("train config: BatchSize = %d: must be positive", c.BatchSize)
	}
	if c.Patience < 0 {
		return fmt.Errorf("train config: Patience = %d: must be >= 0", c.Patience)
	}
	if c.Schedule.Warmup >= c.Epochs && c.Schedule.Warmup > 0 {
		return fmt.Errorf("train config: Warmup = %d: must be shorter than the %d epochs", c.Schedule.Warmup, c.Epochs)
	}
	return c.Schedule.Validate()
}
