package train

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"gorgonet/dataset"
	"gorgonet/model"
)

// The default recipe is the default run: 784-256-10 ReLU, dropout 0.2, Adam 0.003 with a cosine
// schedule, batch 200, 6 epochs.
func TestDefaultRecipeConfigs(t *testing.T) {
	r := DefaultRecipe()
	mc, tc, err := r.Configs(784, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := model.MLP(784, []int{256}, 10)
	want.Dropout = 0.2
	if !mc.Equal(want) || mc.Dtype != tensor.Float32 {
		t.Errorf("model config %v, want %v", mc, want)
	}
	if tc.Optimizer != "adam" || tc.LearnRate != 0.003 || tc.BatchSize != 200 || tc.Epochs != 6 || tc.Seed != 1 || tc.Rho != 0.9 ||
		tc.Schedule.Name != "cosine" {
		t.Errorf("train config %+v", tc)
	}
	if args := r.Args(); len(args) != 0 {
		t.Errorf("the default recipe differs from the defaults by %v", args)
	}
}

// Set parses each setting as a flag would, Args gives back exactly the changes, and a recipe
// rebuilt from Values is the same.
func TestRecipeSetArgsValues(t *testing.T) {
	r := DefaultRecipe()
	for _, nv := range [][2]string{{"hidden", "512,256"}, {"lr", "0.002"}, {"seed", "0x10"}, {"epochs", "0x14"}, {"lr-schedule", "step"}, {"loss", "mse"}} {
		if err := r.Set(nv[0], nv[1]); err != nil {
			t.Fatalf("Set(%s, %s): %v", nv[0], nv[1], err)
		}
	}
	if r.Seed != 16 || r.Epochs != 20 || r.LearnRate != 0.002 || r.Hidden != "512,256" || r.Schedule.Name != "step" {
		t.Errorf("recipe after Set: %+v", r)
	}
	want := []string{"--hidden", "512,256", "--loss", "mse", "--lr", "0.002", "--epochs", "20", "--lr-schedule", "step", "--seed", "16"}
	if got := r.Args(); !slices.Equal(got, want) {
		t.Errorf("Args = %v, want %v", got, want)
	}
	again := DefaultRecipe()
	for name, v := range r.Values() {
		if err := again.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(again.Args(), want) {
		t.Errorf("rebuilt from Values: %v", again.Args())
	}
	for _, bad := range [][2]string{{"lr", "abc"}, {"epochs", "1.5"}, {"seed", "-1"}, {"nope", "1"}} {
		if err := r.Set(bad[0], bad[1]); err == nil {
			t.Errorf("Set(%s, %q) accepted", bad[0], bad[1])
		}
	}
}

// A perceptron has no hidden layer: it drops the default dropout, and refuses one given.
func TestRecipePerceptronDropout(t *testing.T) {
	r := DefaultRecipe()
	_ = r.Set("model", "perceptron")
	if mc, _, err := r.Configs(784, 10); err != nil || mc.Dropout != 0 || mc.Kind() != "perceptron" {
		t.Errorf("perceptron: %v, %v", mc, err)
	}
	for _, order := range [][]string{{"model", "perceptron", "dropout", "0.5"}, {"dropout", "0.5", "model", "perceptron"}} {
		r := DefaultRecipe()
		_ = r.Set(order[0], order[1])
		_ = r.Set(order[2], order[3])
		var se *SettingError
		if _, _, err := r.Configs(784, 10); !errors.As(err, &se) || se.Setting != "dropout" {
			t.Errorf("%v: %v, want a *SettingError for dropout", order, err)
		}
	}
}

// Every invalid setting is a *SettingError naming it, with the model's and the trainer's own
// validation behind it.
func TestRecipeConfigsRejects(t *testing.T) {
	for _, c := range []struct {
		name, value string
		want        string // the exact message's start
	}{
		{"hidden", "", "--hidden is empty"},
		{"hidden", "128,,64", `--hidden "128,,64": empty size at position 2 (want sizes like 128,64)`},
		{"hidden", ",128", `--hidden ",128": empty size at position 1`},
		{"hidden", "128, ,64", `--hidden "128, ,64": empty size at position 2`},
		{"hidden", "abc", `--hidden "abc": "abc" is not a whole number (want sizes like 128,64)`},
		{"hidden", "1e3", `--hidden "1e3": "1e3" is not a whole number`},
		{"hidden", "99999999999999999999", `--hidden "99999999999999999999": "99999999999999999999" is not a whole number`},
		{"hidden", "0", `--hidden "0": size 0 must be between 1 and 65536`},
		{"hidden", "-4", `--hidden "-4": size -4 must be between 1 and 65536`},
		{"hidden", "65537", `--hidden "65537": size 65537 must be between 1 and 65536`},
		{"hidden", "65536,65536", `--hidden "65536,65536": the network 784-65536-65536-10 needs more than`},
		{"model", "cnn", `--model "cnn": want perceptron or mlp`},
		{"dtype", "float16", `--dtype "float16": want float32 or float64`},
		{"activation", "swish", `--activation "swish": want one of leakyrelu, relu, sigmoid`},
		{"loss", "hinge", `--loss "hinge": want one of`},
		{"loss", "bce", `--loss "bce": needs exactly 1 output, got 10`},
		{"dropout", "1", "--dropout 1: must be between 0 and 1"},
		{"l2", "-1", "--l2 -1: must be between 0 and"},
		{"optimizer", "adagrad", `--optimizer "adagrad": want one of sgd, momentum, adam, rmsprop`},
		{"lr", "-1", "--lr -1: must be between 0 and"},
		{"lr", "1e300", "--lr 1e+300: must be between 0 and"},
		{"momentum", "1", "--momentum 1: must be between 0 and 1"},
		{"epochs", "0", "--epochs 0: must be between 1 and"},
		{"batch-size", "-5", "--batch-size -5: must be between 1 and"},
		{"patience", "-1", "--patience -1: must be between 0 and"},
		{"lr-schedule", "exponential", `--lr-schedule "exponential": want one of constant, step, cosine`},
		{"lr-step-every", "0", "--lr-step-every 0: must be between 1 and"},
		{"lr-step-gamma", "0", "--lr-step-gamma 0: must be between 0 and 1"},
		{"lr-warmup", "6", "--lr-warmup 6: must be less than the 6 epochs"},
		{"val-size", "-1", "--val-size -1: must be between 0 and 2147483648"},
		{"train-limit", "-1", "--train-limit -1: must be between 0 and"},
		{"train-limit", "0x7fffffffffffffff", "--train-limit 9223372036854775807: must be between 0 and"},
		{"patience", "2", "--patience 2: needs a validation set: set --val-size"},
	} {
		r := DefaultRecipe()
		if err := r.Set(c.name, c.value); err != nil {
			t.Fatalf("Set(%s, %q): %v", c.name, c.value, err)
		}
		_, _, err := r.Configs(784, 10)
		var se *SettingError
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("--%s %q: error %v, want a *SettingError starting %q", c.name, c.value, err, c.want)
		} else if se.Setting != c.name {
			t.Errorf("--%s %q: the error names the setting %q", c.name, c.value, se.Setting)
		}
	}
	r := DefaultRecipe()
	_ = r.Set("optimizer", "momentum")
	_ = r.Set("momentum", "0")
	if _, _, err := r.Configs(784, 10); err == nil || !strings.HasPrefix(err.Error(), "--momentum 0: must be above 0") {
		t.Errorf("momentum 0 with the momentum optimizer: %v", err)
	}
}

// Every setting appears once, bound to the recipe, with its default as its flag's default.
func TestRecipeSettings(t *testing.T) {
	r := DefaultRecipe()
	seen := map[string]bool{}
	for _, s := range r.Settings() {
		if seen[s.Name] || s.Usage == "" {
			t.Errorf("setting %q: duplicate or without help", s.Name)
		}
		seen[s.Name] = true
	}
	if len(seen) != 24 {
		t.Errorf("%d settings", len(seen))
	}
	for _, f := range []string{"Hidden", "Activation", "Loss", "Dropout", "L2", "Dtype", "Optimizer", "LearnRate", "Momentum", "Epochs",
		"BatchSize", "Patience", "Schedule.Name", "Schedule.StepEvery", "Schedule.StepGamma", "Schedule.Warmup", "Replicas"} {
		if !seen[settingOf[f]] {
			t.Errorf("config field %s maps to no setting (%q)", f, settingOf[f])
		}
	}
}

// Settings of names are those settings, in Settings order, bound to the recipe; names that are
// no setting's are left out.
func TestRecipeSettingsNamed(t *testing.T) {
	r := DefaultRecipe()
	var names []string
	for _, s := range r.Settings("seed", "nope", "lr", "hidden") {
		names = append(names, s.Name)
		if err := s.Value.Set(map[string]string{"seed": "9", "lr": "0.5", "hidden": "7"}[s.Name]); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"hidden", "lr", "seed"}; !slices.Equal(names, want) {
		t.Errorf("Settings(seed, nope, lr, hidden) = %v, want %v", names, want)
	}
	if r.Seed != 9 || r.LearnRate != 0.5 || r.Hidden != "7" || !r.Given("lr") {
		t.Errorf("the named settings are not bound to the recipe: %+v", r)
	}
	if n := len(r.Settings()); n != 24 {
		t.Errorf("Settings() has %d settings, want all 24", n)
	}
}

// CommandLine is the command, then the settings that differ from the defaults.
func TestRecipeCommandLine(t *testing.T) {
	r := DefaultRecipe()
	if got := r.CommandLine("mnist", "train"); got != "mnist train" {
		t.Errorf("default: %q", got)
	}
	_ = r.Set("model", "perceptron")
	_ = r.Set("lr", "0.01")
	if got, want := r.CommandLine("mnist", "train"), "mnist train --model perceptron --dropout 0 --lr 0.01"; got != want {
		t.Errorf("CommandLine = %q, want %q", got, want)
	}
	if got, want := r.CommandLine(), "--model perceptron --dropout 0 --lr 0.01"; got != want {
		t.Errorf("without a command: %q, want %q", got, want)
	}
}

// XORRecipe's MLP learns XOR with one output, and its perceptron cannot (at most 3 of 4 right);
// seeds 1 to 20 run in cmd/xor's TestEverySeed.
func TestXORRecipe(t *testing.T) {
	xor := dataset.XOR()
	for seed := uint64(1); seed <= 3; seed++ {
		for _, kind := range []string{"mlp", "perceptron"} {
			r := XORRecipe()
			r.Model, r.Seed = kind, seed
			tr, err := r.NewTrainer(2, 1)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Fit(context.Background(), xor, nil); err != nil {
				t.Fatal(err)
			}
			res, err := tr.Eval.Evaluate(xor)
			if err != nil {
				t.Fatal(err)
			}
			if learned := res.Accuracy == 1; learned != (kind == "mlp") {
				t.Errorf("%s, seed %d: accuracy %v", kind, seed, res.Accuracy)
			}
			if tr.Net.Loss != model.BCE || tr.Net.String() != map[string]string{"mlp": "mlp 2-4-1 tanh", "perceptron": "perceptron 2-1"}[kind]+" loss=bce float64" {
				t.Errorf("%s: network %s", kind, tr.Net)
			}
		}
	}
}

// FuzzParseSizes: any --hidden value gives either sizes in [1, MaxLayerSize], one per comma
// separated field, that format and parse back the same, or an error; never a panic.
func FuzzParseSizes(f *testing.F) {
	for _, s := range []string{
		"", " ", "128", "128,64", " 512 , 256,10 ", "128,,64", ",,", ",", "abc", "-1", "0",
		"99999999", "99999999999999999999", "65536", "65537", "1e3", "1.5", "+7", "0x10",
		"1,2,3,4,5,6,7,8,9,10", "\t64\n", "١٢٣", "128;64", "128:64",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sizes, err := ParseSizes(s)
		if err != nil {
			if sizes != nil {
				t.Fatalf("ParseSizes(%q): sizes %v with the error", s, sizes)
			}
			return
		}
		if strings.TrimSpace(s) == "" {
			t.Fatalf("ParseSizes(%q) = %v, want the error of an empty list", s, sizes)
		}
		if want := strings.Count(s, ",") + 1; len(sizes) != want {
			t.Fatalf("ParseSizes(%q) = %v: %d sizes for %d fields", s, sizes, len(sizes), want)
		}
		parts := make([]string, len(sizes))
		for i, v := range sizes {
			if v < 1 || v > MaxLayerSize {
				t.Fatalf("ParseSizes(%q) accepted size %d", s, v)
			}
			parts[i] = strconv.Itoa(v)
		}
		again, err := ParseSizes(strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, sizes) {
			t.Fatalf("ParseSizes(%q) = %v, but its formatting parses to %v, %v", s, sizes, again, err)
		}
	})
}

