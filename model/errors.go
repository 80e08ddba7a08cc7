package model

import (
	"errors"
	"fmt"
	"strings"
)

// The kinds of FormatError, for errors.Is: a file that is not a model file at all, one that ends
// early, and one whose content is damaged (checksum, payload).
var (
	ErrNotModelFile = errors.New("not a gorgonet model file")
	ErrTruncated    = errors.New("model file is truncated")
	ErrCorrupt      = errors.New("model file is corrupt")
)

// A FormatError reports a model file that cannot be read as one: Kind is ErrNotModelFile,
// ErrTruncated or ErrCorrupt, and Detail says what was found. It unwraps to Kind.
type FormatError struct {
	Kind   error
	Detail string
}

func (e *FormatError) Error() string { return e.Kind.Error() + ": " + e.Detail }
func (e *FormatError) Unwrap() error { return e.Kind }

func formatErr(kind error, format string, args ...any) error {
	return &FormatError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// A VersionError reports a model file written in a format version this program does not read:
// a newer one (update gorgonet) or an older one (train the model again).
type VersionError struct {
	Version int // the file's
	Want    int // FormatVersion
}

func (e *VersionError) Error() string {
	if e.Version > e.Want {
		return fmt.Sprintf("model file format version %d is newer than this program's (%d): update gorgonet", e.Version, e.Want)
	}
	return fmt.Sprintf("model file format version %d comes from an older gorgonet, which stored only the built-in perceptron and MLP and could drop layers without saying so; "+
		"this program reads version %d: train the model again (or load it with the gorgonet release that wrote it)", e.Version, e.Want)
}

// An UnregisteredError reports a layer kind or an activation that a file or a config names but
// this program has not registered.
type UnregisteredError struct {
	What string // "layer kind" or "activation"
	Name string
}

func (e *UnregisteredError) Error() string {
	register := "model.RegisterLayer"
	if e.What == "activation" {
		register = "model.RegisterActivation"
	}
	return fmt.Sprintf("unknown %s %q (this program knows %s): a program that defines it must register it with %s, in the package it imports",
		e.What, e.Name, e.known(), register)
}

func (e *UnregisteredError) known() string {
	if e.What == "activation" {
		return strings.Join(Activations(), ", ")
	}
	return strings.Join(LayerKinds(), ", ")
}

// A NotDescribableError reports a layer that does not implement Describer, so that no file can
// store it.
type NotDescribableError struct {
	Type string // the layer's Go type, as %T prints it
}

func (e *NotDescribableError) Error() string {
	return fmt.Sprintf("layer of type %s cannot be saved: it does not implement model.Describer (a Describe method returning its kind and attributes, with the kind registered by model.RegisterLayer)", e.Type)
}

// A DuplicateNameError reports two parameters, or two layers, of one name in a network. Gorgonia
// merges graph nodes of the same name and shape, so the two would silently share one tensor.
type DuplicateNameError struct {
	What string // "parameter" or "layer"
	Name string
	A, B int // the 0-based indices of the two layers
}

func (e *DuplicateNameError) Error() string {
	return fmt.Sprintf("%s name %q is used by layers %d and %d: names must be unique within a network (Gorgonia would merge the two into one node)",
		e.What, e.Name, e.A+1, e.B+1)
}

// A WeightsError lists every difference between a set of stored weights and the parameters of a
// network: names the network has and the weights lack, names the weights have and the network
// lacks, and names whose shape or dtype differ.
type WeightsError struct {
	Missing    []string
	Unexpected []string
	Mismatched []string // "name: stored (784, 128) float32, network (784, 256) float32"
}

func (e *WeightsError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected "+strings.Join(e.Unexpected, ", "))
	}
	if len(e.Mismatched) > 0 {
		parts = append(parts, "mismatched "+strings.Join(e.Mismatched, "; "))
	}
	return "weights do not match the network: " + strings.Join(parts, "; ")
}

// A NonFiniteError reports a NaN or infinite value in a parameter: a diverged model, which is
// neither saved nor loaded.
type NonFiniteError struct {
	Param string
	Index int
	Value float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("parameter %s holds %v at index %d: the model diverged", e.Param, e.Value, e.Index)
}
