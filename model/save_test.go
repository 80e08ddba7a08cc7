package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// Every malformed model file is refused with an error of the right kind that says what is wrong.
func TestReadRejects(t *testing.T) {
	net := mustNew(t, MLP(3, []int{2}, 2), 1)
	valid := fileOf(t, Saved{Net: net})
	at := func(b []byte, off int, v byte) []byte { b = bytes.Clone(b); b[off] ^= v; return b }
	version := func(v uint32) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint32(b[len(fileMagic):], v)
		return b
	}
	length := func(n uint64) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint64(b[len(fileMagic)+4:], n)
		return b
	}
	for _, c := range []struct {
		name string
		in   []byte
		kind error // the FormatError kind, or nil for a *VersionError
		want string
	}{
		{"empty", nil, ErrNotModelFile, "it is empty"},
		{"a PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ErrNotModelFile, "wrong magic"},
		{"text", []byte("hello, world, this is not a model"), ErrNotModelFile, "wrong magic"},
		{"magic cut", valid[:5], ErrTruncated, "5 bytes, an incomplete header"},
		{"magic cut and changed", append([]byte("gorg"), 'X'), ErrNotModelFile, "wrong magic"},
		{"flipped magic byte", at(valid, 3, 0x20), ErrNotModelFile, "wrong magic"},
		{"header cut", valid[:len(fileMagic)+7], ErrTruncated, "incomplete header"},
		{"newer version", version(FormatVersion + 1), nil, "newer than this program's"},
		{"version 1", version(1), nil, "older gorgonet"},
		{"version 0", version(0), nil, "older gorgonet"},
		{"huge length", length(1 << 62), ErrCorrupt, "announces"},
		{"length beyond the file", length(uint64(len(valid))), ErrTruncated, "truncated"},
		{"payload cut", valid[:len(valid)/2], ErrTruncated, "truncated"},
		{"checksum cut", valid[:len(valid)-1], ErrTruncated, "incomplete checksum"},
		{"trailing byte", append(bytes.Clone(valid), '\n'), ErrCorrupt, "data after the checksum"},
		{"flipped payload byte", at(valid, len(valid)/2, 0x01), ErrCorrupt, "checksum mismatch"},
		{"flipped checksum byte", at(valid, len(valid)-1, 0x80), ErrCorrupt, "checksum mismatch"},
		{"gob behind a valid checksum", wrapPayload(gobOf(t, []int{1, 2, 3}), FormatVersion), ErrCorrupt, "corrupt"},
	} {
		s, err := Read(bytes.NewReader(c.in))
		if err == nil || s.Net != nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.name, err, c.want)
		}
		var fe *FormatError
		var ve *VersionError
		switch {
		case c.kind == nil && !errors.As(err, &ve):
			t.Errorf("%s: error %q is not a *VersionError", c.name, err)
		case c.kind != nil && (!errors.Is(err, c.kind) || !errors.As(err, &fe)):
			t.Errorf("%s: error %q is not a *FormatError of kind %v", c.name, err, c.kind)
		}
	}
}