// The settings reach the training config: the learning rate defaults per optimizer, and the
// momentum is the one set (a zero Momentum in Config would mean "the default 0.9").
func TestRecipeLearnRateAndMomentum(t *testing.T) {
	for _, opt := range Optimizers {
		r := DefaultRecipe()
		if err := r.Set("optimizer", opt); err != nil {
			t.Fatal(err)
		}
		_, tc, err := r.Configs(784, 10)
		if err != nil {
			t.Fatalf("optimizer %s: %v", opt, err)
		}
		want := DefaultLearnRate(opt) // another optimizer than the default's takes its own default
		if opt == "adam" {
			want = 0.003
		}
		if tc.Optimizer != opt || tc.LearnRate != want {
			t.Errorf("optimizer %s: config %s lr %g, want lr %g", opt, tc.Optimizer, tc.LearnRate, want)
		}
		// A learning rate given keeps, whichever comes first.
		for _, order := range [][2]string{{"lr", "optimizer"}, {"optimizer", "lr"}} {
			r := DefaultRecipe()
			for _, name := range order {
				_ = r.Set(name, map[string]string{"lr": "0.02", "optimizer": opt}[name])
			}
			if r.LearnRate != 0.02 {
				t.Errorf("--%s then --%s (%s): learning rate %g, want 0.02", order[0], order[1], opt, r.LearnRate)
			}
		}
	}
	r := DefaultRecipe()
	r.Optimizer, r.Momentum, r.LearnRate = "momentum", 0.5, 0.03
	if _, tc, err := r.Configs(784, 10); err != nil || tc.Momentum != 0.5 || tc.LearnRate != 0.03 {
		t.Errorf("momentum 0.5, lr 0.03: config momentum %g lr %g, %v", tc.Momentum, tc.LearnRate, err)
	}
}

