package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A dark rectangle on white paper, the simplest garment: trimmed, its longest side scaled to 28,
// centred, light on dark.
func TestPrepareFashionRectangle(t *testing.T) {
	// 40x100 pixels in a 200x300 photo: scaled by 28/100 to 11x28 (11.2 rounded), placed at
	// column (28-11)/2 = 8. A uniform box stays uniform through the sharpening (its edges are
	// repeated outwards), so columns 8-18 hold 255 and every other pixel 0.
	rect := func(x, y int) bool { return x >= 120 && x < 160 && y >= 150 && y < 250 }
	want := make([]uint8, DigitSize*DigitSize)
	for y := range DigitSize {
		for x := 8; x < 19; x++ {
			want[y*DigitSize+x] = 255
		}
	}
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"black on white", grayImage(200, 300, 255, 0, rect)},
		{"dark grey on light grey", grayImage(200, 300, 253, 60, rect)},
		{"light on black", grayImage(200, 300, 0, 200, rect)},
		{"white on transparent", alphaImage(200, 300, color.RGBA{255, 255, 255, 255}, func() []uint8 {
			a := make([]uint8, 200*300)
			for i := range a {
				if rect(i%200, i/200) {
					a[i] = 255
				}
			}
			return a
		}())},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := PrepareFashion(c.img)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", drawDigit(got), drawDigit(want))
			}
			// The digit preparation makes something else of it: 20 pixels tall.
			if d, err := PrepareDigit(c.img); err != nil || bytes.Equal(d, got) {
				t.Errorf("PrepareDigit gives the same: %v", err)
			}
		})
	}
	// Wider than tall: the width is 28, centred vertically, the odd pixel below.
	got, err := PrepareFashion(grayImage(90, 40, 255, 0, func(x, y int) bool { return x >= 10 && x < 80 && y >= 5 && y < 30 }))
	if err != nil {
		t.Fatal(err)
	}
	// 70x25 scaled by 28/70: 28x10, rows 9 to 18.
	box, _, _, _ := digitStats(got)
	if box != image.Rect(0, 9, 28, 19) {
		t.Errorf("bounding box %v, want (0,9)-(28,19)\n%s", box, drawDigit(got))
	}
}

// The sharpening is an unsharp mask with a 3x3 Gaussian of standard deviation 1.
func TestSharpen(t *testing.T) {
	// One spot: the centre becomes 2 - 1/sum, where sum = 1 + 4 exp(-1/2) + 4 exp(-1) = 4.8976;
	// its neighbours, 0 less a part of the spot, are clamped to 0.
	got := sharpen([]float64{0, 0, 0, 0, 1, 0, 0, 0, 0}, 3, 3)
	if math.Abs(got[4]-(2-1/4.897640)) > 1e-6 || slices.ContainsFunc(slices.Delete(slices.Clone(got), 4, 5), func(v float64) bool { return v != 0 }) {
		t.Errorf("sharpen(spot) = %v, want the centre %.6f and 0 elsewhere", got, 2-1/4.897640)
	}
	// A step: the light side overshoots next to the edge, the dark side undershoots (to 0), far
	// from it nothing changes. Row 0 1 1 1 with repeated edges: at x=1, the blur is
	// (1 + e(0+1+1+1) + c(0+0+1+1)) / sum with e = exp(-1/2), c = exp(-1).
	e, c := math.Exp(-0.5), math.Exp(-1)
	sum := 1 + 4*e + 4*c
	got = sharpen([]float64{0, 1, 1, 1}, 4, 1)
	want := []float64{0, 2 - (1+3*e+2*c)/sum, 1, 1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("sharpen(step)[%d] = %.6f, want %.6f", i, got[i], want[i])
		}
	}
}

func TestPrepareFashionErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		img  image.Image
		want string
	}{
		{"zero size", image.NewGray(image.Rectangle{}), "fashion image: empty image (0x0 pixels)"},
		{"white", grayImage(30, 30, 255, 0, func(x, y int) bool { return false }), "fashion image: no ink: the 30x30 image is blank or uniform"},
		{"transparent", alphaImage(3, 3, color.RGBA{}, make([]uint8, 9)), "fashion image: no ink"},
		{"image.Uniform", image.NewUniform(color.Black), "fashion image: 2000000000x2000000000 pixels is larger than the limit"},
	} {
		_, err := PrepareFashion(c.img)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to start with %q", c.name, err, c.want)
		}
		if strings.Contains(c.want, "no ink") && !errors.Is(err, ErrNoInk) {
			t.Errorf("%s: error %v is not ErrNoInk", c.name, err)
		}
	}
	if _, err := ReadImage(strings.NewReader("not a picture"), PrepFashion); err == nil || err.Error() != "fashion image: not a PNG, JPEG or GIF image" {
		t.Errorf("ReadImage(garbage, fashion): %v", err)
	}
	if _, err := ReadImage(bytes.NewReader(hugePNG(t, 10000, 10000)), PrepFashion); err == nil ||
		err.Error() != "fashion image: png image of 10000x10000 pixels is larger than the limit of 50000000 pixels" {
		t.Errorf("ReadImage(huge, fashion): %v", err)
	}
}