// Payloads behind a valid checksum that decode but describe no valid network, or weights that do
// not fit it, are refused before any layer is allocated beyond what the file holds.
func TestReadCraftedPayloads(t *testing.T) {
	want := map[string]string{
		"unknown loss":               "Loss",
		"wrong shape":                "mismatched hidden1.W",
		"too few values":             "holds 1 values",
		"wrong name":                 "missing hidden1.b; unexpected evil",
		"duplicate name":             "stored twice",
		"missing tensors":            "more than the 12 values the file holds",
		"extra tensor":               "unexpected extra.W",
		"wrapping count":             "has shape",
		"huge layer":                 "more than the 14 values the file holds",
		"layer larger than the file": "more than the 14 values the file holds",
		"negative inputs":            "Inputs",
		"unknown layer kind":         `unknown layer kind "gelu-layer"`,
		"unknown activation":         `unknown activation "gelu-not-registered"`,
		"unknown attribute":          `unknown field "bias"`,
		"attribute not json":         "attributes",
		"bad dtype":                  "Dtype",
		"NaN weight":                 "output.W holds NaN",
		"infinite weight":            "output.b holds -Inf",
		"duplicate layer":            `layer name "hidden1"`,
		"float64 in float32":         "stored (3, 2) float64",
		"gob of a string":            "corrupt",
		"gob of a map":               "corrupt",
		"empty":                      "corrupt",
	}
	seeds := payloadSeeds(t)
	for name, body := range seeds {
		s, err := Read(bytes.NewReader(wrapPayload(body, FormatVersion)))
		if strings.HasPrefix(name, "valid") {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || s.Net != nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if w, ok := want[name]; !ok || !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q, want it to contain %q", name, err, w)
		}
	}
	for name := range want {
		if _, ok := seeds[name]; !ok {
			t.Errorf("no seed %q", name)
		}
	}
	// The kinds a caller tests for.
	kinds := map[string]any{
		"unknown layer kind": new(*UnregisteredError), "unknown activation": new(*UnregisteredError),
		"wrong name": new(*WeightsError), "NaN weight": new(*NonFiniteError), "duplicate layer": new(*DuplicateNameError),
	}
	for name, target := range kinds {
		_, err := Read(bytes.NewReader(wrapPayload(seeds[name], FormatVersion)))
		if !errors.As(err, target) {
			t.Errorf("%s: error %v is not a %T", name, err, target)
		}
	}
	var we *WeightsError
	_, err := Read(bytes.NewReader(wrapPayload(seeds["wrong name"], FormatVersion)))
	if errors.As(err, &we) && (!slices.Equal(we.Missing, []string{"hidden1.b"}) || !slices.Equal(we.Unexpected, []string{"evil"})) {
		t.Errorf("wrong name: missing %v, unexpected %v", we.Missing, we.Unexpected)
	}
}

// Save then Load gives back the network (the same spec, bit-identical weights), metadata and
// extras, in both dtypes.
func TestSaveLoadRoundTrip(t *testing.T) {
	for _, dt := range dtypeNames {
		net := mustNew(t, withDType(withDropout(MLP(5, []int{4, 3}, 2), 0.25), dt), 7)
		path := filepath.Join(t.TempDir(), "m.model")
		meta, extra := map[string]string{"command": "mnist train"}, map[string][]byte{"state": {9, 8, 7}}
		if err := Save(path, Saved{Net: net, Meta: meta, Extra: extra}); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := got.Net.Spec()
		b, _ := net.Spec()
		if !a.Equal(b) || got.Net.String() != net.String() || got.Meta["command"] != "mnist train" || !bytes.Equal(got.Extra["state"], extra["state"]) {
			t.Fatalf("read back %v %v %v", got.Net, got.Meta, got.Extra)
		}
		for i, p := range net.Params() {
			if a, b := f64s(t, p.Value), f64s(t, got.Net.Params()[i].Value); !equalFloats(a, b) {
				t.Fatalf("param %s differs after the round trip", p.Name)
			}
		}
		// Load names the file in its errors.
		if err := os.WriteFile(path, []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Load of junk: error %v does not name %s", err, path)
		}
		if _, err := Load(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load of a missing file: %v", err)
		}
	}
}

// A diverged network is not saved.
func TestWriteRefusesNonFiniteWeights(t *testing.T) {
	net := mustNew(t, MLP(3, []int{2}, 2), 1)
	net.Params()[2].Value.Data().([]float32)[3] = float32(math.Inf(1))
	var b bytes.Buffer
	err := Write(&b, Saved{Net: net})
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Param != "output.W" || nf.Index != 3 {
		t.Errorf("Write of a network with +Inf in output.W[3]: %v", err)
	}
	if b.Len() != 0 {
		t.Errorf("Write wrote %d bytes before refusing", b.Len())
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// A failed write leaves the file that was there byte for byte, and no temporary file behind;
// a write into a missing directory fails without creating anything.
func TestWriteFileAtomicKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.model")
	if err := os.WriteFile(path, []byte("the old model"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 100000)) // more than the buffer: reaches the temp file
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v: want the cause, naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "the old model" {
		t.Errorf("the old file now holds %d bytes", len(b))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the old file", len(entries))
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "m.model"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory: no error")
	}
	// Renaming over a directory fails; the directory stays.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(sub, func(io.Writer) error { return nil }); err == nil {
		t.Error("writing over a directory: no error")
	}
	if st, err := os.Stat(sub); err != nil || !st.IsDir() {
		t.Error("the directory was replaced")
	}
}

