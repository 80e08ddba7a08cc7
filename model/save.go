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
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"

	"gorgonia.org/tensor"
)

// Model files
//
// A model file holds everything needed to rebuild a network, in this layout (integers big-endian):
//
//	magic    15 bytes  "gorgonet-model\n"
//	version  uint32    FormatVersion
//	length   uint64    length of the payload in bytes
//	payload  gob       the NetworkSpec, every parameter by name (TensorData), Meta and Extra
//	checksum 32 bytes  SHA-256 of the payload
//
// Loading checks, in order: the magic, the version, the length against MaxFileBytes and what is
// actually there, the checksum, the gob payload, every stored tensor's shape against its values,
// then it rebuilds the network from its spec with the registered layer builders (never allocating
// more parameters than the file holds values) and assigns every tensor by name, refusing missing,
// unexpected and mismatched names together (*WeightsError) and NaN or infinite values
// (*NonFiniteError). Saving checks the other way round: every layer describes itself, the spec
// rebuilds a network with the same parameters and the same spec, and no value is NaN or infinite;
// so a file loads as exactly the network that was saved, or not at all.

// FormatVersion is the version of the model file format this package writes and reads. Version 1
// (gorgonet before layer specs) stored a Config and could silently drop layers; it is refused with
// a *VersionError that says so.
const FormatVersion = 2

// MaxFileBytes bounds the payload a header may announce (2 GiB).
const MaxFileBytes = 2 << 30

var fileMagic = []byte("gorgonet-model\n")

// Saved is the content of a model file: the network, free-form metadata (the training command and
// final metrics, shown by 'mnist eval'), and opaque blobs other packages keep with the model (the
// training state of a checkpoint).
type Saved struct {
	Net   *Network
	Meta  map[string]string
	Extra map[string][]byte
}

