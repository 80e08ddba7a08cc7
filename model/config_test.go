package model

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func TestValidateRejects(t *testing.T) {
	mlp := MLP(784, []int{128}, 10)
	cases := []struct {
		name  string
		cfg   Config
		field []string // substrings the error must contain
	}{
		{"zero inputs", withInputs(mlp, 0), []string{"Inputs"}},
		{"negative inputs", withInputs(mlp, -1), []string{"Inputs"}},
		{"zero hidden", withHidden(mlp, 4, 0), []string{"Hidden[1]"}},
		{"negative hidden", withHidden(mlp, -3), []string{"Hidden[0]"}},
		{"zero outputs", withOutputs(mlp, 0), []string{"Outputs"}},
		{"negative outputs", withOutputs(mlp, -2), []string{"Outputs"}},
		{"dropout 1", withDropout(mlp, 1), []string{"Dropout"}},
		{"dropout 1.5", withDropout(mlp, 1.5), []string{"Dropout"}},
		{"negative dropout", withDropout(mlp, -0.1), []string{"Dropout"}},
		{"NaN dropout", withDropout(mlp, math.NaN()), []string{"Dropout"}},
		{"perceptron dropout", withDropout(Perceptron(784, 10), 0.2), []string{"Dropout", "no hidden layer"}},
		{"unknown activation", withAct(mlp, "swish-not-registered"), []string{"Activation", "swish-not-registered"}},
		{"empty activation", withAct(mlp, ""), []string{"Activation"}},
		{"unknown loss", withLoss(mlp, "hinge"), []string{"Loss", "hinge"}},
		{"empty loss", withLoss(mlp, ""), []string{"Loss"}},
		{"bad dtype", withDType(mlp, "bool"), []string{"Dtype", "bool"}},
		{"int dtype", withDType(mlp, "int"), []string{"Dtype"}},
		{"crossentropy with 1 output", withLoss(withOutputs(mlp, 1), CrossEntropy), []string{"Loss", "output"}},
		{"bce with 10 outputs", withLoss(mlp, BCE), []string{"Loss", "output"}},
		{"negative L2", withL2(mlp, -1), []string{"L2"}},
		{"NaN L2", withL2(mlp, math.NaN()), []string{"L2"}},
		{"infinite L2", withL2(mlp, math.Inf(1)), []string{"L2"}},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		var ce *ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("%s: error %v is not a *ConfigError", c.name, err)
		}
		if err == nil {
			t.Errorf("%s: Validate accepted %+v", c.name, c.cfg)
			continue
		}
		for _, f := range c.field {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("%s: error %q does not name %q", c.name, err, f)
			}
		}
		if net, nerr := New(c.cfg, newRNG(1)); nerr == nil || net != nil {
			t.Errorf("%s: New accepted the config", c.name)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	valid := []Config{
		Perceptron(784, 10),
		Perceptron(2, 1),
		MLP(784, []int{128, 64}, 10),
		withAct(Perceptron(3, 2), "not-used-without-hidden-layers"),
		withDType(MLP(4, []int{3}, 2), ""),
		withDType(MLP(4, []int{3}, 2), "float64"),
		withDropout(MLP(4, []int{3}, 2), 0.999),
		withL2(MLP(4, []int{3}, 2), 0.5),
		withLoss(Perceptron(4, 1), MSE),
		withLoss(MLP(4, []int{3}, 10), MSE),
	}
	for _, a := range Activations() {
		valid = append(valid, withAct(MLP(4, []int{3}, 2), a))
	}
	for _, c := range valid {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if p := Perceptron(4, 1); p.Loss != BCE {
		t.Errorf("Perceptron with 1 output: loss %q", p.Loss)
	}
	if p := Perceptron(4, 3); p.Loss != CrossEntropy {
		t.Errorf("Perceptron with 3 outputs: loss %q", p.Loss)
	}
	hidden := []int{5, 6}
	m := MLP(4, hidden, 3)
	hidden[0] = 99
	if m.Hidden[0] != 5 {
		t.Errorf("MLP keeps the caller's slice: Hidden = %v", m.Hidden)
	}
}

// mutations each change one field of a valid MLP config to another valid value.
var mutations = []struct {
	name string
	f    func(Config) Config
}{
	{"Inputs", func(c Config) Config { c.Inputs++; return c }},
	{"Hidden size", func(c Config) Config { c.Hidden = []int{c.Hidden[0] + 1}; return c }},
	{"Hidden layers", func(c Config) Config { c.Hidden = append([]int{4}, c.Hidden...); return c }},
	{"no Hidden", func(c Config) Config { c.Hidden, c.Dropout = nil, 0; return c }},
	{"Outputs", func(c Config) Config { c.Outputs++; return c }},
	{"Activation", func(c Config) Config { c.Activation = "tanh"; return c }},
	{"Loss", func(c Config) Config { c.Loss = MSE; return c }},
	{"Dropout", func(c Config) Config { c.Dropout = 0.25; return c }},
	{"L2", func(c Config) Config { c.L2 = 1e-4; return c }},
	{"Dtype", func(c Config) Config { c.Dtype = tensor.Float64; return c }},
}

func TestConfigEqualAndString(t *testing.T) {
	base := withL2(withDropout(MLP(784, []int{128}, 10), 0.2), 1e-3)
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	clone := base
	clone.Hidden = append([]int(nil), base.Hidden...)
	if !base.Equal(base) || !base.Equal(clone) || base.String() != clone.String() {
		t.Errorf("a config differs from its copy")
	}
	for _, m := range mutations {
		d := m.f(base)
		if err := d.Validate(); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if base.Equal(d) || d.Equal(base) {
			t.Errorf("%s: Equal does not see the change", m.name)
		}
		if base.String() == d.String() {
			t.Errorf("%s: String does not show the change: %q", m.name, d.String())
		}
	}
	// Differences that do not change the model.
	same := []struct {
		name string
		a, b Config
	}{
		{"default dtype", withDType(base, ""), withDType(base, "float32")},
		{"perceptron activation", withAct(Perceptron(4, 3), "relu"), withAct(Perceptron(4, 3), "tanh")},
		{"nil and empty Hidden", withHidden(Perceptron(4, 3), []int{}...), Perceptron(4, 3)},
	}
	for _, s := range same {
		if !s.a.Equal(s.b) || s.a.String() != s.b.String() {
			t.Errorf("%s: %q and %q should be equal", s.name, s.a, s.b)
		}
	}
	s := base.String()
	for _, want := range []string{"mlp", "784-128-10", base.Activation, base.Loss, "0.2", "0.001", "float32"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, lacks %q", s, want)
		}
	}
	p := Perceptron(784, 10)
	if s := p.String(); !strings.Contains(s, "perceptron") || !strings.Contains(s, "784-10") || strings.Contains(s, p.Activation) || strings.Contains(s, "dropout") {
		t.Errorf("perceptron String() = %q", s)
	}
	if p.Kind() != "perceptron" || base.Kind() != "mlp" {
		t.Errorf("Kind: %q, %q", p.Kind(), base.Kind())
	}
	if got := FormatSizes(MLP(3, []int{4, 5}, 6).Sizes(), "-"); got != "3-4-5-6" {
		t.Errorf("sizes %q", got)
	}
	if got := withDType(base, "").String(); !strings.HasSuffix(got, " float32") {
		t.Errorf("the zero Dtype is float32: %q", got)
	}
}

func TestNumParams(t *testing.T) {
	if got := mustNew(t, MLP(784, []int{128}, 10), 1).NumParams(); got != 101770 {
		t.Errorf("784-128-10: %d params, want 101770", got)
	}
	for _, cfg := range []Config{Perceptron(784, 10), MLP(5, []int{4, 3}, 3), MLP(8, []int{8, 8}, 2), Perceptron(2, 1)} {
		want, sizes := 0, cfg.Sizes()
		for i := 1; i < len(sizes); i++ {
			want += sizes[i-1]*sizes[i] + sizes[i]
		}
		if got := mustNew(t, cfg, 1).NumParams(); got != want {
			t.Errorf("%s: %d params, want %d", cfg, got, want)
		}
	}
}