// Validate bounds the number of parameters without overflowing on absurd sizes.
func TestValidateMaxParams(t *testing.T) {
	for _, c := range []Config{
		MLP(784, []int{65536, 65536}, 10),
		Perceptron(MaxParams, 2),
		Perceptron(1<<62, 4), // 2^64 weights: 0 in wrapping int arithmetic
		MLP(math.MaxInt, []int{math.MaxInt}, math.MaxInt),
		MLP(2, []int{1 << 40, 1}, 2),
	} {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "MaxParams") {
			t.Errorf("%v: Validate gives %v, want the MaxParams limit", FormatSizes(c.Sizes(), "-"), err)
		}
	}
	for _, c := range []Config{
		MLP(784, []int{65536}, 10),                  // 51 million: allowed
		Perceptron(MaxParams/3-1, 2),                // just under
		MLP(1, make1s(1000), 1),                     // many small layers
		MLP(784, []int{4096, 4096, 4096, 4096}, 10), // 53 million
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%d layers: %v", len(c.Sizes()), err)
		}
	}
}

func make1s(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// A save never replaces what is not a regular file: a device, a named pipe or a directory are
// refused, by CheckSavePath before any work and by WriteFileAtomic, and left as they were; a
// symbolic link is followed, so the file it names gets the content and the link stays a link,
// also when that file does not exist yet.
func TestWriteFileAtomicSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	linkToFifo := filepath.Join(dir, "link-to-pipe")
	if err := os.Symlink("pipe", linkToFifo); err != nil {
		t.Fatal(err)
	}
	write := func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }
	for path, want := range map[string]string{
		"/dev/null": "is a device, not a regular file: saving would replace it",
		fifo:        "is a named pipe, not a regular file: saving would replace it",
		linkToFifo:  "is a link to " + fifo + ", a named pipe, not a regular file",
		dir:         "is a directory, not a file",
	} {
		if err := CheckSavePath(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckSavePath(%s) = %v, want %q", path, err, want)
		}
		if err := WriteFileAtomic(path, write); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("WriteFileAtomic(%s) = %v, want %q naming the path", path, err, want)
		}
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: %v", err)
	}

	for _, exists := range []bool{true, false} {
		target := filepath.Join(dir, fmt.Sprintf("target-%v", exists))
		if exists {
			if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		link := filepath.Join(dir, fmt.Sprintf("link-%v", exists))
		if err := os.Symlink(filepath.Base(target), link); err != nil {
			t.Fatal(err)
		}
		if err := CheckSavePath(link); err != nil {
			t.Errorf("CheckSavePath(a link to a file, existing %v): %v", exists, err)
		}
		if err := WriteFileAtomic(link, write); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(target); err != nil || string(b) != "new" {
			t.Errorf("the link's file (existing %v) holds %q, %v; want the new content", exists, b, err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link (to an existing file: %v) was replaced by a file", exists)
		}
	}
}

func TestSameFile(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(a, filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x, y string
		want bool
	}{
		{a, a, true},
		{a, dir + "/./a", true},
		{a, filepath.Join(dir, "link"), true},
		{a, filepath.Join(dir, "hard"), true},
		{filepath.Join(dir, "new"), dir + "/sub/../new", true}, // neither exists
		{a, filepath.Join(dir, "new"), false},
		{a, "", false},
		{"", "", false},
	} {
		if got := SameFile(c.x, c.y); got != c.want {
			t.Errorf("SameFile(%q, %q) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}
