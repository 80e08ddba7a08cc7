package train

import (
	"errors"
	"fmt"
	"gorgonet/dataset"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"gorgonet/model"
)

// A Recipe is every setting that decides a training run of a perceptron or an MLP on a labelled
// set: the model, the training hyperparameters and how the training file is split. Its settings
// are named and defaulted in one place (DefaultRecipe), each with its parser and help text
// (Settings), so that a program offers every one as a flag with one loop, prints the command line
// that reproduces a run (Args), sweeps over any of them (Set), and keeps them in checkpoints.
// Configs turns a recipe into the model and training configs, validated by their packages.
type Recipe struct {
	Model      string  // "perceptron" or "mlp"
	Hidden     string  // the mlp's hidden layer sizes, comma separated: "512,256"
	Activation string  // the hidden layers' activation (model.Activations)
	Loss       string  // model.Losses; "": cross-entropy for several classes, bce for one output
	Dropout    float64 // the hidden layers' dropout; a perceptron has none (see Set)
	L2         float64 // lambda of the penalty (lambda/2)·Σw²
	Dtype      string  // "float32" or "float64"
	Optimizer  string  // Optimizers
	LearnRate  float64 // 0: DefaultLearnRate(Optimizer)
	Momentum   float64 // of the momentum optimizer
	Epochs     int
	BatchSize  int
	Patience   int // early stopping after this many epochs without a better validation loss; 0: never
	Schedule   Schedule
	Dataset    string // a known data set ("mnist", "fashion-mnist"); "": what DataDir holds, else MNIST
	DataDir    string // a directory of IDX files; "": the data set's usual places
	ClassNames string // class names, comma separated; "": the data's own (see dataset.Data.Classes)
	ValSize    int    // samples of the training file held out for validation; 0: none
	TrainLimit int    // use only the first samples of the training file; 0: all
	Seed       uint64 // the weights, the validation split, the batch order and dropout
	Replicas   int    // training graphs a batch is shared out to, run at once (Config.Replicas)

	set map[string]bool // the settings given with Set
}

// DefaultRecipe returns the default run of the mnist command: 784-256-10 with ReLU and dropout
// 0.2, Adam at 0.003 with a cosine learning-rate schedule, batch 200, 6 epochs, every training
// sample used, seed 1. It passes 0.98 test accuracy for seeds 1, 2 and 3 in about 45% of the
// time of the earlier default (Adam at 0.001, constant, batch 100, 10 epochs): README's "Why these
// defaults" gives the evidence. Another optimizer set without a learning rate trains at its own
// default (DefaultLearnRate), not at Adam's 0.003.
func DefaultRecipe() Recipe {
	return Recipe{Model: "mlp", Hidden: "256", Activation: "relu", Dropout: 0.2, Dtype: "float32",
		Optimizer: "adam", LearnRate: defaultRecipeLearnRate, Momentum: 0.9, Epochs: 6, BatchSize: 200, Seed: 1,
		Replicas: DefaultReplicas, Schedule: Schedule{Name: "cosine", StepEvery: 5, StepGamma: 0.5}}
}

// defaultRecipeLearnRate is DefaultRecipe's learning rate, for Adam at batch 200: three times
// Adam's usual 0.001 (Kingma and Ba, arXiv:1412.6980), as the batch is twice the usual 100 and the
// cosine schedule (Loshchilov and Hutter, arXiv:1608.03983) takes it down to 0 by the last epoch.
const defaultRecipeLearnRate = 0.003

// XORRecipe returns the run of the tutorial's first example, dataset.XOR, as the xor command
// makes it: a 2-4-1 MLP with tanh hidden units and no dropout, in float64, trained by full-batch
// Adam (batch 4, XOR's four samples) at 0.1 for 500 epochs. With one output (NewTrainer(2, 1):
// binary cross-entropy) it learns XOR for every seed from 1 to 20 (the xor command's tests); with
// Model "perceptron" it cannot (at best 3 of the 4 samples right).
func XORRecipe() Recipe {
	r := DefaultRecipe()
	r.Hidden, r.Activation, r.Dropout, r.Dtype, r.LearnRate, r.Epochs, r.BatchSize = "4", "tanh", 0, "float64", 0.1, 500, 4
	r.Schedule.Name = "constant"
	return r
}

// A Setting is one named setting of a Recipe, bound to its field: Value parses and prints it and
// is a flag.Value (and a pflag.Value: Type names its kind), so a program registers it as a flag.
type Setting struct {
	Name, Usage string
	Value       interface {
		String() string
		Set(string) error
		Type() string
	}
}

