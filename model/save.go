package model

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"gorgonia.org/tensor"
)

// Model files
//
// A model file holds everything needed to rebuild a network, in this layout (integers big-endian):
//
//	magic    15 bytes  "gorgonet-model\n"
//	version  uint32    FormatVersion
//	length   uint64    length of the payload in bytes
//	payload  gob       a Saved minus the Network, plus the Config and every Param as TensorData
//	checksum 32 bytes  SHA-256 of the payload
//
// Loading checks, in order: the magic, the version (a newer one is refused), the length against
// MaxFileBytes and what is actually there, the checksum, the gob payload, the config (Validate),
// and that every param's name, shape and dtype match what the config builds.

// FormatVersion is the version of the model file format this package writes and reads.
const FormatVersion = 1

// MaxFileBytes bounds the payload a header may announce (2 GiB).
const MaxFileBytes = 2 << 30

var fileMagic = []byte("gorgonet-model\n")

// Saved is the content of a model file: the network, free-form metadata (the training flags and
// final metrics, shown by 'mnist eval'), and opaque blobs other packages keep with the model (the
// training state of a checkpoint).
type Saved struct {
	Net   *Network
	Meta  map[string]string
	Extra map[string][]byte
}

// TensorData is a tensor in plain form: its shape and its float32 or float64 values.
type TensorData struct {
	Shape []int
	F32   []float32
	F64   []float64
}

// TensorDataOf copies d's shape and values.
func TensorDataOf(d *tensor.Dense) TensorData {
	td := TensorData{Shape: append([]int(nil), d.Shape()...)}
	switch v := d.Data().(type) {
	case []float32:
		td.F32 = append([]float32(nil), v...)
	case []float64:
		td.F64 = append([]float64(nil), v...)
	}
	return td
}

// CopyInto copies the values into d after checking shape and dtype.
func (td TensorData) CopyInto(name string, d *tensor.Dense) error {
	if !tensor.Shape(td.Shape).Eq(d.Shape()) {
		return fmt.Errorf("%s: shape %v, want %v", name, td.Shape, d.Shape())
	}
	switch v := d.Data().(type) {
	case []float32:
		if len(td.F32) != len(v) {
			return fmt.Errorf("%s: %d float32 values, want %d", name, len(td.F32), len(v))
		}
		copy(v, td.F32)
	case []float64:
		if len(td.F64) != len(v) {
			return fmt.Errorf("%s: %d float64 values, want %d", name, len(td.F64), len(v))
		}
		copy(v, td.F64)
	}
	return nil
}

type payload struct {
	Config Config
	Names  []string
	Params []TensorData
	Meta   map[string]string
	Extra  map[string][]byte
}

