package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every malformed model file is refused with an error that says what is wrong.
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
		want string
	}{
		{"empty", nil, "it is empty"},
		{"a PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "wrong magic"},
		{"text", []byte("hello, world, this is not a model"), "wrong magic"},
		{"magic cut", valid[:5], "wrong magic"},
		{"flipped magic byte", at(valid, 3, 0x20), "wrong magic"},
		{"header cut", valid[:len(fileMagic)+7], "incomplete header"},
		{"newer version", version(FormatVersion + 1), "newer than this program's"},
		{"version 0", version(0), "not supported"},
		{"huge length", length(1 << 62), "announces"},
		{"length beyond the file", length(uint64(len(valid))), "truncated"},
		{"payload cut", valid[:len(valid)/2], "truncated"},
		{"checksum cut", valid[:len(valid)-1], "incomplete checksum"},
		{"trailing byte", append(bytes.Clone(valid), '\n'), "data after the checksum"},
		{"flipped payload byte", at(valid, len(valid)/2, 0x01), "checksum mismatch"},
		{"flipped checksum byte", at(valid, len(valid)-1, 0x80), "checksum mismatch"},
		{"gob behind a valid checksum", wrapPayload(encodePayload(t, []int{1, 2, 3}), FormatVersion), "corrupt"},
	} {
		s, err := Read(bytes.NewReader(c.in))
		if err == nil || s.Net != nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.name, err, c.want)
		}
	}
}

// Payloads behind a valid checksum that decode but describe no valid network are refused before
// any layer is allocated: these would otherwise index out of range or allocate without bound.
func TestReadCraftedPayloads(t *testing.T) {
	want := map[string]string{
		"unknown loss":    "Loss",
		"wrong shape":     "shapes",
		"too few values":  "values",
		"wrong name":      `"evil"`,
		"missing tensors": "weight tensors",
		"wrapping count":  "MaxParams",
		"huge layers":     "MaxParams",
		"negative inputs": "Inputs",
		"gob of a string": "corrupt",
		"gob of a map":    "corrupt",
		"empty":           "corrupt",
	}
	for name, body := range payloadSeeds(t) {
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
}

// Save then Load gives back the network, metadata and extras.
func TestSaveLoadRoundTrip(t *testing.T) {
	net := mustNew(t, withDropout(MLP(5, []int{4, 3}, 2), 0.25), 7)
	path := filepath.Join(t.TempDir(), "m.model")
	meta, extra := map[string]string{"command": "mnist train"}, map[string][]byte{"state": {9, 8, 7}}
	if err := Save(path, Saved{Net: net, Meta: meta, Extra: extra}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Net.Config.Equal(net.Config) || got.Meta["command"] != "mnist train" || !bytes.Equal(got.Extra["state"], extra["state"]) {
		t.Fatalf("read back %v %v %v", got.Net.Config, got.Meta, got.Extra)
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