// Settings returns r's settings, bound to r's fields, in the order of a help text: every one, or
// those named (a program offers the settings that mean something for its data as flags). A name
// that is no setting's is left out.
func (r *Recipe) Settings(names ...string) []Setting {
	s := []Setting{
		{"model", "model: perceptron (single layer, softmax regression) or mlp", str(r, "model", &r.Model)},
		{"hidden", "hidden layer sizes of the mlp, comma separated (e.g. 512,256)", str(r, "hidden", &r.Hidden)},
		{"activation", "hidden activation: " + strings.Join(model.Activations(), ", "), str(r, "activation", &r.Activation)},
		{"loss", "loss: " + strings.Join(model.Losses, ", ") + " (default: crossentropy, or bce for one output)", str(r, "loss", &r.Loss)},
		{"dropout", "probability of dropping a hidden unit in training, in [0,1)", float(r, "dropout", &r.Dropout)},
		{"l2", "L2 penalty lambda: adds (lambda/2)*sum(W^2) to the loss", float(r, "l2", &r.L2)},
		{"optimizer", "solver: " + strings.Join(Optimizers, ", "), str(r, "optimizer", &r.Optimizer)},
		{"lr", "learning rate (0: 0.1 for sgd, 0.01 for momentum, 0.001 for adam and rmsprop; another --optimizer without --lr takes its own)", float(r, "lr", &r.LearnRate)},
		{"momentum", "momentum coefficient of --optimizer momentum, in [0,1)", float(r, "momentum", &r.Momentum)},
		{"epochs", "passes over the training set", integer(r, "epochs", &r.Epochs)},
		{"patience", "stop when the validation loss has not improved for N epochs, keeping the best epoch's weights (0: never)", integer(r, "patience", &r.Patience)},
		{"lr-schedule", "learning-rate schedule: " + strings.Join(Schedules, ", "), str(r, "lr-schedule", &r.Schedule.Name)},
		{"lr-step-every", "step schedule: epochs between steps", integer(r, "lr-step-every", &r.Schedule.StepEvery)},
		{"lr-step-gamma", "step schedule: factor applied at each step", float(r, "lr-step-gamma", &r.Schedule.StepGamma)},
		{"lr-warmup", "epochs of linear learning-rate warm-up before the schedule", integer(r, "lr-warmup", &r.Schedule.Warmup)},
		{"batch-size", "samples per training step (the last batch of an epoch takes the remainder)", integer(r, "batch-size", &r.BatchSize)},
		{"val-size", "samples held out of the training file for validation (0: none)", integer(r, "val-size", &r.ValSize)},
		{"train-limit", "use only the first N training samples (0: all)", integer(r, "train-limit", &r.TrainLimit)},
		{"seed", "seed of the weights, the validation split, the batch order and dropout", seed(r, "seed", &r.Seed)},
		{"dtype", "element type: float32 or float64", str(r, "dtype", &r.Dtype)},
		{"replicas", "training graphs a batch is shared out to, run at once on as many cores (data parallelism, 1 to 256; --batch-size stays the whole batch; the order of sums changes, so results move slightly; a checkpoint keeps it)", integer(r, "replicas", &r.Replicas)},
		{"dataset", "known data set: " + strings.Join(dataset.KnownNames(), ", ") + " (default: what --data holds, else mnist)", str(r, "dataset", &r.Dataset)},
		{"data", "directory of IDX files (default: the data set's usual places; $MNIST_DIR, else the bundled MNIST)", str(r, "data", &r.DataDir)},
		{"classes", "class names, comma separated (default: the data's own, from classes.txt beside it or the known data set)", str(r, "classes", &r.ClassNames)},
	}
	if len(names) > 0 {
		s = slices.DeleteFunc(s, func(s Setting) bool { return !slices.Contains(names, s.Name) })
	}
	return s
}

// Set sets the named setting from text, as a flag would. Setting the model to "perceptron" also
// sets the dropout to 0 unless the dropout was set before: the default dropout is the hidden
// layers' and a perceptron has none (a dropout set explicitly for a perceptron is refused by
// Configs). Setting the optimizer to another than Adam also sets the learning rate to 0 (that
// optimizer's DefaultLearnRate) unless the learning rate was set: the default is Adam's.
func (r *Recipe) Set(name, value string) error {
	for _, s := range r.Settings() {
		if s.Name == name {
			return s.Value.Set(value)
		}
	}
	return fmt.Errorf("no setting %q", name)
}

// Values returns every setting's value as text, by name.
func (r *Recipe) Values() map[string]string {
	m := map[string]string{}
	for _, s := range r.Settings() {
		m[s.Name] = s.Value.String()
	}
	return m
}

