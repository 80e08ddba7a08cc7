package model

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	G "gorgonia.org/gorgonia"
)

// An Activation is an element-wise nonlinearity added to a graph. To add one (GELU, Swish, ...),
// implement it and call RegisterActivation from an init function: Config.Activation, the
// commands' --activation flag and saved models then find it by name.
//
// Apply receives the graph being built (for constants of the graph's dtype: s.Constant) and a
// (batch, units) node, and returns a node of the same shape. It is called once per graph.
type Activation interface {
	Name() string
	Apply(s *Scope, x *G.Node) (*G.Node, error)
}

// Init names a weight initialisation scheme.
type Init int

const (
	// Glorot draws from U(-a, a) with a = sqrt(6/(fanIn+fanOut)), keeping the variance of
	// activations and gradients level for sigmoid and tanh (Glorot & Bengio, AISTATS 2010).
	Glorot Init = iota
	// He draws from N(0, 2/fanIn), the variance that keeps ReLU layers level
	// (He et al., "Delving Deep into Rectifiers", ICCV 2015).
	He
)

// String returns "glorot" or "he", the names files store.
func (i Init) String() string {
	if i == He {
		return "he"
	}
	return "glorot"
}

// ParseInit returns the Init named "glorot" or "he".
func ParseInit(name string) (Init, error) {
	switch name {
	case "glorot":
		return Glorot, nil
	case "he":
		return He, nil
	}
	return Glorot, fmt.Errorf("unknown initialisation %q (want glorot or he)", name)
}

// An Initializer is an Activation that asks for a particular weight initialisation for the layer
// it follows. Activations that do not implement it get Glorot.
type Initializer interface {
	Init() Init
}

// The built-in activations.
var (
	Sigmoid   Activation = fnActivation{"sigmoid", G.Sigmoid, Glorot}
	Tanh      Activation = fnActivation{"tanh", G.Tanh, Glorot}
	ReLU      Activation = fnActivation{"relu", G.Rectify, He}
	LeakyReLU Activation = fnActivation{"leakyrelu", func(x *G.Node) (*G.Node, error) {
		return G.LeakyRelu(x, LeakyReLUSlope)
	}, He}
)

// LeakyReLUSlope is the slope of LeakyReLU for negative inputs (0.01, Maas et al. 2013).
const LeakyReLUSlope = 0.01

type fnActivation struct {
	name string
	fn   func(*G.Node) (*G.Node, error)
	init Init
}

func (a fnActivation) Name() string                               { return a.name }
func (a fnActivation) Apply(_ *Scope, x *G.Node) (*G.Node, error) { return a.fn(x) }
func (a fnActivation) Init() Init                                 { return a.init }

var (
	activationsMu sync.RWMutex
	activations   = map[string]Activation{}
)

func init() {
	for _, a := range []Activation{Sigmoid, Tanh, ReLU, LeakyReLU} {
		RegisterActivation(a)
	}
}

// RegisterActivation makes a available by its name. Like database/sql.Register it panics when the
// name is empty or already taken: registration happens in init, where that is a programming error.
func RegisterActivation(a Activation) {
	activationsMu.Lock()
	defer activationsMu.Unlock()
	name := a.Name()
	if name == "" || strings.ContainsAny(name, " ,") {
		panic(fmt.Sprintf("model: RegisterActivation: bad name %q", name))
	}
	if _, dup := activations[name]; dup {
		panic("model: RegisterActivation called twice for " + name)
	}
	activations[name] = a
}

// ActivationByName returns the registered activation called name.
func ActivationByName(name string) (Activation, error) {
	activationsMu.RLock()
	defer activationsMu.RUnlock()
	if a, ok := activations[name]; ok {
		return a, nil
	}
	return nil, &UnregisteredError{What: "activation", Name: name}
}

// Activations returns the names of the registered activations, sorted.
func Activations() []string {
	activationsMu.RLock()
	defer activationsMu.RUnlock()
	return activationNames()
}

func activationNames() []string {
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func initOf(a Activation) Init {
	if i, ok := a.(Initializer); ok {
		return i.Init()
	}
	return Glorot
}
