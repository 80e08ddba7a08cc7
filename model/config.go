package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorgonia.org/tensor"
)

// The names of the losses a Config or a Network may ask for. Each fixes the output layer's
// activation.
const (
	// CrossEntropy is softmax cross-entropy over Outputs classes, computed from the logits in a
	// numerically stable form (never Log(SoftMax(z))). Outputs are softmax probabilities.
	CrossEntropy = "crossentropy"
	// BCE is binary cross-entropy for a single sigmoid output, stable for large |logit|.
	BCE = "bce"
	// MSE is the mean squared error of the sigmoid outputs, mean over the batch and the outputs of
	// (y - ŷ)², as Keras' "mse" and PyTorch's MSELoss compute it.
	MSE = "mse"
	// HalfSquaredError is the tutorial's L = 1/2 Σ_k (y_k - ŷ_k)², summed over the sigmoid outputs
	// and averaged over the batch: for one output, half the MSE, so its gradient is (ŷ - y)·ŷ(1-ŷ)
	// with no factor 2.
	HalfSquaredError = "half-squared-error"
)

// Losses lists the loss names in a stable order, for help texts.
var Losses = []string{CrossEntropy, BCE, MSE, HalfSquaredError}

// Config describes a perceptron or an MLP, the networks of the tutorial, in a few fields: it can be
// printed, compared with Equal, and turned into a network with New. Networks of other layers are
// assembled from layers (NewNetwork). The zero value is not valid; start from Perceptron or MLP.
type Config struct {
	Inputs     int          // features per sample (784 for MNIST)
	Hidden     []int        // sizes of the hidden layers; none makes a single-layer perceptron
	Outputs    int          // output units: classes for cross-entropy, 1 for bce
	Activation string       // the hidden layers' activation (see Activations); unused by a perceptron
	Loss       string       // CrossEntropy, BCE, MSE or HalfSquaredError
	Dropout    float64      // probability of dropping each hidden unit in training, in [0,1)
	L2         float64      // lambda of the penalty (lambda/2) * sum of squared weights (not biases)
	Dtype      tensor.Dtype // tensor.Float32 or tensor.Float64; the zero value means Float32
}

// Perceptron returns the config of a single-layer perceptron: inputs -> outputs, no hidden layer.
// With cross-entropy (the default for more than one output) it is multinomial logistic regression.
func Perceptron(inputs, outputs int) Config {
	loss := CrossEntropy
	if outputs == 1 {
		loss = BCE
	}
	return Config{Inputs: inputs, Outputs: outputs, Activation: "relu", Loss: loss, Dtype: tensor.Float32}
}

// MLP returns the config of a multi-layer perceptron with ReLU hidden layers of the given sizes.
func MLP(inputs int, hidden []int, outputs int) Config {
	c := Perceptron(inputs, outputs)
	c.Hidden = slices.Clone(hidden)
	return c
}

// Kind returns "perceptron" when there is no hidden layer, else "mlp".
func (c Config) Kind() string {
	if len(c.Hidden) == 0 {
		return "perceptron"
	}
	return "mlp"
}

// Sizes returns every layer's width, inputs first: 784-128-10 is [784 128 10].
func (c Config) Sizes() []int {
	return append(append([]int{c.Inputs}, c.Hidden...), c.Outputs)
}

// String describes the config on one line, for run headers and logs:
// "mlp 784-256-10 relu loss=crossentropy dropout=0.2 float32".
func (c Config) String() string {
	var b strings.Builder
	b.WriteString(c.Kind())
	b.WriteByte(' ')
	b.WriteString(FormatSizes(c.Sizes(), "-"))
	if len(c.Hidden) > 0 {
		b.WriteString(" " + c.Activation)
	}
	fmt.Fprintf(&b, " loss=%s", c.Loss)
	if c.Dropout > 0 {
		fmt.Fprintf(&b, " dropout=%g", c.Dropout)
	}
	if c.L2 > 0 {
		fmt.Fprintf(&b, " l2=%g", c.L2)
	}
	fmt.Fprintf(&b, " %s", dtypeOrDefault(c.Dtype))
	return b.String()
}

// FormatSizes joins layer sizes with sep: FormatSizes([]int{784, 128, 10}, "-") is "784-128-10".
func FormatSizes(sizes []int, sep string) string {
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = strconv.Itoa(s)
	}
	return strings.Join(parts, sep)
}

// Equal reports whether two configs describe the same model.
func (c Config) Equal(d Config) bool {
	return c.Inputs == d.Inputs && slices.Equal(c.Hidden, d.Hidden) && c.Outputs == d.Outputs &&
		(len(c.Hidden) == 0 || c.Activation == d.Activation) && c.Loss == d.Loss &&
		c.Dropout == d.Dropout && c.L2 == d.L2 && dtypeOrDefault(c.Dtype) == dtypeOrDefault(d.Dtype)
}

// dtypeOrDefault returns dt, or Float32 for the zero Dtype.
func dtypeOrDefault(dt tensor.Dtype) tensor.Dtype {
	if dt == (tensor.Dtype{}) {
		return tensor.Float32
	}
	return dt
}

// ParseDtype returns the dtype named "float32" or "float64".
func ParseDtype(name string) (tensor.Dtype, error) {
	switch name {
	case "float32":
		return tensor.Float32, nil
	case "float64":
		return tensor.Float64, nil
	}
	return tensor.Dtype{}, fmt.Errorf("dtype %q: want float32 or float64", name)
}

// MaxParams bounds the weights and biases of a network: 2^27, 512 MiB in float32 before
// gradients and solver state. A typo in a layer size (--hidden 65536,65536 asks for 4.3 billion)
// or a crafted model file is then refused instead of crashing the program out of memory.
const MaxParams = 1 << 27

