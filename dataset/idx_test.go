package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// encodeIDX returns an IDX file with the given element type, dimensions and payload. The payload
// is not checked against the dimensions, so that broken files can be built too.
func encodeIDX(typ byte, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

// gzipBytes compresses b as one gzip member.
func gzipBytes(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// seq returns n bytes counting up from 0 (mod 256), a payload whose every byte is checkable.
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestReadIDX(t *testing.T) {
	for _, tc := range []struct {
		name string
		dims []uint32
	}{
		{"labels", []uint32{5}},
		{"images", []uint32{3, 2, 4}},
		{"4-D", []uint32{2, 1, 3, 2}},
		{"8-D", []uint32{1, 2, 1, 2, 1, 2, 1, 2}},
		{"empty dimension", []uint32{0, 28, 28}},
	} {
		size := 1
		for _, d := range tc.dims {
			size *= int(d)
		}
		raw := encodeIDX(TypeUint8, tc.dims, seq(size))
		for _, enc := range []struct {
			name string
			b    []byte
		}{{"raw", raw}, {"gzip", gzipBytes(t, raw)}} {
			t.Run(tc.name+"/"+enc.name, func(t *testing.T) {
				idx, err := ReadIDX(bytes.NewReader(enc.b))
				if err != nil {
					t.Fatalf("ReadIDX: %v", err)
				}
				wantDims := make([]int, len(tc.dims))
				for i, d := range tc.dims {
					wantDims[i] = int(d)
				}
				if !slices.Equal(idx.Dims, wantDims) {
					t.Errorf("Dims = %v, want %v", idx.Dims, wantDims)
				}
				if !bytes.Equal(idx.Data, seq(size)) {
					t.Errorf("Data = %v, want %v", idx.Data, seq(size))
				}
			})
		}
	}
}

// A gzip file may hold several members (as cat a.gz b.gz makes); they read as one stream.
func TestReadIDXGzipMembers(t *testing.T) {
	raw := encodeIDX(TypeUint8, []uint32{3, 2}, seq(6))
	in := append(gzipBytes(t, raw[:7]), gzipBytes(t, raw[7:])...)
	idx, err := ReadIDX(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("ReadIDX: %v", err)
	}
	if !slices.Equal(idx.Dims, []int{3, 2}) || !bytes.Equal(idx.Data, seq(6)) {
		t.Errorf("ReadIDX = %v %v, want [3 2] %v", idx.Dims, idx.Data, seq(6))
	}
}

// errFormat stands for "a FormatError" in the tables of expected errors.
var errFormat = errors.New("a FormatError")

func TestReadIDXMalformed(t *testing.T) {
	valid := encodeIDX(TypeUint8, []uint32{2, 3}, seq(6))
	big := encodeIDX(TypeUint8, []uint32{40, 50}, seq(2000))
	bigGz := gzipBytes(t, big)

	badCRC := bytes.Clone(gzipBytes(t, valid))
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 is the trailer's first 4 of 8 bytes

	for _, tc := range []struct {
		name string
		in   []byte
		want string // a substring of the error
		gzip bool   // also try the input gzip-compressed, expecting the same error
		kind error  // errFormat for a FormatError, else the error it must wrap
	}{
		{"empty", nil, "too short for a header", false, errFormat},
		{"one byte", []byte{0}, "too short for a header", false, errFormat},
		{"empty gzip content", gzipBytes(t, nil), "truncated header: 0 of 4 magic bytes", false, errFormat},
		{"truncated magic", []byte{0, 0, 8}, "truncated header: 3 of 4 magic bytes", true, errFormat},
		{"wrong magic", []byte{0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7}, "bad magic number 0x12340801", true, errFormat},
		{"wrong magic second byte", []byte{0, 1, 0x08, 0x01, 0, 0, 0, 1, 7}, "bad magic number", true, errFormat},
		{"float32 elements", encodeIDX(TypeFloat32, []uint32{1}, seq(4)), "unsupported element type 0x0d (float32)", true, errFormat},
		{"float64 elements", encodeIDX(TypeFloat64, []uint32{1}, seq(8)), "unsupported element type 0x0e (float64)", true, errFormat},
		{"signed bytes", encodeIDX(TypeInt8, []uint32{1}, seq(1)), "unsupported element type 0x09 (signed byte)", true, errFormat},
		{"int32 elements", encodeIDX(TypeInt32, []uint32{1}, seq(4)), "unsupported element type 0x0c (int32)", true, errFormat},
		{"unknown type", encodeIDX(0x07, []uint32{1}, seq(1)), "unknown element type 0x07", true, errFormat},
		{"unknown type 0xff", encodeIDX(0xff, []uint32{1}, seq(1)), "unknown element type 0xff", true, errFormat},
		{"zero dimensions", encodeIDX(TypeUint8, nil, nil), "unsupported number of dimensions 0", true, errFormat},
		{"nine dimensions", encodeIDX(TypeUint8, make([]uint32, 9), nil), "unsupported number of dimensions 9", true, errFormat},
		{"truncated dimensions", valid[:9], "truncated header: 5 of 8 dimension bytes", true, errFormat},
		{"no dimensions bytes", valid[:4], "truncated header: 0 of 8 dimension bytes", true, errFormat},
		{"truncated payload", valid[:len(valid)-2], "truncated payload: 4 of 6 bytes", true, errFormat},
		{"no payload", valid[:12], "truncated payload: 0 of 6 bytes", true, errFormat},
		{"trailing garbage", append(bytes.Clone(valid), 0xde, 0xad), "trailing data after the 6-byte payload", true, errFormat},
		{"huge dimension", encodeIDX(TypeUint8, []uint32{1<<30 + 1}, nil), "larger than the 1073741824-byte limit", true, errFormat},
		{"huge product", encodeIDX(TypeUint8, []uint32{1 << 16, 1 << 16}, nil), "more than 1073741824 bytes", true, errFormat},
		{"huge product after zero", encodeIDX(TypeUint8, []uint32{0, 1 << 30, 1 << 30}, []byte{1}), "trailing data after the 0-byte payload", true, errFormat},

		// Damage to the gzip layer itself.
		{"gzip header only", []byte{0x1f, 0x8b}, "idx: gzip: unexpected EOF", false, io.ErrUnexpectedEOF},
		{"gzip bad header", []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0}, "idx: gzip: gzip: invalid header", false, gzip.ErrHeader},
		{"gzip truncated in the payload", bigGz[:len(bigGz)/2], "gzip stream: unexpected EOF", false, io.ErrUnexpectedEOF},
		{"gzip truncated in the trailer", bigGz[:len(bigGz)-3], "gzip stream: unexpected EOF", false, io.ErrUnexpectedEOF},
		{"gzip truncated in the header", bigGz[:12], "truncated header", false, errFormat},
		{"gzip bad checksum", badCRC, "gzip stream: gzip: invalid checksum", false, gzip.ErrChecksum},
		{"gzip trailing garbage", append(bytes.Clone(bigGz), "garbage after the gzip member"...), "gzip stream: gzip: invalid header", false, gzip.ErrHeader},
		{"gzip short trailing garbage", append(bytes.Clone(bigGz), "garbage"...), "gzip stream: unexpected EOF", false, io.ErrUnexpectedEOF},
		{"gzip trailing IDX data", append(bytes.Clone(bigGz), gzipBytes(t, []byte{1})...), "trailing data after the 2000-byte payload", false, errFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(t *testing.T, in []byte) {
				idx, err := ReadIDX(bytes.NewReader(in))
				if err == nil {
					t.Fatalf("ReadIDX succeeded with dims %v, want an error containing %q", idx.Dims, tc.want)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("ReadIDX error %q does not contain %q", err, tc.want)
				}
				if !strings.HasPrefix(err.Error(), "idx: ") {
					t.Errorf("ReadIDX error %q does not start with \"idx: \"", err)
				}
				var fe FormatError
				if isFormat := errors.As(err, &fe); isFormat != (tc.kind == errFormat) {
					t.Errorf("ReadIDX error %q: errors.As(FormatError) = %v, want %v", err, isFormat, !isFormat)
				}
				if tc.kind != errFormat && !errors.Is(err, tc.kind) {
					t.Errorf("ReadIDX error %q does not wrap %v", err, tc.kind)
				}
			}
			check(t, tc.in)
			if tc.gzip {
				t.Run("gzip", func(t *testing.T) { check(t, gzipBytes(t, tc.in)) })
			}
		})
	}
}

