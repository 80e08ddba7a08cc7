package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"

	"gorgonia.org/tensor"
)

// A LayerSpec describes one layer as a registered kind plus attributes: what a model file stores
// of it. Building the spec's kind from the spec gives the same layer again, with parameters of
// the same names and shapes (their values are then set from the file, by name).
type LayerSpec struct {
	Kind  string          // a registered kind: "dense", "activation", "dropout", or one of yours
	Name  string          // the layer's name, the prefix of its parameters' names; may be empty
	Attrs json.RawMessage // the kind's attributes, a JSON object (nil when the kind has none)
}

// NewLayerSpec returns the spec of a layer of the given kind and name whose attributes are attrs
// encoded as JSON (a struct with exported fields, or a map). It fails when attrs cannot be encoded
// (a NaN or infinite number, a channel, ...).
func NewLayerSpec(kind, name string, attrs any) (LayerSpec, error) {
	s := LayerSpec{Kind: kind, Name: name}
	if attrs == nil {
		return s, nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return s, fmt.Errorf("layer %q (%s): attributes: %w", name, kind, err)
	}
	s.Attrs = b
	return s, nil
}

// DecodeAttrs decodes the spec's attributes into v (a pointer to the struct NewLayerSpec was
// given). Attributes v has no field for are an error, so that a file written by a newer version of
// a layer is not read as something else.
func (s LayerSpec) DecodeAttrs(v any) error {
	if len(s.Attrs) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(s.Attrs))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("layer %q (%s): attributes %s: %w", s.Name, s.Kind, s.Attrs, err)
	}
	return nil
}

// Equal reports whether two specs describe the same layer (attributes compared as JSON values).
func (s LayerSpec) Equal(t LayerSpec) bool {
	if s.Kind != t.Kind || s.Name != t.Name {
		return false
	}
	if len(s.Attrs) == 0 || len(t.Attrs) == 0 {
		return len(s.Attrs) == len(t.Attrs)
	}
	var a, b any
	if json.Unmarshal(s.Attrs, &a) != nil || json.Unmarshal(t.Attrs, &b) != nil {
		return bytes.Equal(s.Attrs, t.Attrs)
	}
	return reflect.DeepEqual(a, b)
}

// String returns "kind name {attrs}", for messages.
func (s LayerSpec) String() string {
	parts := []string{s.Kind}
	if s.Name != "" {
		parts = append(parts, s.Name)
	}
	if len(s.Attrs) > 0 {
		parts = append(parts, string(s.Attrs))
	}
	return strings.Join(parts, " ")
}

// A Describer is a layer that can describe itself as a LayerSpec, so that a file can store it.
// The spec's kind must be registered with RegisterLayer for the file to load.
type Describer interface {
	Describe() (LayerSpec, error)
}

// A LayerBuilder makes a layer from its spec. Parameters are created with dtype dt (use NewTensor)
// and initial values drawn from rng, in a fixed order, so that the same seed gives the same
// weights; when a file is loaded the values are then replaced by the stored ones. It returns an
// error for attributes it cannot build from, without allocating parameters first when their size
// is out of reason (files are outside input: check sizes against MaxParams).
type LayerBuilder func(spec LayerSpec, dt tensor.Dtype, rng *rand.Rand) (Layer, error)

var (
	layersMu sync.RWMutex
	layers   = map[string]LayerBuilder{}
)

// RegisterLayer makes a layer kind known by name, so that files holding it load, with build
// making a layer from its spec. Like database/sql.Register it panics when the kind is empty,
// malformed or already taken: registration happens in an init function, where that is a
// programming error. The built-in kinds are "dense", "activation" and "dropout".
func RegisterLayer(kind string, build LayerBuilder) {
	layersMu.Lock()
	defer layersMu.Unlock()
	if kind == "" || strings.ContainsAny(kind, " ,\n") || build == nil {
		panic(fmt.Sprintf("model: RegisterLayer: bad kind %q or nil builder", kind))
	}
	if _, dup := layers[kind]; dup {
		panic("model: RegisterLayer called twice for " + kind)
	}
	layers[kind] = build
}

// LayerKinds returns the registered layer kinds, sorted.
func LayerKinds() []string {
	layersMu.RLock()
	defer layersMu.RUnlock()
	kinds := make([]string, 0, len(layers))
	for k := range layers {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// BuildLayer makes the layer spec describes with the builder registered for its kind. An
// unregistered kind is an *UnregisteredError.
func BuildLayer(spec LayerSpec, dt tensor.Dtype, rng *rand.Rand) (Layer, error) {
	layersMu.RLock()
	build, ok := layers[spec.Kind]
	layersMu.RUnlock()
	if !ok {
		return nil, &UnregisteredError{What: "layer kind", Name: spec.Kind}
	}
	l, err := build(spec, dt, rng)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("layer %q: the builder of kind %q returned no layer", spec.Name, spec.Kind)
	}
	return l, nil
}

// describe returns the spec of l, or a *NotDescribableError naming its Go type.
func describe(l Layer) (LayerSpec, error) {
	d, ok := l.(Describer)
	if !ok {
		return LayerSpec{}, &NotDescribableError{Type: fmt.Sprintf("%T", l)}
	}
	return d.Describe()
}