// MetaPrefix prefixes the settings' names in the metadata of model files and checkpoints (Meta).
const MetaPrefix = "setting."

// Meta returns every setting's value keyed by MetaPrefix + name, to keep in a checkpoint's or a
// model file's metadata; Restore reads them back.
func (r *Recipe) Meta() map[string]string {
	m := map[string]string{}
	for name, v := range r.Values() {
		m[MetaPrefix+name] = v
	}
	return m
}

// Restore takes the settings a resumed run continues with from meta (written by Meta): a setting
// that given reports as not given takes meta's value; a given one must have meta's value unless
// it is one of free (such as "epochs", to train longer), or it is a *SettingError naming both
// values. Metadata without settings is an error.
func (r *Recipe) Restore(meta map[string]string, given func(name string) bool, free ...string) error {
	found := false
	for _, s := range r.Settings() {
		old, ok := meta[MetaPrefix+s.Name]
		found = found || ok
		if !ok && s.Name == "replicas" {
			old, ok = "1", true // a checkpoint from before the setting: its run trained on one graph (see Resume)
		}
		switch {
		case !ok || slices.Contains(free, s.Name) && given(s.Name):
		case !given(s.Name):
			if err := s.Value.Set(old); err != nil {
				return fmt.Errorf("setting %s: %w", s.Name, err)
			}
		case s.Value.String() != old && !(s.Name == "lr" && r.sameLearnRate(old)):
			had := old // as the flag would be given, but for an unset one and the default learning rate
			if lr, err := strconv.ParseFloat(old, 64); old == "" {
				had = "no --" + s.Name
			} else if s.Name == "lr" && err == nil && lr == 0 {
				had = fmt.Sprintf("%g (%s's default)", DefaultLearnRate(r.Optimizer), r.Optimizer)
			}
			return settingErr(s.Name, s.Value.String(), "the checkpoint's run has %s, and a resumed run keeps its settings (drop the flag, or start a new run)", had)
		}
	}
	if !found {
		return errors.New("it keeps no settings of a recipe")
	}
	return nil
}

// sameLearnRate reports whether old (a learning rate as text, 0 for the optimizer's default) is
// the learning rate r trains with.
func (r *Recipe) sameLearnRate(old string) bool {
	lr, err := strconv.ParseFloat(old, 64)
	effective := func(v float64) float64 {
		if v == 0 {
			return DefaultLearnRate(r.Optimizer)
		}
		return v
	}
	return err == nil && effective(lr) == effective(r.LearnRate)
}

// Args returns the settings that differ from DefaultRecipe as command-line flags, in Settings
// order: ["--hidden", "512", "--lr", "0.002"].
func (r *Recipe) Args() []string {
	d := DefaultRecipe()
	def := d.Values()
	var args []string
	for _, s := range r.Settings() {
		if v := s.Value.String(); v != def[s.Name] {
			args = append(args, "--"+s.Name, v)
		}
	}
	return args
}

// CommandLine returns the command that reproduces r: the program's command (such as "mnist",
// "train") followed by Args, separated by spaces: "mnist train --hidden 512 --lr 0.002". Values
// are not quoted for a shell.
func (r *Recipe) CommandLine(command ...string) string {
	return strings.Join(append(slices.Clone(command), r.Args()...), " ")
}

// settingOf maps the fields of model.Config and Config to the settings that set them.
var settingOf = map[string]string{
	"Hidden": "hidden", "Activation": "activation", "Loss": "loss", "Dropout": "dropout", "L2": "l2", "Dtype": "dtype",
	"Optimizer": "optimizer", "LearnRate": "lr", "Momentum": "momentum", "Epochs": "epochs",
	"BatchSize": "batch-size", "Patience": "patience", "Schedule.Name": "lr-schedule",
	"Schedule.StepEvery": "lr-step-every", "Schedule.StepGamma": "lr-step-gamma", "Schedule.Warmup": "lr-warmup", "Replicas": "replicas",
}

// A SettingError reports a setting of a Recipe that is not valid, or a file of a Run or an output
// path (CheckOutput) that cannot be: its name, its value as text and what is wrong. Error prints it as a flag: "--dropout 1.5: must be between 0 and 1".
type SettingError struct {
	Setting, Value, Reason string
}

func (e *SettingError) Error() string {
	if e.Value == "" { // the reason starts with its own separator: "--hidden is empty", "--data: ..."
		return fmt.Sprintf("--%s%s", e.Setting, e.Reason)
	}
	return fmt.Sprintf("--%s %s: %s", e.Setting, e.Value, e.Reason)
}

