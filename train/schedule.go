package train

import (
	"math"
	"slices"
	"strings"
)

// Schedules lists the learning-rate schedules Config.Schedule accepts.
var Schedules = []string{"constant", "step", "cosine"}

// Schedule says how the learning rate changes from epoch to epoch. The zero value keeps it
// constant.
type Schedule struct {
	Name      string  // constant, step or cosine; "" means constant
	StepEvery int     // step: multiply by StepGamma every StepEvery epochs; 0 means 1
	StepGamma float64 // step: the factor, in (0,1]; 0 means 0.5
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

// MaxScheduleEpochs bounds StepEvery and Warmup, as MaxEpochs bounds the epochs.
const MaxScheduleEpochs = MaxEpochs

// Varies reports whether the learning rate changes from epoch to epoch.
func (s Schedule) Varies() bool { return (s.Name != "" && s.Name != "constant") || s.Warmup > 0 }

// withDefaults gives zero fields their defaults: constant, a step every epoch, a factor of 0.5.
func (s Schedule) withDefaults() Schedule {
	if s.Name == "" {
		s.Name = "constant"
	}
	if s.StepEvery == 0 {
		s.StepEvery = 1
	}
	if s.StepGamma == 0 {
		s.StepGamma = 0.5
	}
	return s
}

// Validate checks the schedule's fields as they are (zero fields get their defaults in
// Config.WithDefaults) and returns a *ConfigError naming the first bad one.
func (s Schedule) Validate() error {
	if !slices.Contains(Schedules, s.Name) {
		return configErr("Schedule.Name", s.Name, "want one of %s", strings.Join(Schedules, ", "))
	}
	if s.StepEvery < 1 || s.StepEvery > MaxScheduleEpochs {
		return configErr("Schedule.StepEvery", s.StepEvery, "must be between 1 and %d", MaxScheduleEpochs)
	}
	if !(s.StepGamma > 0 && s.StepGamma <= 1) {
		return configErr("Schedule.StepGamma", s.StepGamma, "must be between 0 and 1, above 0")
	}
	if s.Warmup < 0 || s.Warmup > MaxScheduleEpochs {
		return configErr("Schedule.Warmup", s.Warmup, "must be between 0 and %d", MaxScheduleEpochs)
	}
	return nil
}