func TestPreparation(t *testing.T) {
	for in, want := range map[string]Preparation{"": PrepDigit, "digit": PrepDigit, "fashion": PrepFashion} {
		if got, err := ParsePreparation(in); got != want || err != nil {
			t.Errorf("ParsePreparation(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"Digit", "photo", " fashion"} {
		if _, err := ParsePreparation(in); err == nil || err.Error() != fmt.Sprintf("unknown image preparation %q (known: digit, fashion)", in) {
			t.Errorf("ParsePreparation(%q): error %v", in, err)
		}
	}
	if Preparation("").String() != "digit" || PrepFashion.String() != "fashion" {
		t.Error("String of the zero value and of fashion")
	}
	// Prepare and ReadImage dispatch; the zero value is the digit preparation.
	img := grayImage(40, 60, 255, 0, func(x, y int) bool { return x >= 10 && x < 20 && y >= 10 && y < 50 })
	png := encode(t, "png", img)
	digit, _ := PrepareDigit(img)
	fashion, _ := PrepareFashion(img)
	for _, c := range []struct {
		p    Preparation
		want []uint8
	}{{"", digit}, {PrepDigit, digit}, {PrepFashion, fashion}} {
		if got, err := Prepare(img, c.p); err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("Prepare(%q): %v", c.p, err)
		}
		if got, err := ReadImage(bytes.NewReader(png), c.p); err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("ReadImage(%q): %v", c.p, err)
		}
	}
	if _, err := Prepare(img, "photo"); err == nil {
		t.Error("Prepare with an unknown preparation succeeded")
	}
	if _, err := ReadImage(bytes.NewReader(png), "photo"); err == nil {
		t.Error("ReadImage with an unknown preparation succeeded")
	}
	for _, p := range Preparations() {
		if d := p.Description(); !strings.HasPrefix(d, "prepared like ") {
			t.Errorf("%s: Description %q", p, d)
		}
	}
}

// needFashion returns the directory of Fashion-MNIST as Find finds it. When it is not installed
// the test is skipped with how to install it, or fails under CI (CI=true), which installs it.
func needFashion(t *testing.T) string {
	t.Helper()
	dir, _, err := Find(Spec{Name: "fashion-mnist"})
	var nf *NotFoundError
	switch {
	case errors.As(err, &nf) && os.Getenv("CI") != "true":
		t.Skip("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
	case err != nil:
		t.Fatalf("Fashion-MNIST is needed (.ci/run installs it): %v", err)
	}
	return dir
}

// Fashion-MNIST, where Debian's package installs it: found by name, recognised by its digests
// when given as a plain directory, compressed or not, with Zalando's class names.
func TestLoadFashionMNIST(t *testing.T) {
	dir := needFashion(t)
	d, err := Load(Spec{Name: "fashion-mnist"})
	if err != nil {
		t.Fatal(err)
	}
	s := d.Source
	if s.Name != "fashion-mnist" || s.Bundled || s.Train != 60000 || s.Test != 10000 || s.Dir != absDir(dir) || len(s.Files) != 4 {
		t.Fatalf("Source %+v", s)
	}
	if d.Train.Rows != 28 || d.Train.Cols != 28 || d.Train.Classes != 10 || d.Test.Classes != 10 {
		t.Errorf("train %dx%d, %d and %d classes", d.Train.Rows, d.Train.Cols, d.Train.Classes, d.Test.Classes)
	}
	if got := s.String(); got != "Fashion-MNIST in "+s.Dir+": 60000 train, 10000 test samples" {
		t.Errorf("String() = %q", got)
	}
	for i, f := range s.Files {
		if f.Role != roles[i] || f.SHA256 != knownSets[1].SHA256[i] {
			t.Errorf("file %d: %+v, want the content digest %s", i, f, knownSets[1].SHA256[i])
		}
	}
	// Fashion-MNIST has 6,000 training and 1,000 test images of each class.
	for _, c := range []struct {
		s    *Set
		each int
	}{{d.Train, 6000}, {d.Test, 1000}} {
		var count [10]int
		for _, l := range c.s.Labels {
			count[l]++
		}
		for class, n := range count {
			if n != c.each {
				t.Errorf("%s: %d samples of class %d, want %d", c.s.Name, n, class, c.each)
			}
		}
	}
	want := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	if !slices.Equal(d.Classes, want) || d.ClassesFrom != "fashion-mnist" || d.Preparation != PrepFashion {
		t.Errorf("classes %q from %q, preparation %q", d.Classes, d.ClassesFrom, d.Preparation)
	}
	if names, err := readmeLabels(); err == nil && !slices.Equal(names, want) {
		t.Errorf("the README's labels are %q, want %q", names, want)
	} else if err != nil {
		t.Logf("README not checked: %v", err)
	}
	if w := d.Warnings(); w != nil {
		t.Errorf("Warnings() = %q", w)
	}

	// As a plain directory, uncompressed: recognised, and the same test data.
	plain := t.TempDir()
	for _, name := range []string{TestImagesFile, TestLabelsFile} {
		gunzipFile(t, filepath.Join(dir, name), filepath.Join(plain, strings.TrimSuffix(name, ".gz")))
	}
	for _, name := range []string{TrainImagesFile, TrainLabelsFile} { // only so that Find accepts it
		writeFile(t, plain, name, "")
	}
	dt, err := LoadTest(Spec{Dir: plain})
	if err != nil {
		t.Fatal(err)
	}
	if dt.Source.Name != "fashion-mnist" || !dt.Source.SameTest(s) || dt.ClassesFrom != "fashion-mnist" || dt.Preparation != PrepFashion {
		t.Errorf("plain directory: Source %+v, classes from %q, preparation %q", dt.Source, dt.ClassesFrom, dt.Preparation)
	}
	if f := dt.Source.Files[0]; f.SHA256 != f.FileSHA256 || f.Name != "t10k-images-idx3-ubyte" {
		t.Errorf("uncompressed file: %+v", f)
	}
	// Asking for MNIST there is refused, naming what the files are.
	_, err = LoadTest(Spec{Name: "mnist", Dir: plain})
	var de *DigestError
	if !errors.As(err, &de) || de.Is != "fashion-mnist" || !strings.HasSuffix(err.Error(), "(Fashion-MNIST's test images)") {
		t.Errorf("LoadTest(mnist, Fashion-MNIST's files): %v", err)
	}
}

// readmeLabels returns the class names of the "Labels" table of Zalando's README, as Debian
// installs it.
func readmeLabels() ([]string, error) {
	f, err := os.Open("/usr/share/doc/dataset-fashion-mnist/README.md.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	row := regexp.MustCompile(`^\| (\d) \| (.+) \|$`)
	var names []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			if i, _ := strconv.Atoi(m[1]); i == len(names) {
				names = append(names, m[2])
			}
		}
	}
	return names, sc.Err()
}