// paramsWithin reports whether the dense layers of c hold at most limit weights and biases. The
// sizes must be positive; the count cannot overflow, even for sizes near the int limit.
func (c Config) paramsWithin(limit int64) bool {
	sizes := c.Sizes()
	var total int64
	for i := 0; i+1 < len(sizes); i++ {
		in, out := int64(sizes[i]), int64(sizes[i+1])
		if in > limit || out > limit || in*out > limit-total-out {
			return false
		}
		total += in*out + out
	}
	return true
}

// A ConfigError reports a bad field of a config: Config names the config ("model" for Config,
// "train" for train.Config), Field the field ("Dropout", "Hidden[1]"), Value is the bad value as
// the message shows it, and Reason says what is wrong. A program maps Field to its own flag names.
type ConfigError struct {
	Config, Field, Value, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s config: %s = %s: %s", e.Config, e.Field, e.Value, e.Reason)
}

// NewConfigError returns a *ConfigError, the value printed as Go would write it (strings
// quoted, floats in full).
func NewConfigError(config, field string, value any, format string, args ...any) error {
	v := fmt.Sprint(value)
	switch x := value.(type) {
	case string:
		v = strconv.Quote(x)
	case float64:
		v = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return &ConfigError{Config: config, Field: field, Value: v, Reason: fmt.Sprintf(format, args...)}
}

func configErr(field string, value any, format string, args ...any) error {
	return NewConfigError("model", field, value, format, args...)
}

// Validate checks every field and returns a *ConfigError naming the first bad one.
func (c Config) Validate() error {
	if c.Inputs <= 0 {
		return configErr("Inputs", c.Inputs, "must be positive")
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return configErr(fmt.Sprintf("Hidden[%d]", i), h, "layer sizes must be positive")
		}
	}
	if c.Outputs <= 0 {
		return configErr("Outputs", c.Outputs, "must be positive")
	}
	if !c.paramsWithin(MaxParams) {
		return configErr("Hidden", FormatSizes(c.Hidden, ","), "the network %s needs more than %d weights and biases (MaxParams)", FormatSizes(c.Sizes(), "-"), MaxParams)
	}
	if err := checkLoss(c.Loss, c.Outputs); err != nil {
		return err
	}
	if len(c.Hidden) > 0 {
		if _, err := ActivationByName(c.Activation); err != nil {
			return configErr("Activation", c.Activation, "want one of %s", strings.Join(Activations(), ", "))
		}
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) { // also rejects NaN
		return configErr("Dropout", c.Dropout, "must be between 0 and 1 (1 excluded)")
	}
	if c.Dropout > 0 && len(c.Hidden) == 0 {
		return configErr("Dropout", c.Dropout, "a perceptron has no hidden layer to drop units from")
	}
	if err := checkL2(c.L2); err != nil {
		return err
	}
	return checkDtype(c.Dtype, true)
}

// MaxL2 bounds the L2 penalty's lambda: beyond it the penalty swamps any data loss, and a value
// like 1e300 is a typo.
const MaxL2 = 1e6

func checkL2(l2 float64) error {
	if !(l2 >= 0) || l2 > MaxL2 {
		return configErr("L2", l2, "must be between 0 and %g", float64(MaxL2))
	}
	return nil
}

func checkLoss(loss string, outputs int) error {
	switch loss {
	case CrossEntropy:
		if outputs < 2 {
			return configErr("Loss", loss, "needs at least 2 outputs, got %d (use %q for one sigmoid output)", outputs, BCE)
		}
	case BCE:
		if outputs != 1 {
			return configErr("Loss", loss, "needs exactly 1 output, got %d", outputs)
		}
	case MSE, HalfSquaredError:
	default:
		return configErr("Loss", loss, "want one of %s", strings.Join(Losses, ", "))
	}
	return nil
}

func checkDtype(dt tensor.Dtype, zeroOK bool) error {
	if dt == tensor.Float32 || dt == tensor.Float64 || (zeroOK && dt == (tensor.Dtype{})) {
		return nil
	}
	return configErr("Dtype", dt, "want float32 or float64")
}

// Spec returns the description of the network New builds from c: for each hidden layer a dense
// layer "hiddenN" (He initialisation for activations that ask for it, else Glorot), the activation
// and, when Dropout > 0, a dropout layer "dropoutN"; then a dense output layer "output" (Glorot)
// producing the logits.
func (c Config) Spec() (NetworkSpec, error) {
	if err := c.Validate(); err != nil {
		return NetworkSpec{}, err
	}
	ns := NetworkSpec{Inputs: c.Inputs, Outputs: c.Outputs, Loss: c.Loss, L2: c.L2, Dtype: dtypeOrDefault(c.Dtype).String()}
	add := func(kind, name string, attrs any) {
		s, _ := NewLayerSpec(kind, name, attrs) // plain ints, strings and a finite float: cannot fail
		ns.Layers = append(ns.Layers, s)
	}
	in := c.Inputs
	for i, h := range c.Hidden {
		act, _ := ActivationByName(c.Activation) // checked by Validate
		add(KindDense, fmt.Sprintf("hidden%d", i+1), denseAttrs{In: in, Out: h, Init: initOf(act).String()})
		add(KindActivation, "", activationAttrs{c.Activation})
		if c.Dropout > 0 {
			add(KindDropout, fmt.Sprintf("dropout%d", i+1), dropoutAttrs{c.Dropout})
		}
		in = h
	}
	add(KindDense, "output", denseAttrs{In: in, Out: c.Outputs, Init: Glorot.String()})
	return ns, nil
}
