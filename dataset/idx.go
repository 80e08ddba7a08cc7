package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// IDX element type codes, from the format's description at
// http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT").
const (
	TypeUint8   = 0x08
	TypeInt8    = 0x09
	TypeInt16   = 0x0B
	TypeInt32   = 0x0C
	TypeFloat32 = 0x0D
	TypeFloat64 = 0x0E
)

// MaxIDXBytes bounds the payload a header may announce (1 GiB), so that a corrupt header cannot make
// the reader allocate without limit. The MNIST training images are 47 MB.
const MaxIDXBytes = 1 << 30

// maxIDXDims bounds the number of dimensions; IDX files in use have 1 (labels) to 4.
const maxIDXDims = 8

var typeNames = map[byte]string{
	TypeUint8: "unsigned byte", TypeInt8: "signed byte", TypeInt16: "int16",
	TypeInt32: "int32", TypeFloat32: "float32", TypeFloat64: "float64",
}

// IDX is the content of one IDX file: unsigned bytes laid out row-major with the given dimensions.
type IDX struct {
	Dims []int  // the size of each dimension, outermost first (for images: count, rows, columns)
	Data []byte // product(Dims) values
}

// ReadIDX reads one IDX file of unsigned bytes from r. The stream may be gzip-compressed; that is
// detected from its first bytes, not from a file name. The header is validated (magic number,
// element type, number of dimensions) and the payload must have exactly the announced length.
// Errors in the content are FormatError values; see FormatError for the others.
func ReadIDX(r io.Reader) (*IDX, error) { return readIDXHashed(r, nil) }

// readIDXHashed is ReadIDX that also writes the IDX content (the bytes after gzip decompression,
// header and payload) to content, when it is not nil, as they are read.
func readIDXHashed(r io.Reader, content io.Writer) (*IDX, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		if !errors.Is(err, io.EOF) { // a read error (a directory, say) is not a short file
			return nil, fmt.Errorf("idx: %w", err)
		}
		return nil, formatErr("file too short for a header (%d bytes)", len(head))
	}
	var src io.Reader = br
	compressed := head[0] == 0x1f && head[1] == 0x8b
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	if content != nil {
		src = io.TeeReader(src, content)
	}
	idx, err := readIDX(src)
	if err != nil {
		var fe FormatError
		if compressed && !errors.As(err, &fe) {
			return nil, fmt.Errorf("idx: gzip stream: %w", err)
		}
		return nil, err
	}
	return idx, nil
}

// FormatError reports that the content of an IDX file is not a valid IDX file of unsigned bytes:
// a bad magic number, an unsupported element type or number of dimensions, a header announcing
// more than MaxIDXBytes, a truncated header or payload, or data after the payload. Its text is the
// problem without the "idx: " prefix that Error adds, like image/png's FormatError. ReadIDXFile
// wraps it with the file's path, so test for it with errors.As:
//
//	var fe dataset.FormatError
//	if errors.As(err, &fe) { ... the file is not IDX ... }
//
// Damage to a gzip layer around the content is not a FormatError: it wraps compress/gzip's
// gzip.ErrHeader or gzip.ErrChecksum, or io.ErrUnexpectedEOF for a cut stream.
type FormatError string

func (e FormatError) Error() string { return "idx: " + string(e) }

func formatErr(format string, args ...any) error { return FormatError(fmt.Sprintf(format, args...)) }

func readIDX(r io.Reader) (*IDX, error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, formatErr("truncated header: %d of 4 magic bytes", n)
		}
		return nil, err
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, formatErr("bad magic number %#08x: not an IDX file (it must start with two zero bytes)",
			binary.BigEndian.Uint32(magic[:]))
	}
	if magic[2] != TypeUint8 {
		name, known := typeNames[magic[2]]
		if !known {
			return nil, formatErr("unknown element type %#02x in magic number", magic[2])
		}
		return nil, formatErr("unsupported element type %#02x (%s): only unsigned byte (0x08) is supported", magic[2], name)
	}
	nd := int(magic[3])
	if nd < 1 || nd > maxIDXDims {
		return nil, formatErr("unsupported number of dimensions %d (want 1 to %d)", nd, maxIDXDims)
	}
	header := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, formatErr("truncated header: %d of %d dimension bytes", n, len(header))
		}
		return nil, err
	}
	dims := make([]int, nd)
	// The product of two values up to MaxIDXBytes (2^30) fits in 64 bits, not in a 32-bit int.
	var size64 int64 = 1
	for i := range dims {
		d := binary.BigEndian.Uint32(header[4*i:])
		if d > MaxIDXBytes {
			return nil, formatErr("dimension %d is %d, larger than the %d-byte limit", i, d, MaxIDXBytes)
		}
		dims[i] = int(d)
		size64 *= int64(d)
		if size64 > MaxIDXBytes {
			return nil, formatErr("header announces more than %d bytes of data (dims %v...)", MaxIDXBytes, dims[:i+1])
		}
	}
	size := int(size64)
	// Grow the buffer as data arrives rather than trusting the header with one big allocation
	// beyond 64 MiB. bytes.Buffer reads until it has MinRead bytes free: with less room left after
	// the payload it would double the buffer just to see the end of the file. The buffer is made
	// here rather than by Buffer.Grow, which zeroes it by writing (every page faulted in before
	// adviseHugePages could ask for huge pages); make's fresh memory is zero untouched.
	b := make([]byte, min(size, 64<<20)+bytes.MinRead)
	adviseHugePages(b)
	buf := bytes.NewBuffer(b[:0])
	n, err := io.Copy(buf, io.LimitReader(r, int64(size)+1))
	if err != nil {
		return nil, err
	}
	if int(n) < size {
		return nil, formatErr("truncated payload: %d of %d bytes (dims %v)", n, size, dims)
	}
	if int(n) > size {
		return nil, formatErr("trailing data after the %d-byte payload (dims %v)", size, dims)
	}
	return &IDX{Dims: dims, Data: buf.Bytes()[:size]}, nil
}

// ReadIDXFile reads the IDX file at path (gzip-compressed or raw). Errors name the file.
func ReadIDXFile(path string) (*IDX, error) {
	idx, _, err := readIDXFile(path, false)
	return idx, err
}

// readIDXFile reads the IDX file at path and, when digest is set, returns the SHA-256 digests of
// its content and of the file as stored, computed while reading rather than in a second pass.
func readIDXFile(path string, digest bool) (*IDX, FileDigest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, FileDigest{}, err
	}
	defer f.Close()
	var r io.Reader = f
	var content, file hash.Hash
	if digest {
		content, file = sha256.New(), sha256.New()
		r = io.TeeReader(f, file)
	}
	idx, err := readIDXHashed(r, content)
	if err != nil {
		return nil, FileDigest{}, fmt.Errorf("%s: %w", path, err)
	}
	if !digest {
		return idx, FileDigest{}, nil
	}
	// A valid file has been read to its end; this only makes sure of it.
	if _, err := io.Copy(file, f); err != nil {
		return nil, FileDigest{}, fmt.Errorf("%s: %w", path, err)
	}
	return idx, FileDigest{
		Name:       filepath.Base(path),
		SHA256:     hex.EncodeToString(content.Sum(nil)),
		FileSHA256: hex.EncodeToString(file.Sum(nil)),
	}, nil
}