// Write writes s to w in the model file format.
func Write(w io.Writer, s Saved) error {
	p := payload{Config: s.Net.Config, Meta: s.Meta, Extra: s.Extra}
	for _, prm := range s.Net.Params() {
		p.Names = append(p.Names, prm.Name)
		p.Params = append(p.Params, TensorDataOf(prm.Value))
	}
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(p); err != nil {
		return fmt.Errorf("model file: encode: %w", err)
	}
	sum := sha256.Sum256(body.Bytes())
	var head [4 + 8]byte
	binary.BigEndian.PutUint32(head[:4], FormatVersion)
	binary.BigEndian.PutUint64(head[4:], uint64(body.Len()))
	for _, b := range [][]byte{fileMagic, head[:], body.Bytes(), sum[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// Read reads a model file from r and rebuilds the network it holds.
func Read(r io.Reader) (Saved, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(fileMagic))
	if n, err := io.ReadFull(br, magic); err != nil || !bytes.Equal(magic, fileMagic) {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return Saved{}, fmt.Errorf("model file: %w", err) // a read error (a directory, say)
		}
		if n == 0 {
			return Saved{}, errors.New("not a gorgonet model file: it is empty")
		}
		return Saved{}, errors.New("not a gorgonet model file: wrong magic bytes")
	}
	var head [12]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return Saved{}, errors.New("model file is truncated: incomplete header")
	}
	if v := binary.BigEndian.Uint32(head[:4]); v != FormatVersion {
		if v > FormatVersion {
			return Saved{}, fmt.Errorf("model file format version %d is newer than this program's (%d): update gorgonet", v, FormatVersion)
		}
		return Saved{}, fmt.Errorf("model file format version %d is not supported (this program reads %d)", v, FormatVersion)
	}
	length := binary.BigEndian.Uint64(head[4:])
	if length > MaxFileBytes {
		return Saved{}, fmt.Errorf("model file is corrupt: header announces %d bytes of payload", length)
	}
	var body bytes.Buffer
	n, err := io.Copy(&body, io.LimitReader(br, int64(length)))
	if err != nil {
		return Saved{}, fmt.Errorf("model file: %w", err)
	}
	if uint64(n) < length {
		return Saved{}, fmt.Errorf("model file is truncated: %d of %d payload bytes", n, length)
	}
	var sum [32]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return Saved{}, errors.New("model file is truncated: incomplete checksum")
	}
	if _, err := br.ReadByte(); err == nil {
		return Saved{}, errors.New("model file is corrupt: data after the checksum")
	}
	if sha256.Sum256(body.Bytes()) != sum {
		return Saved{}, errors.New("model file is corrupt: checksum mismatch")
	}
	var p payload
	if err := decodeGob(body.Bytes(), &p); err != nil {
		return Saved{}, fmt.Errorf("model file is corrupt: %w", err)
	}
	if err := p.Config.Validate(); err != nil {
		return Saved{}, fmt.Errorf("model file: %w", err)
	}
	if err := checkShapes(p); err != nil {
		return Saved{}, fmt.Errorf("model file: weights disagree with the config: %w", err)
	}
	// Build the architecture the config describes (weights are then overwritten).
	net, err := New(p.Config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return Saved{}, fmt.Errorf("model file: %w", err)
	}
	params := net.Params()
	if len(p.Params) != len(params) || len(p.Names) != len(params) {
		return Saved{}, fmt.Errorf("model file: %d weight tensors, the config %s needs %d", len(p.Params), p.Config, len(params))
	}
	for i, prm := range params {
		if p.Names[i] != prm.Name {
			return Saved{}, fmt.Errorf("model file: weight %d is %q, want %q", i, p.Names[i], prm.Name)
		}
		if err := p.Params[i].CopyInto(prm.Name, prm.Value); err != nil {
			return Saved{}, fmt.Errorf("model file: weights disagree with the config: %w", err)
		}
	}
	return Saved{Net: net, Meta: p.Meta, Extra: p.Extra}, nil
}

// checkShapes compares the stored tensors with the dense layers the config describes before any
// of them is allocated, so that a crafted config cannot ask for more memory than the file holds.
func checkShapes(p payload) error {
	sizes := p.Config.Sizes()
	want := 2 * (len(sizes) - 1)
	if len(p.Params) != want || len(p.Names) != want {
		return fmt.Errorf("%d weight tensors, the config %s needs %d", len(p.Params), p.Config, want)
	}
	for i := 0; i+1 < len(sizes); i++ {
		w, b := p.Params[2*i], p.Params[2*i+1]
		if !slices.Equal(w.Shape, []int{sizes[i], sizes[i+1]}) || !slices.Equal(b.Shape, []int{1, sizes[i+1]}) {
			return fmt.Errorf("layer %d: shapes %v and %v, want [%d %d] and [1 %d]", i+1, w.Shape, b.Shape, sizes[i], sizes[i+1], sizes[i+1])
		}
		for _, t := range []TensorData{w, b} {
			n := t.Shape[0] * t.Shape[1]
			if len(t.F32) != n && len(t.F64) != n {
				return fmt.Errorf("layer %d: %d+%d values for shape %v", i+1, len(t.F32), len(t.F64), t.Shape)
			}
		}
	}
	return nil
}

// decodeGob decodes b into v. encoding/gob is documented as safe against corrupt input, but a
// model file is outside input, so a panic is turned into an error as a second line of defence.
func decodeGob(b []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decode: %v", r)
		}
	}()
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// Save writes s to path atomically: it writes a temporary file in the same directory, syncs it
// and renames it over path, so an interrupted or failed save never leaves a half-written file at
// path, and an existing file there survives until the new one is complete.
func Save(path string, s Saved) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return Write(w, s) })
}

// Load reads the model file at path. Errors name the file.
func Load(path string) (Saved, error) {
	f, err := os.Open(path)
	if err != nil {
		return Saved{}, err
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return Saved{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// WriteFileAtomic calls write with a temporary file in path's directory and, when it succeeds,
// syncs the file and renames it to path. On any error the temporary file is removed and path is
// left as it was.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = write(bw); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename itself durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}
