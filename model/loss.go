package model

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	G "gorgonia.org/gorgonia"
)

// SoftmaxCrossEntropy returns -mean_b sum_k y[b,k] log softmax(z)[b,k] for logits z and one-hot (or
// probability) targets y, both (B,K). It never forms Log(SoftMax(z)): gorgonia v0.9.18 rewrites
// that pattern in place, and its SoftMax takes each row's max from element 0 of the whole tensor,
// so logits of ~100 (float32) or ~709 (float64) overflow to NaN. Subtracting the row's own max
// first keeps every exp in (0,1]; the gradient w.r.t. z is (softmax(z) - y)/B.
func SoftmaxCrossEntropy(s *Scope, z, y *G.Node) (*G.Node, error) {
	logp, err := LogSoftmax(z)
	if err != nil {
		return nil, err
	}
	return negMean(G.HadamardProd(logp, y))
}

// LogSoftmax returns log softmax(z) along axis 1, computed as (z - m) - log sum exp(z - m) with
// m the row's maximum.
func LogSoftmax(z *G.Node) (*G.Node, error) {
	m, err := G.Max(z, 1)
	if err != nil {
		return nil, fmt.Errorf("log-softmax: max: %w", err)
	}
	shifted, err := G.BroadcastSub(z, m, nil, []byte{1})
	if err != nil {
		return nil, fmt.Errorf("log-softmax: shift: %w", err)
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, err
	}
	sum, err := G.Sum(e, 1)
	if err != nil {
		return nil, err
	}
	lse, err := G.Log(sum)
	if err != nil {
		return nil, err
	}
	return G.BroadcastSub(shifted, lse, nil, []byte{1})
}

// Softmax returns softmax(z) along axis 1 as exp(log-softmax), stable for any logits.
func Softmax(z *G.Node) (*G.Node, error) {
	logp, err := LogSoftmax(z)
	if err != nil {
		return nil, err
	}
	return G.Exp(logp)
}

// BinaryCrossEntropy returns the mean over the batch of the binary cross-entropy of sigmoid(z)
// against y in {0,1}, both (B,1), in the form max(z,0) - z·y + log(1 + exp(-|z|)), which is exact
// for any z. (gorgonia's BinaryXent adds an epsilon of 1e-16 to 1, which rounds to 1 and protects
// nothing.)
func BinaryCrossEntropy(s *Scope, z, y *G.Node) (*G.Node, error) {
	relu, err := G.Rectify(z)
	if err != nil {
		return nil, err
	}
	zy, err := G.HadamardProd(z, y)
	if err != nil {
		return nil, err
	}
	abs, err := G.Abs(z)
	if err != nil {
		return nil, err
	}
	negAbs, err := G.Neg(abs)
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(negAbs)
	if err != nil {
		return nil, err
	}
	soft, err := G.Log1p(e)
	if err != nil {
		return nil, err
	}
	d, err := G.Sub(relu, zy)
	if err != nil {
		return nil, err
	}
	l, err := G.Add(d, soft)
	if err != nil {
		return nil, err
	}
	return G.Mean(l)
}

// HalfSumSquaredError returns mean_b sum_k 1/2 (y[b,k] - p[b,k])², the tutorial's
// L = 1/2 (y - ŷ)² for predictions p (the loss HalfSquaredError).
func HalfSumSquaredError(s *Scope, p, y *G.Node) (*G.Node, error) {
	sq, err := squaredDiff(p, y)
	if err != nil {
		return nil, err
	}
	sum, err := G.Sum(sq, 1)
	if err != nil {
		return nil, err
	}
	mean, err := G.Mean(sum)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(s.Constant(0.5), mean)
}

// MeanSquaredError returns mean_{b,k} (y[b,k] - p[b,k])², the mean over every element, as Keras'
// "mse" and PyTorch's MSELoss (reduction "mean") compute it (the loss MSE).
func MeanSquaredError(p, y *G.Node) (*G.Node, error) {
	sq, err := squaredDiff(p, y)
	if err != nil {
		return nil, err
	}
	return G.Mean(sq)
}

// squaredDiff returns (p - y)², element-wise.
func squaredDiff(p, y *G.Node) (*G.Node, error) {
	d, err := G.Sub(p, y)
	if err != nil {
		return nil, err
	}
	return G.Square(d)
}

func negMean(prod *G.Node, err error) (*G.Node, error) {
	if err != nil {
		return nil, err
	}
	sum, err := G.Sum(prod, 1)
	if err != nil {
		return nil, err
	}
	mean, err := G.Mean(sum)
	if err != nil {
		return nil, err
	}
	return G.Neg(mean)
}

