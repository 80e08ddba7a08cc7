package ipynb

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

func TestCanonical(t *testing.T) {
	in := `{"b": [1, 2.50, "x < y & z"], "a": {"é": "\u00e9"}, "c": []}`
	want := "{\n \"a\": {\n  \"é\": \"é\"\n },\n \"b\": [\n  1,\n  2.50,\n  \"x < y & z\"\n ],\n \"c\": []\n}\n"
	got, err := Canonical([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := Canonical([]byte(`{"a": `)); err == nil {
		t.Error("truncated JSON: no error")
	}
}

func TestMultiline(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`["a\n", "b"]`, "a\nb"},
		{`"a\nb"`, "a\nb"},
		{`[]`, ""},
	} {
		got, err := Multiline(json.RawMessage(tc.raw))
		if err != nil || got != tc.want {
			t.Errorf("Multiline(%s) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
	if _, err := Multiline(json.RawMessage(`3`)); err == nil {
		t.Error("a number: no error")
	}
}

func TestSplitLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"a", []string{"a"}},
		{"a\n", []string{"a\n"}},
		{"a\n\nb", []string{"a\n", "\n", "b"}},
	} {
		if got := SplitLines(tc.in); !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("SplitLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMask(t *testing.T) {
	got := Mask("epoch 3 in 1.25s (12ms per batch, 1m3.5s total), 784-128-10, 5 epochs")
	want := "epoch 3 in <duration> (<duration> per batch, <duration> total), 784-128-10, 5 epochs"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// The directory of %goworkfix's lines is masked, and only there.
	a := GoWorkFixAdded("gorgonet", "/home/a/src/gorgonet") + "saved to \"/home/a\"\n"
	b := GoWorkFixAdded("gorgonet", `/tmp/x "y"/2s`) + "saved to \"/home/a\"\n"
	if Mask(a) != Mask(b) {
		t.Errorf("the directories are not masked:\n%q\n%q", Mask(a), Mask(b))
	}
	if want := "\t- Added replace rule for module \"gorgonet\" to local directory \"<dir>\".\nsaved to \"/home/a\"\n"; Mask(a) != want {
		t.Errorf("Mask = %q, want %q", Mask(a), want)
	}
	if Mask(GoWorkFixExists("m", "/a")) != Mask(GoWorkFixExists("m", "/b")) {
		t.Errorf("already-exists line not masked: %q", Mask(GoWorkFixExists("m", "/a")))
	}
	// The module is not masked: another module is another output.
	if Mask(GoWorkFixAdded("a", "/x")) == Mask(GoWorkFixAdded("b", "/x")) {
		t.Error("the module name is masked")
	}
}

func ExampleGoWorkFixAdded() {
	fmt.Print(GoWorkFixAdded("gorgonet", "/home/you/gorgonet"))
	fmt.Print(Mask(GoWorkFixAdded("gorgonet", "/home/you/gorgonet")))
	// Output:
	// 	- Added replace rule for module "gorgonet" to local directory "/home/you/gorgonet".
	// 	- Added replace rule for module "gorgonet" to local directory "<dir>".
}