// Restore takes the checkpoint's settings where none is given, accepts given ones equal to the
// checkpoint's (also --lr 0.001 where the run used adam's default, 0), and refuses others.
func TestRecipeRestore(t *testing.T) {
	old := DefaultRecipe()
	_ = old.Set("dropout", "0.3")
	_ = old.Set("lr", "0") // the optimizer's default
	meta := old.Meta()
	given := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	r := DefaultRecipe()
	_ = r.Set("lr", "0.001")
	_ = r.Set("epochs", "20")
	if err := r.Restore(meta, given("lr", "epochs"), "epochs"); err != nil || r.Dropout != 0.3 || r.Epochs != 20 {
		t.Errorf("Restore: %v; dropout %g, epochs %d", err, r.Dropout, r.Epochs)
	}
	r = DefaultRecipe()
	_ = r.Set("dropout", "0.5")
	var se *SettingError
	if err := r.Restore(meta, given("dropout")); !errors.As(err, &se) || se.Setting != "dropout" ||
		err.Error() != "--dropout 0.5: the checkpoint's run has 0.3, and a resumed run keeps its settings (drop the flag, or start a new run)" {
		t.Errorf("Restore with another dropout: %v", err)
	}
	// What the checkpoint's run had is said as a flag would say it: an unset setting as absent,
	// the learning rate 0 as the optimizer's default it stands for.
	for _, c := range []struct{ name, value, want string }{
		{"dataset", "fashion-mnist", "--dataset fashion-mnist: the checkpoint's run has no --dataset, and"},
		{"lr", "0.01", "--lr 0.01: the checkpoint's run has 0.001 (adam's default), and"},
	} {
		r = DefaultRecipe()
		_ = r.Set(c.name, c.value)
		if err := r.Restore(meta, given(c.name)); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Restore with another %s: %v, want %q...", c.name, err, c.want)
		}
	}
	if err := r.Restore(map[string]string{"command": "x"}, given()); err == nil {
		t.Error("Restore of metadata without settings: no error")
	}

	// A checkpoint from before --replicas trained on one graph: it resumes on one, and another
	// given value is refused as for any setting.
	before := old.Meta()
	delete(before, MetaPrefix+"replicas")
	r = DefaultRecipe()
	if err := r.Restore(before, given()); err != nil || r.Replicas != 1 {
		t.Errorf("Restore of a checkpoint without replicas: %v, replicas %d, want 1", err, r.Replicas)
	}
	r = DefaultRecipe()
	_ = r.Set("replicas", "2")
	if err := r.Restore(before, given("replicas")); err == nil || !strings.HasPrefix(err.Error(), "--replicas 2: the checkpoint's run has 1, and") {
		t.Errorf("Restore with --replicas 2 of a checkpoint without replicas: %v", err)
	}
}
