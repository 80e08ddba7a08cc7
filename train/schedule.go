package train

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Schedules lists the learning-rate schedules Config.Schedule accepts.
var Schedules = []string{"constant", "step", "cosine"}

// Schedule says how the learning rate changes from epoch to epoch. The zero value keeps it
// constant.
type Schedule struct {
	Name      string  // constant (default), step or cosine
	StepEvery int     // step: multiply by StepGamma every StepEvery epochs
	StepGamma float64 // step: the factor (default 0.5)
	Warmup    int     // epochs of linear warm-up from LearnRate/Warmup to LearnRate before the schedule
}

// Rate returns the learning rate of epoch (1-based) out of epochs, for a base rate lr.
//
//	constant: lr
//	step:     lr * gamma^floor((epoch-1)/every)
//	cosine:   lr * (1 + cos(pi * (epoch-1)/epochs)) / 2, from lr down towards 0
//	          (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts)
//
// During a warm-up of W epochs the rate is lr * epoch/W (Goyal et al., "Accurate, Large Minibatch
// SGD", 2017), and the schedule then runs over the remaining epochs.
func (s Schedule) Rate(lr float64, epoch, epochs int) float64 {
	if s.Warmup > 0 && epoch <= s.Warmup {
		return lr * float64(epoch) / float64(s.Warmup)
	}
	e, n := epoch-s.Warmup, epochs-s.Warmup // 1-based epoch within the schedule, and its length
	switch s.Name {
	case "step":
		every := max(s.StepEvery, 1)
		gamma := s.StepGamma
		if gamma == 0 {
			gamma = 0.5
		}
		return lr * math.Pow(gamma, float64((e-1)/every))
	case "cosine":
		return lr * (1 + math.Cos(math.Pi*float64(e-1)/float64(max(n, 1)))) / 2
	}
	return lr
}

// Validate checks the schedule's fields.
func (s Schedule) Validate() error {
	if s.Name != "" && !slices.Contains(Schedules, s.Name) {
		return fmt.Errorf("train config: Schedule %q: unknown (want one of %s)", s.Name, strings.Join(Schedules, ", "))
	}
	if s.StepEvery < 0 {
		return fmt.Errorf("train config: StepEvery = %d: must be positive", s.StepEvery)
	}
	if !(s.StepGamma >= 0 && s.StepGamma <= 1) {
		return fmt.Errorf("train config: StepGamma = %g: must be in (0,1]", s.StepGamma)
	}
	if s.Warmup < 0 {
		return fmt.Errorf("train config: Warmup = %d: must be >= 0", s.Warmup)
	}
	return nil
}