func settingErr(name, value, format string, args ...any) error {
	return &SettingError{Setting: name, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// Configs returns the model config (inputs features, classes outputs) and the training config of
// the recipe, validated by model.Config.Validate and Config.Validate; an invalid setting is a
// *SettingError naming it.
func (r Recipe) Configs(inputs, classes int) (model.Config, Config, error) {
	mc := model.Perceptron(inputs, classes)
	switch r.Model {
	case "perceptron":
	case "mlp":
		hidden, err := ParseSizes(r.Hidden)
		if strings.TrimSpace(r.Hidden) == "" {
			return mc, Config{}, settingErr("hidden", "", " %v", err)
		}
		if err != nil {
			return mc, Config{}, settingErr("hidden", strconv.Quote(r.Hidden), "%v", err)
		}
		mc = model.MLP(inputs, hidden, classes)
	default:
		return mc, Config{}, settingErr("model", strconv.Quote(r.Model), "want perceptron or mlp")
	}
	if _, err := model.ActivationByName(r.Activation); err != nil { // also for a perceptron: a typo is a typo
		return mc, Config{}, settingErr("activation", strconv.Quote(r.Activation), "want one of %s", strings.Join(model.Activations(), ", "))
	}
	dt, err := model.ParseDtype(r.Dtype)
	if err != nil {
		return mc, Config{}, settingErr("dtype", strconv.Quote(r.Dtype), "want float32 or float64")
	}
	mc.Activation, mc.Dropout, mc.L2, mc.Dtype = r.Activation, r.Dropout, r.L2, dt
	if r.Loss != "" {
		mc.Loss = r.Loss
	}
	tc := Config{Optimizer: r.Optimizer, LearnRate: r.LearnRate, Momentum: r.Momentum, Rho: Defaults().Rho,
		Epochs: r.Epochs, BatchSize: r.BatchSize, Seed: r.Seed, Patience: r.Patience, Schedule: r.Schedule, Replicas: r.Replicas}
	if tc.LearnRate == 0 {
		tc.LearnRate = DefaultLearnRate(r.Optimizer)
	}
	for _, err := range []error{mc.Validate(), tc.Validate()} {
		if ce := (*model.ConfigError)(nil); errors.As(err, &ce) {
			return mc, tc, settingErr(settingOf[strings.Split(ce.Field, "[")[0]], ce.Value, "%s", ce.Reason)
		}
	}
	if r.ValSize < 0 || r.ValSize > MaxSamples {
		return mc, tc, settingErr("val-size", fmt.Sprint(r.ValSize), "must be between 0 and %d", MaxSamples)
	}
	if r.TrainLimit < 0 || r.TrainLimit > MaxSamples {
		return mc, tc, settingErr("train-limit", fmt.Sprint(r.TrainLimit), "must be between 0 and %d", MaxSamples)
	}
	if r.Patience > 0 && r.ValSize == 0 {
		return mc, tc, settingErr("patience", fmt.Sprint(r.Patience), "needs a validation set: set --val-size")
	}
	return mc, tc, nil
}

// Split applies TrainLimit and ValSize to the samples of a training file: the first TrainLimit
// samples (all when 0), of which ValSize, chosen by Seed, are held out for validation (val is nil
// when ValSize is 0). A ValSize the set cannot satisfy is a *SettingError; a batch larger than
// what is left to train on is not (Warnings says so).
func (r Recipe) Split(full *dataset.Set) (trainSet, val *dataset.Set, err error) {
	trainSet = full.Limit(r.TrainLimit)
	if r.ValSize >= trainSet.Len() {
		return nil, nil, settingErr("val-size", fmt.Sprint(r.ValSize), "must be smaller than the %d training samples", trainSet.Len())
	}
	if trainSet, val, err = trainSet.Split(r.ValSize, r.Seed); err != nil {
		return nil, nil, err
	}
	return trainSet, val, nil
}

// NewNetwork returns the network of r for samples of inputs features and classes classes: the
// model config of Configs, its weights drawn from Seed.
func (r Recipe) NewNetwork(inputs, classes int) (*model.Network, error) {
	mc, _, err := r.Configs(inputs, classes)
	if err != nil {
		return nil, err
	}
	return model.New(mc, rand.New(rand.NewPCG(r.Seed, 0)))
}

// NewTrainer returns the trainer of a new run of r on samples of inputs features and classes
// classes: the network of NewNetwork and the training config of Configs.
func (r Recipe) NewTrainer(inputs, classes int) (*Trainer, error) {
	net, err := r.NewNetwork(inputs, classes)
	if err != nil {
		return nil, err
	}
	_, tc, _ := r.Configs(inputs, classes) // checked by NewNetwork
	return NewTrainer(net, tc)
}

// Warnings returns one-line warnings about the recipe's data d: d's own (dataset.Data.Warnings,
// such as pixels on another scale), a TrainLimit beyond the training samples (all are used) and
// a BatchSize beyond those left for training (each epoch is one batch of them all, as in Keras'
// fit and PyTorch's DataLoader).
func (r Recipe) Warnings(d *dataset.Data) []string {
	w := d.Warnings()
	if d.Train == nil {
		return w
	}
	n := d.Train.Len()
	if r.TrainLimit > n {
		w = append(w, fmt.Sprintf("--train-limit %d: the training set holds only %d samples; all of them are used", r.TrainLimit, n))
	} else if r.TrainLimit > 0 {
		n = r.TrainLimit
	}
	if n -= r.ValSize; n > 0 && r.BatchSize > n {
		w = append(w, fmt.Sprintf("--batch-size %d: larger than the %d training samples; each epoch is one batch of them all", r.BatchSize, n))
	}
	return w
}

// MaxSamples bounds ValSize and TrainLimit: 2^31, more than any IDX file here holds.
const MaxSamples = 1 << 31

// MaxLayerSize bounds a hidden layer's width in ParseSizes, so that a typo cannot ask for
// terabytes before model.MaxParams is even checked.
const MaxLayerSize = 1 << 16

// ParseSizes parses a comma-separated list of hidden layer sizes such as "128,64", each between 1
// and MaxLayerSize. An empty list is an error: an mlp needs a hidden layer.
func ParseSizes(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("is empty: an mlp needs at least one hidden layer (or use --model perceptron)")
	}
	parts := strings.Split(s, ",")
	sizes := make([]int, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		v, err := strconv.Atoi(p)
		switch {
		case p == "":
			return nil, fmt.Errorf("empty size at position %d (want sizes like 128,64)", i+1)
		case err != nil:
			return nil, fmt.Errorf("%q is not a whole number (want sizes like 128,64)", p)
		case v <= 0 || v > MaxLayerSize:
			return nil, fmt.Errorf("size %d must be between 1 and %d", v, MaxLayerSize)
		}
		sizes[i] = v
	}
	return sizes, nil
}

// value is a setting bound to a field of a recipe: it parses as the standard flag package does
// (integers with base prefixes such as 0x) and records that the setting was given.
type value[T any] struct {
	r      *Recipe
	name   string
	p      *T
	kind   string
	parse  func(string) (T, error)
	format func(T) string
}

func (v value[T]) String() string { return v.format(*v.p) }
func (v value[T]) Type() string   { return v.kind }
func (v value[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil {
		return err
	}
	*v.p = x
	v.r.given(v.name)
	return nil
}

func str(r *Recipe, name string, p *string) value[string] {
	return value[string]{r, name, p, "string", func(s string) (string, error) { return s, nil }, func(s string) string { return s }}
}

func float(r *Recipe, name string, p *float64) value[float64] {
	return value[float64]{r, name, p, "float64", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) },
		func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }}
}

