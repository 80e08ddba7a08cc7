package model

import (
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"
)

// Weights are a network's parameter values by name, the way PyTorch's state_dict keeps them: a
// file's weights can be assigned to any network whose parameters have the same names and shapes.
type Weights map[string]TensorData

// Weights returns a copy of every parameter's values, by name.
func (n *Network) Weights() Weights {
	w := Weights{}
	for _, p := range n.Params() {
		w[p.Name] = TensorDataOf(p.Value)
	}
	return w
}

// SetWeights assigns w to the network's parameters by name, strictly: w must hold exactly the
// network's parameter names, each with the parameter's shape and dtype, and only finite values.
// Every difference is listed in one *WeightsError (a NaN or infinite value is a *NonFiniteError);
// on any error no parameter is changed.
func (n *Network) SetWeights(w Weights) error {
	_, _, err := n.assign(w, true)
	return err
}

// SetSomeWeights assigns the weights whose names the network has, and returns the network's
// parameter names that w lacks (left as they are) and the names of w the network lacks (ignored),
// as PyTorch's load_state_dict(strict=False) does. Shapes and dtypes of the names both have must
// still match (*WeightsError), and values must be finite; on an error no parameter is changed.
func (n *Network) SetSomeWeights(w Weights) (missing, unexpected []string, err error) {
	return n.assign(w, false)
}

func (n *Network) assign(w Weights, strict bool) (missing, unexpected []string, err error) {
	params := n.Params()
	have := map[string]bool{}
	e := &WeightsError{}
	for _, p := range params {
		have[p.Name] = true
		td, ok := w[p.Name]
		if !ok {
			e.Missing = append(e.Missing, p.Name)
			continue
		}
		if !tensor.Shape(td.Shape).Eq(p.Value.Shape()) || td.Dtype() != p.Value.Dtype() || td.len() != p.Value.Shape().TotalSize() {
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: stored %v, network %v %v", p.Name, td, p.Value.Shape(), p.Value.Dtype()))
		}
	}
	for name := range w {
		if !have[name] {
			e.Unexpected = append(e.Unexpected, name)
		}
	}
	slices.Sort(e.Unexpected)
	if len(e.Mismatched) > 0 || (strict && (len(e.Missing) > 0 || len(e.Unexpected) > 0)) {
		return e.Missing, e.Unexpected, e
	}
	for _, p := range params {
		if td, ok := w[p.Name]; ok {
			if err := checkFiniteData(p.Name, td); err != nil {
				return e.Missing, e.Unexpected, err
			}
		}
	}
	for _, p := range params {
		if td, ok := w[p.Name]; ok {
			if err := td.CopyInto(p.Name, p.Value); err != nil { // checked above: cannot fail
				return e.Missing, e.Unexpected, err
			}
		}
	}
	return e.Missing, e.Unexpected, nil
}

// CheckFinite returns a *NonFiniteError for the first parameter holding a NaN or an infinity.
func (n *Network) CheckFinite() error {
	for _, p := range n.Params() {
		if err := checkFinite(p.Name, p.Value); err != nil {
			return err
		}
	}
	return nil
}

func checkFinite(name string, d *tensor.Dense) error {
	return checkFiniteData(name, TensorData{F32: f32sOf(d), F64: f64sOf(d)})
}

func f32sOf(d *tensor.Dense) []float32 { v, _ := d.Data().([]float32); return v }
func f64sOf(d *tensor.Dense) []float64 { v, _ := d.Data().([]float64); return v }

func checkFiniteData(name string, td TensorData) error {
	for i, v := range td.F32 {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return &NonFiniteError{Param: name, Index: i, Value: f}
		}
	}
	for i, v := range td.F64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &NonFiniteError{Param: name, Index: i, Value: v}
		}
	}
	return nil
}