func gunzipFile(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// Fashion-MNIST test images shown as photos (dark on white, enlarged four times) come back close
// to themselves with the fashion preparation, and far from it with the digit one; their nearest
// training images are those of the originals.
func TestPrepareFashionLooksLikeFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("compares with 10,000 Fashion-MNIST training images")
	}
	needFashion(t)
	d, err := Load(Spec{Name: "fashion-mnist"})
	if err != nil {
		t.Fatal(err)
	}
	train := d.Train.Limit(10000)
	const n = 50
	var diffFashion, diffDigit float64
	agree := 0
	for i := range n {
		photo := paperImage(d.Test, i, 112)
		f, err := PrepareFashion(photo)
		if err != nil {
			t.Fatalf("test image %d: %v", i, err)
		}
		g, err := PrepareDigit(photo)
		if err != nil {
			t.Fatalf("test image %d: %v", i, err)
		}
		diffFashion += meanAbsDiff(f, d.Test.Sample(i)) / n
		diffDigit += meanAbsDiff(g, d.Test.Sample(i)) / n
		if nearestLabel(train, f, 9) == nearestLabel(train, d.Test.Sample(i), 9) {
			agree++
		}
	}
	t.Logf("mean absolute difference per pixel: fashion preparation %.2f, digit preparation %.2f; "+
		"nearest neighbours agree with the original's for %d of %d", diffFashion, diffDigit, agree, n)
	if diffFashion > 20 || diffFashion > diffDigit/2 {
		t.Errorf("fashion preparation differs by %.2f per pixel (digit %.2f), want at most 20 and half the digit's", diffFashion, diffDigit)
	}
	if agree < n*8/10 {
		t.Errorf("nearest neighbours agree for %d of %d, want at least %d", agree, n, n*8/10)
	}
}

func ExamplePrepare() {
	// A photo of a pair of trousers, simplified: a dark 30x90 shape on white, legs apart.
	img := image.NewGray(image.Rect(0, 0, 120, 150))
	for y := range 150 {
		for x := range 120 {
			v := uint8(255)
			if x >= 40 && x < 70 && y >= 30 && y < 120 && (y < 60 || x < 52 || x >= 58) {
				v = 30
			}
			img.SetGray(x, y, color.Gray{v})
		}
	}
	for _, p := range []Preparation{PrepFashion, PrepDigit} {
		d, err := Prepare(img, p)
		if err != nil {
			fmt.Println(err)
			return
		}
		box, _, _, _ := digitStats(d)
		fmt.Printf("%s: %dx%d, at (%d,%d)\n", p, box.Dx(), box.Dy(), box.Min.X, box.Min.Y)
	}
	// Output:
	// fashion: 9x28, at (9,0)
	// digit: 7x20, at (11,5)
}
