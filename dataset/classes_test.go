package dataset

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseClassNames(t *testing.T) {
	for in, want := range map[string][]string{
		"cat,dog,horse":              {"cat", "dog", "horse"},
		" T-shirt/top , Ankle boot ": {"T-shirt/top", "Ankle boot"},
		"Ärmel,袖":                    {"Ärmel", "袖"},
	} {
		got, err := ParseClassNames(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseClassNames(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	long := strings.Repeat("x", MaxClassNameLen+1)
	many := strings.Repeat("c,", MaxClasses) + "c"
	for in, want := range map[string]string{
		"":            "class names: none given",
		"  ":          "class names: none given",
		"cat":         "class names: 1 given, a classifier needs at least 2",
		"cat,,dog":    "class names: name 2 is empty",
		"cat,dog,":    "class names: name 3 is empty",
		"cat,dog,cat": `class names: "cat" is given twice (names 1 and 3)`,
		"a,b\tc":      `class names: name 2 ("b\tc") holds a control or unprintable character`,
		"a," + long:   fmt.Sprintf("class names: name 2 is longer than %d characters", MaxClassNameLen),
		many:          "class names: 257 given, at most 256 are possible (labels are bytes)",
		"a,\xff":      "class names: name 2 is not UTF-8 text",
	} {
		_, err := ParseClassNames(in)
		if !errors.Is(err, ErrClassNames) || err.Error() != want {
			t.Errorf("ParseClassNames(%.20q): error %v\nwant %q", in, err, want)
		}
	}
}

func TestReadClassNames(t *testing.T) {
	for in, want := range map[string][]string{
		"cat\ndog\n":                {"cat", "dog"},
		"cat\ndog":                  {"cat", "dog"},
		"\uFEFFcat\r\ndog\r\n\r\n":  {"cat", "dog"},
		"  cat  \n\tdog\t\n\n\n":    {"cat", "dog"},
		"T-shirt/top\nAnkle boot\n": {"T-shirt/top", "Ankle boot"},
		"a,b\nc\n":                  {"a,b", "c"}, // a comma is part of a name in a file
	} {
		got, err := ReadClassNames(strings.NewReader(in))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ReadClassNames(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":                        "class names: the file names no class",
		"\n\n":                    "class names: the file names no class",
		"cat\n":                   "class names: 1 given, a classifier needs at least 2",
		"cat\n\ndog\n":            "class names: line 2 is empty",
		"cat\ndog\ncat\n":         `class names: "cat" is given twice (lines 1 and 3)`,
		strings.Repeat("x", 5000): "class names: line 1 is longer than 4096 bytes",
	} {
		_, err := ReadClassNames(strings.NewReader(in))
		if !errors.Is(err, ErrClassNames) || err.Error() != want {
			t.Errorf("ReadClassNames(%.20q): error %v\nwant %q", in, err, want)
		}
	}
	// A read error is passed on as it is.
	if _, err := ReadClassNames(iotest.ErrReader(errors.New("disk on fire"))); err == nil || errors.Is(err, ErrClassNames) || err.Error() != "disk on fire" {
		t.Errorf("ReadClassNames(failing reader): error %v", err)
	}
}

func ExampleParseClassNames() {
	names, err := ParseClassNames("cat, dog, horse")
	fmt.Printf("%q %v\n", names, err)

	_, err = ParseClassNames("cat,dog,cat")
	fmt.Println(err)
	fmt.Println(errors.Is(err, ErrClassNames))
	// Output:
	// ["cat" "dog" "horse"] <nil>
	// class names: "cat" is given twice (names 1 and 3)
	// true
}

func ExampleReadClassNames() {
	// The content of a classes.txt file beside the IDX files of a data set.
	names, err := ReadClassNames(strings.NewReader("cat\ndog\nhorse\n"))
	fmt.Printf("%q %v\n", names, err)
	// Output:
	// ["cat" "dog" "horse"] <nil>
}