// SampleLoss returns the loss of one sample from its logits, computed in float64 as the graph
// computes it, so evaluation in Go (validation loss over every sample) agrees with training.
// Infinite logits give the loss's limit (0 for a sure right answer, +Inf for a sure wrong one)
// rather than the NaN of Inf - Inf.
func SampleLoss(loss string, logits []float64, label int) float64 {
	switch loss {
	case BCE: // max(z,0) - z·y + log(1 + exp(-|z|)), which is softplus(z) for y = 0, softplus(-z) for y = 1
		z := logits[0]
		if label == 1 {
			z = -z
		}
		return math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
	case MSE, HalfSquaredError:
		var l float64
		for k, z := range logits {
			t := 0.0 // one-hot target; a single output's target is the label itself (0 or 1)
			if (len(logits) == 1 && label == 1) || (len(logits) > 1 && k == label) {
				t = 1
			}
			d := sigmoid(z) - t
			l += d * d
		}
		if loss == MSE {
			return l / float64(len(logits))
		}
		return l / 2
	default:
		if math.IsInf(logits[label], 1) { // -log(1/k), k the number of +Inf logits
			p := append([]float64(nil), logits...)
			Probabilities(CrossEntropy, p)
			return -math.Log(p[label])
		}
		return logSumExp(logits) - logits[label]
	}
}

// Probabilities turns one sample's logits into output probabilities in place: softmax for
// cross-entropy, an element-wise sigmoid otherwise. Infinite logits have their limits: softmax of
// [+Inf, 1] is [1, 0] (the +Inf classes share the whole probability), sigmoid(±Inf) is 1 or 0. A
// NaN logit gives NaN probabilities; Predict refuses them.
func Probabilities(loss string, logits []float64) {
	if loss != CrossEntropy {
		for i, z := range logits {
			logits[i] = sigmoid(z)
		}
		return
	}
	top := 0
	for _, z := range logits {
		if math.IsInf(z, 1) {
			top++
		}
	}
	if top > 0 { // exp(+Inf - +Inf) would be NaN: take the limit
		for i, z := range logits {
			logits[i] = 0
			if math.IsInf(z, 1) {
				logits[i] = 1 / float64(top)
			} else if math.IsNaN(z) {
				logits[i] = z
			}
		}
		return
	}
	lse := logSumExp(logits)
	for i, z := range logits {
		logits[i] = math.Exp(z - lse)
	}
}

// ErrNonFiniteOutput is the error of a prediction from outputs that are NaN, or probabilities
// that are undefined (every logit -Inf): a diverged model, whose answer is not reported.
var ErrNonFiniteOutput = errors.New("the model's output is not a number (NaN): the model diverged")

// A Prediction is a model's answer for one sample: the predicted class, the probability the model
// gives it, and the output probabilities (softmax for cross-entropy, a sigmoid per output
// otherwise: one value for a single-output model, the probability of class 1).
type Prediction struct {
	Class int
	Prob  float64
	Probs []float64
}

// Predict decides one sample from its logits: the arg max of the probabilities (ties to the
// lower class) or, for a single output, class 1 when its probability is at least 0.5. It is the
// one place where every command decides a class and its probability. NaN or undefined
// probabilities are ErrNonFiniteOutput. logits is not changed.
func Predict(loss string, logits []float64) (Prediction, error) {
	probs := append([]float64(nil), logits...)
	Probabilities(loss, probs)
	p := Prediction{Probs: probs}
	for i, q := range probs {
		if math.IsNaN(q) {
			return Prediction{}, fmt.Errorf("%w (logit %d is %v)", ErrNonFiniteOutput, i, logits[i])
		}
		if q > probs[p.Class] {
			p.Class = i
		}
	}
	p.Prob = probs[p.Class]
	if len(probs) == 1 {
		p.Class, p.Prob = 0, 1-probs[0]
		if probs[0] >= 0.5 {
			p.Class, p.Prob = 1, probs[0]
		}
	}
	return p, nil
}

// Top returns the k classes of highest probability, the most probable first (ties to the lower
// class); for a single output, the two classes 0 and 1.
func (p Prediction) Top(k int) []int {
	probs := p.Probs
	if len(probs) == 1 {
		probs = []float64{1 - probs[0], probs[0]}
	}
	classes := make([]int, len(probs))
	for i := range classes {
		classes[i] = i
	}
	slices.SortStableFunc(classes, func(a, b int) int { return cmp.Compare(probs[b], probs[a]) })
	return classes[:min(k, len(classes))]
}

// ProbOf returns the probability of class c.
func (p Prediction) ProbOf(c int) float64 {
	if len(p.Probs) == 1 && c == 0 {
		return 1 - p.Probs[0]
	}
	return p.Probs[min(c, len(p.Probs)-1)]
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func logSumExp(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