// Summary describes a saved model in one or two lines: the network and its size, then, when the
// file says how it was made, the command, the epochs and the test accuracy measured then.
func (s Saved) Summary() string {
	out := fmt.Sprintf("%s, %d parameters", s.Net, s.Net.NumParams())
	if cmd := s.Meta["command"]; cmd != "" {
		out += fmt.Sprintf("\nTrained with: %s (%s epochs", cmd, s.Meta["epochs"])
		if acc := s.Meta["test_accuracy"]; acc != "" {
			out += "; test accuracy then: " + acc
		}
		out += ")"
	}
	return out
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

// Dtype returns the element type of the values held: Float32 or Float64.
func (td TensorData) Dtype() tensor.Dtype {
	if td.F64 != nil {
		return tensor.Float64
	}
	return tensor.Float32
}

// String returns "(784, 128) float32".
func (td TensorData) String() string {
	return fmt.Sprintf("%v %v", tensor.Shape(td.Shape), td.Dtype())
}

// len returns the number of values held.
func (td TensorData) len() int { return len(td.F32) + len(td.F64) }

// CopyInto copies the values into d after checking shape and dtype.
func (td TensorData) CopyInto(name string, d *tensor.Dense) error {
	if !tensor.Shape(td.Shape).Eq(d.Shape()) {
		return fmt.Errorf("%s: shape %v, want %v", name, td.Shape, d.Shape())
	}
	switch v := d.Data().(type) {
	case []float32:
		if len(td.F32) != len(v) || td.F64 != nil {
			return fmt.Errorf("%s: %d float32 values, want %d", name, len(td.F32), len(v))
		}
		copy(v, td.F32)
	case []float64:
		if len(td.F64) != len(v) || td.F32 != nil {
			return fmt.Errorf("%s: %d float64 values, want %d", name, len(td.F64), len(v))
		}
		copy(v, td.F64)
	}
	return nil
}

type storedTensor struct {
	Name   string
	Tensor TensorData
}

type payload struct {
	Network NetworkSpec
	Weights []storedTensor // in Network.Params order
	Meta    map[string]string
	Extra   map[string][]byte
}

// Write writes s to w in the model file format. It refuses a network that could not be loaded back
// as the same network: a layer that cannot describe itself (*NotDescribableError), a kind or an
// activation that is not registered (*UnregisteredError), a spec that rebuilds other parameters,
// and weights that are NaN or infinite (*NonFiniteError).
func Write(w io.Writer, s Saved) error {
	body, err := encodePayload(s)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	var head [4 + 8]byte
	binary.BigEndian.PutUint32(head[:4], FormatVersion)
	binary.BigEndian.PutUint64(head[4:], uint64(len(body)))
	for _, b := range [][]byte{fileMagic, head[:], body, sum[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func encodePayload(s Saved) ([]byte, error) {
	net := s.Net
	if net == nil {
		return nil, errors.New("model file: no network to save")
	}
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	spec, err := net.Spec()
	if err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	if err := checkRebuilds(net, spec); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	p := payload{Network: spec, Meta: s.Meta, Extra: s.Extra}
	for _, prm := range net.Params() {
		if err := checkFinite(prm.Name, prm.Value); err != nil {
			return nil, fmt.Errorf("model file: %w", err)
		}
		p.Weights = append(p.Weights, storedTensor{Name: prm.Name, Tensor: TensorDataOf(prm.Value)})
	}
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(p); err != nil {
		return nil, fmt.Errorf("model file: encode: %w", err)
	}
	return body.Bytes(), nil
}

// checkRebuilds builds a network from spec, as loading will, and checks that it has the same
// parameters (names, shapes, dtypes, order) and describes itself with the same spec.
func checkRebuilds(net *Network, spec NetworkSpec) error {
	again, err := Build(spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return err
	}
	have, got := net.Params(), again.Params()
	for i := range max(len(have), len(got)) {
		if i >= len(have) || i >= len(got) || have[i].Name != got[i].Name ||
			!have[i].Value.Shape().Eq(got[i].Value.Shape()) || have[i].Value.Dtype() != got[i].Value.Dtype() {
			return fmt.Errorf("the layers' specs rebuild other parameters than the network has (parameter %d): a layer's Describe or its registered builder loses something", i+1)
		}
	}
	respec, err := again.Spec()
	if err != nil {
		return err
	}
	if !respec.Equal(spec) {
		return fmt.Errorf("the layers' specs do not survive a rebuild: a layer's Describe or its registered builder loses something")
	}
	return nil
}

// Read reads a model file from r and rebuilds the network it holds.
func Read(r io.Reader) (Saved, error) {
	p, err := readPayload(r)
	if err != nil {
		return Saved{}, err
	}
	weights, total, err := p.weights()
	if err != nil {
		return Saved{}, err
	}
	net, err := build(p.Network, rand.New(rand.NewPCG(0, 0)), total)
	if err != nil {
		return Saved{}, fmt.Errorf("model file: %w", err)
	}
	if err := net.SetWeights(weights); err != nil {
		return Saved{}, fmt.Errorf("model file: %w", err)
	}
	return Saved{Net: net, Meta: p.Meta, Extra: p.Extra}, nil
}

// ReadWeights reads only the weights of a model file, by name, without rebuilding its network (so
// its layer kinds need not be registered): for Network.SetWeights on a network the caller built.
func ReadWeights(r io.Reader) (Weights, error) {
	p, err := readPayload(r)
	if err != nil {
		return nil, err
	}
	w, _, err := p.weights()
	return w, err
}

// weights checks every stored tensor (a name, values that match the shape, no name twice) and
// returns them by name with the number of values they hold in all.
func (p payload) weights() (Weights, int64, error) {
	w := Weights{}
	var total int64
	for i, st := range p.Weights {
		n := int64(1)
		for _, d := range st.Tensor.Shape {
			if d <= 0 || n > MaxParams/int64(d) {
				return nil, 0, formatErr(ErrCorrupt, "tensor %d (%q) has shape %v", i+1, st.Name, st.Tensor.Shape)
			}
			n *= int64(d)
		}
		if len(st.Tensor.Shape) == 0 || int64(st.Tensor.len()) != n || (st.Tensor.F32 != nil && st.Tensor.F64 != nil) {
			return nil, 0, formatErr(ErrCorrupt, "tensor %d (%q) holds %d values for shape %v", i+1, st.Name, st.Tensor.len(), st.Tensor.Shape)
		}
		if _, dup := w[st.Name]; dup || st.Name == "" {
			return nil, 0, formatErr(ErrCorrupt, "tensor name %q is empty or stored twice", st.Name)
		}
		w[st.Name] = st.Tensor
		total += n
	}
	if total > MaxParams {
		return nil, 0, formatErr(ErrCorrupt, "the tensors hold %d values, more than MaxParams (%d)", total, MaxParams)
	}
	return w, total, nil
}

// readPayload checks the envelope (magic, version, length, checksum) and decodes the payload.
func readPayload(r io.Reader) (payload, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(fileMagic))
	if n, err := io.ReadFull(br, magic); err != nil || !bytes.Equal(magic, fileMagic) {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return payload{}, fmt.Errorf("model file: %w", err) // a read error (a directory, say)
		}
		if n == 0 {
			return payload{}, formatErr(ErrNotModelFile, "it is empty")
		}
		if n < len(fileMagic) && bytes.Equal(magic[:n], fileMagic[:n]) {
			return payload{}, formatErr(ErrTruncated, "%d bytes, an incomplete header", n)
		}
		return payload{}, formatErr(ErrNotModelFile, "wrong magic bytes")
	}
	var head [12]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return payload{}, formatErr(ErrTruncated, "incomplete header")
	}
	if v := binary.BigEndian.Uint32(head[:4]); v != FormatVersion {
		return payload{}, &VersionError{Version: int(v), Want: FormatVersion}
	}
	length := binary.BigEndian.Uint64(head[4:])
	if length > MaxFileBytes {
		return payload{}, formatErr(ErrCorrupt, "header announces %d bytes of payload", length)
	}
	var body bytes.Buffer
	n, err := io.Copy(&body, io.LimitReader(br, int64(length)))
	if err != nil {
		return payload{}, fmt.Errorf("model file: %w", err)
	}
	if uint64(n) < length {
		return payload{}, formatErr(ErrTruncated, "%d of %d payload bytes", n, length)
	}
	var sum [32]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return payload{}, formatErr(ErrTruncated, "incomplete checksum")
	}
	if _, err := br.ReadByte(); err == nil {
		return payload{}, formatErr(ErrCorrupt, "data after the checksum")
	}
	if sha256.Sum256(body.Bytes()) != sum {
		return payload{}, formatErr(ErrCorrupt, "checksum mismatch")
	}
	var p payload
	if err := decodeGob(body.Bytes(), &p); err != nil {
		return payload{}, formatErr(ErrCorrupt, "%v", err)
	}
	return p, nil
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

// LoadWeights reads the model file at path and assigns its weights, by name, to net, a network the
// caller built: strictly, as Network.SetWeights does. The file's layer kinds need not be registered.
func LoadWeights(path string, net *Network) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := ReadWeights(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := net.SetWeights(w); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// PrepareDir makes dir when it is missing, with its parents (as mkdir -p), and checks that a file
// can be created in it, so that a program can refuse an output path before any work rather than
// lose its result at the end. A path through a regular file is an error naming that file.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			for p := dir; p != filepath.Dir(p); p = filepath.Dir(p) { // name the file in the way
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					return fmt.Errorf("%s is not a directory", p)
				}
			}
		}
		return fmt.Errorf("cannot create directory %s: %w", dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".gorgonet-write-test-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s", dir)
	}
	f.Close()
	return os.Remove(f.Name())
}