func integer(r *Recipe, name string, p *int) value[int] {
	return value[int]{r, name, p, "int", func(s string) (int, error) {
		i, err := strconv.ParseInt(s, 0, strconv.IntSize)
		return int(i), err
	}, strconv.Itoa}
}

func seed(r *Recipe, name string, p *uint64) value[uint64] {
	return value[uint64]{r, name, p, "uint64", func(s string) (uint64, error) { return strconv.ParseUint(s, 0, 64) },
		func(u uint64) string { return strconv.FormatUint(u, 10) }}
}

// given records that a setting was set; a perceptron loses the default dropout, another optimizer
// the default learning rate (see Set).
func (r *Recipe) given(name string) {
	if r.set == nil {
		r.set = map[string]bool{}
	}
	r.set[name] = true
	if name == "model" && r.Model == "perceptron" && !r.set["dropout"] {
		r.Dropout = 0
	}
	if name == "optimizer" && !r.set["lr"] { // the default learning rate is Adam's
		r.LearnRate = 0
		if r.Optimizer == DefaultRecipe().Optimizer {
			r.LearnRate = defaultRecipeLearnRate
		}
	}
}

// Clone returns a copy of r that can be Set without changing r.
func (r Recipe) Clone() Recipe {
	r.set = maps.Clone(r.set)
	return r
}

// Given reports whether the named setting was set with Set (or its flag given).
func (r *Recipe) Given(name string) bool { return r.set[name] }
