package ipynb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Canonical re-encodes the JSON data in the layout nbformat writes notebooks in: keys sorted, an
// indent of one space, no escaping of non-ASCII or HTML characters, a final newline. Numbers are
// kept as written. Going through plain values also undoes escapes such as \u0026.
func Canonical(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return Encode(v)
}

// Encode encodes v in nbformat's layout (see Canonical). Maps are written with sorted keys, so a
// value decoded into maps and encoded again comes out canonical.
func Encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Multiline decodes an nbformat multi-line string, stored either as a list of lines or as one
// string. Anything else is an error.
func Multiline(raw json.RawMessage) (string, error) {
	var lines []string
	if err := json.Unmarshal(raw, &lines); err == nil {
		return strings.Join(lines, ""), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("want a string or a list of strings")
	}
	return s, nil
}

// SplitLines splits s the way nbformat stores multi-line strings: every line keeps its "\n", the
// last one may lack it. The empty string gives an empty (not nil) list.
func SplitLines(s string) []string {
	lines := []string{}
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// GoWorkFixAdded is the line GoNB (v0.10.6, internal/goexec/tracking.go) prints to stdout for
// each module of go.work that %goworkfix adds as a replace rule to the kernel's go.mod: module is
// the module path, dir the directory go.work names for it (absolute, as `go work use` writes a
// path given as absolute, cleaned).
func GoWorkFixAdded(module, dir string) string {
	return fmt.Sprintf("\t- Added replace rule for module %q to local directory %q.\n", module, dir)
}

// GoWorkFixExists is the line a later %goworkfix of the same kernel prints instead of
// GoWorkFixAdded, the replace rule being there already.
func GoWorkFixExists(module, dir string) string {
	return fmt.Sprintf("\t- Replace rule for module %q to local directory %q already exists.\n", module, dir)
}

var (
	// goWorkFixDir matches the directory of the lines above.
	goWorkFixDir = regexp.MustCompile(`(?m)^(\t- (?:Added replace rule|Replace rule) for module "(?:[^"\\\n]|\\.)*" to local directory )"(?:[^"\\\n]|\\.)*"`)
	// durations matches printed durations: Go's time.Duration format and plain "1.5s".
	durations = regexp.MustCompile(`\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?(?:ns|µs|us|ms|s)\b`)
)

// Mask returns s with what legitimately varies between runs replaced by a placeholder: the
// directory of GoNB's %goworkfix lines by "<dir>" and printed durations by "<duration>".
func Mask(s string) string {
	s = goWorkFixDir.ReplaceAllString(s, `$1"<dir>"`)
	return durations.ReplaceAllString(s, "<duration>")
}
