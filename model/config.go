package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorgonia.org/tensor"
)

// The names of the losses a Config may ask for. Each fixes the output layer's activation.
const (
	// CrossEntropy is softmax cross-entropy over Outputs classes, computed from the logits in a
	// numerically stable form (never Log(SoftMax(z))). Outputs are softmax probabilities.
	CrossEntropy = "crossentropy"
	// BCE is binary cross-entropy for a single sigmoid output, stable for large |logit|.
	BCE = "bce"
	// MSE is the tutorial's squared error L = 1/2 (y - ŷ)², summed over sigmoid outputs and
	// averaged over the batch.
	MSE = "mse"
)

// Losses lists the loss names in a stable order, for help texts.
var Losses = []string{CrossEntropy, BCE, MSE}

// DTypes lists the supported element types.
var DTypes = []string{"float32", "float64"}

// Config describes a perceptron or an MLP completely: it can be printed, compared with Equal, and
// saved beside the weights. The zero value is not valid; start from Perceptron or MLP.
type Config struct {
	Inputs     int     // features per sample (784 for MNIST)
	Hidden     []int   // sizes of the hidden layers; none makes a single-layer perceptron
	Outputs    int     // output units: classes for cross-entropy, 1 for bce
	Activation string  // the hidden layers' activation (see Activations); unused by a perceptron
	Loss       string  // CrossEntropy, BCE or MSE
	Dropout    float64 // probability of dropping each hidden unit in training, in [0,1)
	L2         float64 // lambda of the penalty (lambda/2) * sum of squared weights (not biases)
	DType      string  // "float32" (default) or "float64"
}

// Perceptron returns the config of a single-layer perceptron: inputs -> outputs, no hidden layer.
// With cross-entropy (the default for more than one output) it is multinomial logistic regression.
func Perceptron(inputs, outputs int) Config {
	loss := CrossEntropy
	if outputs == 1 {
		loss = BCE
	}
	return Config{Inputs: inputs, Outputs: outputs, Activation: "relu", Loss: loss, DType: "float32"}
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

// String describes the config on one line, for run headers and logs.
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
	fmt.Fprintf(&b, " %s", c.dtypeName())
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
		c.Dropout == d.Dropout && c.L2 == d.L2 && c.dtypeName() == d.dtypeName()
}

func (c Config) dtypeName() string {
	if c.DType == "" {
		return "float32"
	}
	return c.DType
}

// Dtype returns the tensor element type of the config.
func (c Config) Dtype() tensor.Dtype {
	if c.dtypeName() == "float64" {
		return tensor.Float64
	}
	return tensor.Float32
}

// MaxParams bounds the weights and biases a Config may ask for: 2^27, 512 MiB in float32 before
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

// Validate checks every field and returns an error naming the first bad one.
func (c Config) Validate() error {
	if c.Inputs <= 0 {
		return fmt.Errorf("model config: Inputs = %d: must be positive", c.Inputs)
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("model config: Hidden[%d] = %d: layer sizes must be positive", i, h)
		}
	}
	if c.Outputs <= 0 {
		return fmt.Errorf("model config: Outputs = %d: must be positive", c.Outputs)
	}
	if !c.paramsWithin(MaxParams) {
		return fmt.Errorf("model config: %s needs more than %d weights and biases (MaxParams)", FormatSizes(c.Sizes(), "-"), MaxParams)
	}
	switch c.Loss {
	case CrossEntropy:
		if c.Outputs < 2 {
			return fmt.Errorf("model config: Loss %q needs at least 2 outputs, got %d (use %q for one sigmoid output)", c.Loss, c.Outputs, BCE)
		}
	case BCE:
		if c.Outputs != 1 {
			return fmt.Errorf("model config: Loss %q needs exactly 1 output, got %d", c.Loss, c.Outputs)
		}
	case MSE:
	default:
		return fmt.Errorf("model config: Loss %q: unknown (want one of %s)", c.Loss, strings.Join(Losses, ", "))
	}
	if len(c.Hidden) > 0 {
		if _, err := ActivationByName(c.Activation); err != nil {
			return fmt.Errorf("model config: Activation: %w", err)
		}
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) { // also rejects NaN
		return fmt.Errorf("model config: Dropout = %g: must be in [0,1)", c.Dropout)
	}
	if !(c.L2 >= 0) || c.L2 > 1e6 {
		return fmt.Errorf("model config: L2 = %g: must be a finite number >= 0", c.L2)
	}
	if !slices.Contains(DTypes, c.dtypeName()) {
		return fmt.Errorf("model config: DType %q: want float32 or float64", c.DType)
	}
	return nil
}