// CheckSavePath checks that a file can be saved at path with WriteFileAtomic: path is a new file
// or a regular one (not a directory, device, named pipe or socket, which the save would replace),
// a symbolic link being followed to the file it names, and the file's directory exists (PrepareDir
// makes it) and can be written in.
func CheckSavePath(path string) error {
	target, err := saveTarget(path)
	if err != nil {
		return err
	}
	return PrepareDir(filepath.Dir(target))
}

// saveTarget returns the file that saving at path writes: path itself, or the file a symbolic link
// at path names, which need not exist yet. It is an error for that file to exist as anything but
// a regular file.
func saveTarget(path string) (string, error) {
	target := path
	for range 40 { // as Linux's limit on a path's symbolic links
		st, err := os.Lstat(target)
		if err != nil {
			return target, nil // a new file; PrepareDir tells why a directory cannot be written
		}
		mode := st.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			link, err := os.Readlink(target)
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(target), link)
			}
			target = link
			continue
		case mode.IsDir():
			return "", errors.New("is a directory, not a file")
		case !mode.IsRegular():
			kind := "a special file"
			switch {
			case mode&fs.ModeDevice != 0:
				kind = "a device"
			case mode&fs.ModeNamedPipe != 0:
				kind = "a named pipe"
			case mode&fs.ModeSocket != 0:
				kind = "a socket"
			}
			if target != path {
				kind = fmt.Sprintf("a link to %s, %s", target, kind)
			}
			return "", fmt.Errorf("is %s, not a regular file: saving would replace it", kind)
		}
		return target, nil
	}
	return "", errors.New("too many levels of symbolic links")
}

// SameFile reports whether the paths a and b name the same file: the same path once made absolute
// and cleaned, or, for files that exist, the same file (os.SameFile: through hard and symbolic
// links).
func SameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == ab {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// WriteFileAtomic calls write with a temporary file in path's directory and, when it succeeds,
// syncs the file and renames it to path. On any error the temporary file is removed and path is
// left as it was.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	shown := path
	if path, err = saveTarget(path); err != nil {
		return fmt.Errorf("save %s: %w", shown, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		if _, serr := os.Stat(dir); serr != nil {
			return fmt.Errorf("save %s: directory %s does not exist", path, dir)
		}
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