// A header announcing 1 GiB in front of a few bytes must fail on the payload without allocating
// what the header announces.
func TestReadIDXHeaderIsNotTrusted(t *testing.T) {
	in := encodeIDX(TypeUint8, []uint32{1 << 15, 1 << 15}, seq(10))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDX(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated payload: 10 of 1073741824 bytes") {
		t.Errorf("ReadIDX error = %v, want a truncated payload", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
		t.Errorf("ReadIDX allocated %d MiB for a %d-byte file", alloc>>20, len(in))
	}
}

// A payload is read into one buffer of its size: not twice its size, which a buffer that grows to
// see the end of the file would take (47 MB more for MNIST's training images).
func TestReadIDXAllocatesThePayloadOnce(t *testing.T) {
	payload := 8<<20 - 1 // a buffer of the payload and one byte fills whole pages: none to spare
	in := encodeIDX(TypeUint8, []uint32{uint32(payload)}, make([]byte, payload))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	idx, err := ReadIDX(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(idx.Data))*5/4 {
		t.Errorf("ReadIDX allocated %.1f MiB for a %.1f MiB payload", float64(alloc)/(1<<20), float64(len(idx.Data))/(1<<20))
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	valid := encodeIDX(TypeUint8, []uint32{2, 2, 2}, seq(8))
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// The format is detected from the content: a raw file named .gz and a gzip file without the
	// suffix are both read.
	for _, p := range []string{
		write("raw-named.gz", valid),
		write("gzip-unnamed", gzipBytes(t, valid)),
		write("raw", valid),
		write("gzip.gz", gzipBytes(t, valid)),
	} {
		idx, err := ReadIDXFile(p)
		if err != nil {
			t.Errorf("ReadIDXFile(%s): %v", filepath.Base(p), err)
			continue
		}
		if !slices.Equal(idx.Dims, []int{2, 2, 2}) || !bytes.Equal(idx.Data, seq(8)) {
			t.Errorf("ReadIDXFile(%s) = %v %v, want [2 2 2] %v", filepath.Base(p), idx.Dims, idx.Data, seq(8))
		}
	}

	gz := gzipBytes(t, valid)
	for _, tc := range []struct {
		name string
		in   []byte // nil: no such file
		want string
	}{
		{"missing.gz", nil, "no such file"},
		{"garbage.gz", []byte("this is not gzip, nor IDX"), "bad magic number"},
		{"truncated.gz", gz[:len(gz)-5], "gzip stream: unexpected EOF"},
		{"empty.gz", []byte{}, "too short for a header"},
		{"floats", encodeIDX(TypeFloat32, []uint32{1}, seq(4)), "unsupported element type"},
	} {
		p := filepath.Join(dir, tc.name)
		if tc.in != nil {
			write(tc.name, tc.in)
		}
		_, err := ReadIDXFile(p)
		if err == nil {
			t.Errorf("ReadIDXFile(%s) succeeded, want an error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("ReadIDXFile(%s) error %q does not name the file", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadIDXFile(%s) error %q does not contain %q", tc.name, err, tc.want)
		}
	}

	// Errors wrap their cause: a file that is not IDX is a FormatError, whose text is the problem
	// alone; a missing file is os.ErrNotExist.
	if _, err := ReadIDXFile(filepath.Join(dir, "missing.gz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadIDXFile on a missing file: error %v is not os.ErrNotExist", err)
	}
	_, err := ReadIDXFile(filepath.Join(dir, "floats"))
	var fe FormatError
	if !errors.As(err, &fe) || string(fe) != "unsupported element type 0x0d (float32): only unsigned byte (0x08) is supported" {
		t.Errorf("ReadIDXFile(floats): error %v (FormatError %q), want the FormatError of the element type", err, fe)
	}
}

func FuzzReadIDX(f *testing.F) {
	labels := encodeIDX(TypeUint8, []uint32{4}, []byte{0, 1, 2, 9})
	images := encodeIDX(TypeUint8, []uint32{2, 3, 3}, seq(18))
	for _, b := range [][]byte{
		labels,
		images,
		gzipBytes(f, labels),
		gzipBytes(f, images),
		encodeIDX(TypeUint8, []uint32{0}, nil),
		encodeIDX(TypeUint8, []uint32{1, 1, 1, 1, 1, 1, 1, 1}, []byte{42}),
		images[:len(images)-1],                       // truncated payload
		append(bytes.Clone(labels), 0),               // trailing byte
		encodeIDX(TypeFloat32, []uint32{1}, seq(4)),  // unsupported type
		encodeIDX(TypeUint8, []uint32{1 << 30}, nil), // huge header
		gzipBytes(f, images)[:20],                    // truncated gzip
		{0x1f, 0x8b},                                 // gzip magic only
		{},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		idx, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			if idx != nil {
				t.Fatalf("ReadIDX returned both %v and error %v", idx, err)
			}
			return
		}
		if len(idx.Dims) < 1 || len(idx.Dims) > maxIDXDims {
			t.Fatalf("ReadIDX accepted %d dimensions", len(idx.Dims))
		}
		size := 1
		for _, d := range idx.Dims {
			if d < 0 {
				t.Fatalf("negative dimension in %v", idx.Dims)
			}
			size *= d
		}
		if len(idx.Data) != size {
			t.Fatalf("len(Data) = %d, but dims %v make %d", len(idx.Data), idx.Dims, size)
		}
		// A raw file is accepted only when it is exactly a header and its payload: encoding what
		// was read must give the input back.
		if len(in) >= 2 && !(in[0] == 0x1f && in[1] == 0x8b) {
			dims := make([]uint32, len(idx.Dims))
			for i, d := range idx.Dims {
				dims[i] = uint32(d)
			}
			if again := encodeIDX(TypeUint8, dims, idx.Data); !bytes.Equal(again, in) {
				t.Fatalf("re-encoding %v gives %x, want the input %x", idx.Dims, again, in)
			}
		}
	})
}

func ExampleReadIDX() {
	// A tiny IDX file: two 2x3 images of unsigned bytes.
	file := []byte{
		0x00, 0x00, 0x08, 0x03, // magic: two zero bytes, type 0x08 (unsigned byte), 3 dimensions
		0x00, 0x00, 0x00, 0x02, // 2 images
		0x00, 0x00, 0x00, 0x02, // of 2 rows
		0x00, 0x00, 0x00, 0x03, // of 3 columns
		0, 128, 255, // image 0
		1, 2, 3,
		9, 8, 7, // image 1
		6, 5, 4,
	}
	idx, err := ReadIDX(bytes.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("dims:", idx.Dims)
	fmt.Println("image 1:", idx.Data[6:12])

	// The same reader rejects anything else with a message naming the problem.
	_, err = ReadIDX(bytes.NewReader(file[:len(file)-1]))
	fmt.Println(err)
	// Output:
	// dims: [2 2 3]
	// image 1: [9 8 7 6 5 4]
	// idx: truncated payload: 11 of 12 bytes (dims [2 2 3])
}
