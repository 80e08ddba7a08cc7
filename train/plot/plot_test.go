package plot

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"

	"gorgonia.org/tensor"
)

// Set GORGONET_PLOT_DIR to keep the pictures the tests draw, to look at them.
func keep(t *testing.T, name string, b []byte) {
	t.Helper()
	if dir := os.Getenv("GORGONET_PLOT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// decode checks that b is a PNG of the given size and returns the image.
func decode(t *testing.T, b []byte, w, h int) image.Image {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an image: %v", err)
	}
	if format != "png" {
		t.Fatalf("format %q, want png", format)
	}
	if w > 0 && (cfg.Width != w || cfg.Height != h) {
		t.Fatalf("size %dx%d, want %dx%d", cfg.Width, cfg.Height, w, h)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

func history(epochs int, validation bool) train.History {
	var h train.History
	for e := 1; e <= epochs; e++ {
		x := float64(e)
		ep := train.Epoch{Epoch: e, Loss: 0.1 + 0.6*math.Exp(-x/3), TrainAcc: 0.97 - 0.15*math.Exp(-x/3),
			ValLoss: math.NaN(), ValAcc: math.NaN(), Seconds: 2}
		if validation {
			ep.ValLoss = 0.14 + 0.55*math.Exp(-x/3) + 0.004*x
			ep.ValAcc = 0.955 - 0.14*math.Exp(-x/3)
		}
		h = append(h, ep)
	}
	return h
}

func TestCurves(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    train.History
	}{
		{"curves.png", history(12, true)},
		{"curves_noval.png", history(12, false)},
		{"curves_one.png", history(1, true)},
		{"curves_long.png", history(150, true)},
	} {
		var b bytes.Buffer
		if err := Curves(&b, tc.h); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		decode(t, b.Bytes(), CurvesWidth, CurvesHeight)
		keep(t, tc.name, b.Bytes())
	}
}

func TestCurvesErrors(t *testing.T) {
	var b bytes.Buffer
	if err := Curves(&b, nil); err == nil || !strings.Contains(err.Error(), "no epochs") {
		t.Errorf("empty history: err = %v", err)
	}
	nan := math.NaN()
	h := train.History{{Epoch: 1, Loss: nan, TrainAcc: nan, ValLoss: nan, ValAcc: nan}}
	if err := Curves(&b, h); err == nil {
		t.Error("a history without a finite value: no error")
	}
	if b.Len() != 0 {
		t.Errorf("%d bytes written despite the errors", b.Len())
	}
}

// confusion returns a 10x10 matrix like a good MNIST classifier's, asymmetric on purpose.
func confusion() train.Confusion {
	c := train.NewConfusion(10)
	diag := []int{970, 1125, 1005, 985, 960, 870, 940, 1000, 945, 980}
	for i, v := range diag {
		c[i][i] = v
	}
	c[4][9] = 17 // fours taken for nines
	c[9][4] = 6
	c[7][2] = 12
	c[3][5] = 9
	c[5][3] = 11
	c[8][3] = 1
	return c
}

func TestConfusionMatrix(t *testing.T) {
	c := confusion()
	l, err := NewConfusionLayout(c)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ConfusionMatrix(&b, c, nil); err != nil {
		t.Fatal(err)
	}
	img := decode(t, b.Bytes(), l.Size.X, l.Size.Y)
	keep(t, "confusion.png", b.Bytes())

	// The layout: row t is true class t, top to bottom; column p is predicted p, left to right;
	// each cell's label is its count.
	for ti, row := range l.Cells {
		for p, cell := range row {
			if cell.True != ti || cell.Predicted != p || cell.Count != c[ti][p] || cell.Label != strconv.Itoa(c[ti][p]) {
				t.Fatalf("cell [%d][%d] = %+v, want count %d", ti, p, cell, c[ti][p])
			}
			if p > 0 && (cell.Rect.Min.X != row[p-1].Rect.Max.X || cell.Rect.Min.Y != row[p-1].Rect.Min.Y) {
				t.Fatalf("cell [%d][%d] at %v is not right of [%d][%d] at %v", ti, p, cell.Rect, ti, p-1, row[p-1].Rect)
			}
			if ti > 0 && (cell.Rect.Min.Y != l.Cells[ti-1][p].Rect.Max.Y || cell.Rect.Min.X != l.Cells[ti-1][p].Rect.Min.X) {
				t.Fatalf("cell [%d][%d] is not below [%d][%d]", ti, p, ti-1, p)
			}
		}
	}
	// The pixels: each cell's background (just inside its corner, away from the text) has the
	// colour of its count, so a big count is dark, a zero white, and 4->9 (17) darker than 9->4 (6).
	for _, row := range l.Cells {
		for _, cell := range row {
			at := cell.Rect.Min.Add(image.Pt(4, 4))
			if got := rgba(img.At(at.X, at.Y)); got != cell.Fill {
				t.Fatalf("cell [%d][%d] (count %d): background %v, want %v", cell.True, cell.Predicted, cell.Count, got, cell.Fill)
			}
		}
	}
	white := color.RGBA{255, 255, 255, 255}
	if l.Cells[0][1].Fill != white || l.Cells[8][3].Fill == white {
		t.Errorf("zero cell %v, count-1 cell %v: want white and not white", l.Cells[0][1].Fill, l.Cells[8][3].Fill)
	}
	if !isDark(l.Cells[1][1].Fill) || l.Cells[1][1].Text != white {
		t.Errorf("the largest count's cell %v must be dark with white text %v", l.Cells[1][1].Fill, l.Cells[1][1].Text)
	}
	if isDark(l.Cells[9][4].Fill) || l.Cells[9][4].Text == white {
		t.Errorf("a small count's cell %v must be light with dark text %v", l.Cells[9][4].Fill, l.Cells[9][4].Text)
	}
	if lum := func(c color.RGBA) int { return int(c.R) + int(c.G) + int(c.B) }; lum(l.Cells[4][9].Fill) >= lum(l.Cells[9][4].Fill) {
		t.Errorf("count 17 at [4][9] (%v) is not darker than count 6 at [9][4] (%v)", l.Cells[4][9].Fill, l.Cells[9][4].Fill)
	}
	// The text is there: a cell has pixels nearer its text colour than its fill, more of them for
	// more digits.
	dist := func(a, b color.RGBA) int {
		abs := func(x int) int { return max(x, -x) }
		return abs(int(a.R)-int(b.R)) + abs(int(a.G)-int(b.G)) + abs(int(a.B)-int(b.B))
	}
	textPixels := func(cell ConfusionCell) int {
		n := 0
		r := cell.Rect.Inset(3)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if c := rgba(img.At(x, y)); dist(c, cell.Text) < dist(c, cell.Fill) {
					n++
				}
			}
		}
		return n
	}
	if n1, n4 := textPixels(l.Cells[8][3]), textPixels(l.Cells[1][1]); n1 < 20 || n4 < 2*n1 {
		t.Errorf("text pixels: %d in the cell of \"1\", %d in the cell of \"1125\"", n1, n4)
	}
}

func TestConfusionMatrixSizes(t *testing.T) {
	for _, k := range []int{1, 2, 3, 26} {
		c := train.NewConfusion(k)
		for i := range k {
			c[i][i] = 100000 * (i + 1)
			c[i][(i+1)%k] += i
		}
		l, err := NewConfusionLayout(c)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := ConfusionMatrix(&b, c, nil); err != nil {
			t.Fatalf("%dx%d: %v", k, k, err)
		}
		decode(t, b.Bytes(), l.Size.X, l.Size.Y)
		keep(t, "confusion_"+strconv.Itoa(k)+".png", b.Bytes())
	}
	// all zeros is drawable (all white)
	var b bytes.Buffer
	if err := ConfusionMatrix(&b, train.NewConfusion(3), nil); err != nil {
		t.Errorf("all-zero matrix: %v", err)
	}
}

func TestConfusionMatrixErrors(t *testing.T) {
	for _, c := range []train.Confusion{nil, {}, {{1, 2}, {3}}, {{1, -1}, {0, 1}}} {
		var b bytes.Buffer
		if err := ConfusionMatrix(&b, c, nil); err == nil {
			t.Errorf("%v: no error", c)
		}
	}
}

// digits makes a small set of fake 28x28 digit images: the digit drawn with the picture font, the
// stored values 0..255 ink like MNIST's.
func digits(t *testing.T, n int) *dataset.Set {
	face, err := newFace(24, true)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	s := &dataset.Set{Name: "test", Features: 784, Rows: 28, Cols: 28, Classes: 10, Scale: 1.0 / 255}
	for i := range n {
		label := i % 10
		g := image.NewGray(image.Rect(0, 0, 28, 28))
		drawTextCentered(g, face, strconv.Itoa(label), 14+i%3-1, 14, color.Gray{Y: 255})
		s.Data = append(s.Data, g.Pix...)
		s.Labels = append(s.Labels, uint8(label))
	}
	return s
}

func TestMistakes(t *testing.T) {
	s := digits(t, 60)
	r := &train.Result{Predicted: make([]int, s.Len()), Confidence: make([]float64, s.Len())}
	wrong := 0
	for i := range s.Len() {
		r.Predicted[i] = int(s.Labels[i])
		r.Confidence[i] = 0.99
		if i%3 == 0 { // every third sample is a mistake, with a confidence that depends on i
			r.Predicted[i] = (int(s.Labels[i]) + 5) % 10
			r.Confidence[i] = 0.3 + 0.69*float64(i)/float64(s.Len())
			wrong++
		}
	}
	idx, err := MostConfidentMistakes(s, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != wrong {
		t.Fatalf("%d mistakes, want %d", len(idx), wrong)
	}
	for k, i := range idx {
		if r.Predicted[i] == int(s.Labels[i]) {
			t.Fatalf("sample %d is not a mistake", i)
		}
		if k > 0 && r.Confidence[i] > r.Confidence[idx[k-1]] {
			t.Fatalf("not most confident first: %v", idx)
		}
	}
	for _, n := range []int{36, 7, 1} {
		var b bytes.Buffer
		if err := Mistakes(&b, s, r, n, nil); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		img := decode(t, b.Bytes(), 0, 0)
		if sz := img.Bounds().Size(); sz.X < 28*MistakeScale || sz.Y < 28*MistakeScale {
			t.Errorf("n=%d: picture %v too small", n, sz)
		}
		keep(t, "mistakes_"+strconv.Itoa(n)+".png", b.Bytes())
	}
}

func TestMistakesErrors(t *testing.T) {
	s := digits(t, 5)
	right := &train.Result{Predicted: []int{0, 1, 2, 3, 4}, Confidence: []float64{1, 1, 1, 1, 1}}
	var b bytes.Buffer
	if err := Mistakes(&b, s, right, 36, nil); !errors.Is(err, ErrNoMistakes) {
		t.Errorf("no mistakes: err = %v, want ErrNoMistakes", err)
	}
	wrong := &train.Result{Predicted: []int{1, 1, 2, 3, 4}, Confidence: []float64{1, 1, 1, 1, 1}}
	empty := &dataset.Set{Name: "empty", Features: 784, Rows: 28, Cols: 28}
	xor := &dataset.Set{Name: "xor", Data: []uint8{0, 0, 0, 1, 1, 0, 1, 1}, Labels: []uint8{0, 1, 1, 0}, Features: 2}
	for _, tc := range []struct {
		name string
		s    *dataset.Set
		r    *train.Result
		n    int
	}{
		{"nil set", nil, wrong, 36},
		{"nil result", s, nil, 36},
		{"empty set", empty, &train.Result{}, 36},
		{"n = 0", s, wrong, 0},
		{"short result", s, &train.Result{Predicted: []int{1}, Confidence: []float64{1}}, 36},
		{"not images", xor, &train.Result{Predicted: []int{1, 1, 1, 1}, Confidence: []float64{1, 1, 1, 1}}, 36},
	} {
		if err := Mistakes(&b, tc.s, tc.r, tc.n, nil); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if b.Len() != 0 {
		t.Errorf("%d bytes written despite the errors", b.Len())
	}
}

func TestDiverging(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	if c := Diverging(0, 1); c != white {
		t.Errorf("zero: %v, want white", c)
	}
	for _, v := range []float64{0.05, 0.5, 1, 3} {
		pos, neg := Diverging(v, 1), Diverging(-v, 1)
		if !(pos.R > pos.B && pos.R > pos.G) {
			t.Errorf("%g: %v is not red-ish", v, pos)
		}
		if !(neg.B > neg.R && neg.B > neg.G) {
			t.Errorf("%g: %v is not blue-ish", -v, neg)
		}
	}
	if a, b := Diverging(0.2, 1), Diverging(0.8, 1); int(a.G) <= int(b.G) {
		t.Errorf("0.8 (%v) is not darker than 0.2 (%v)", b, a)
	}
}

// blob returns a 28x28 template: a positive bump at (cx, cy) and a negative one mirrored.
func blob(cx, cy float64) []float64 {
	t := make([]float64, 784)
	for y := range 28 {
		for x := range 28 {
			d1 := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
			d2 := (float64(x)-27+cx)*(float64(x)-27+cx) + (float64(y)-27+cy)*(float64(y)-27+cy)
			t[y*28+x] = 0.3*math.Exp(-d1/20) - 0.2*math.Exp(-d2/30)
		}
	}
	return t
}

func TestWeights(t *testing.T) {
	var templates [][]float64
	var titles []string
	for k := range 10 {
		templates = append(templates, blob(6+float64(k), 8+float64(k)/2))
		titles = append(titles, "digit "+strconv.Itoa(k))
	}
	// template 0 gets exact values at known pixels: +max, -max, 0
	templates[0][0], templates[0][1], templates[0][2] = 0.5, -0.5, 0
	var b bytes.Buffer
	if err := Weights(&b, templates, 28, 28, titles); err != nil {
		t.Fatal(err)
	}
	f, err := newFaces(20, 14, 12)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := layoutWeights(templates, 28, 28, titles, f)
	img := decode(t, b.Bytes(), l.size.X, l.size.Y)
	keep(t, "weights.png", b.Bytes())

	r := l.images[0]
	at := func(x int) color.RGBA { return rgba(img.At(r.Min.X+x*l.px+l.px/2, r.Min.Y+l.px/2)) }
	if c := at(0); !(c.R > 100 && c.R > c.B+60 && c.R > c.G+60) {
		t.Errorf("positive weight pixel %v is not red", c)
	}
	if c := at(1); !(c.B > 60 && c.B > c.R+40 && c.B > c.G+20) {
		t.Errorf("negative weight pixel %v is not blue", c)
	}
	if c := at(2); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("zero weight pixel %v is not white", c)
	}

	// 16 hidden units of a 6x5 image, no titles
	templates = templates[:0]
	for k := range 16 {
		tp := make([]float64, 30)
		for i := range tp {
			tp[i] = math.Sin(float64(i*(k+1))) * float64(k+1)
		}
		templates = append(templates, tp)
	}
	b.Reset()
	if err := Weights(&b, templates, 6, 5, nil); err != nil {
		t.Fatal(err)
	}
	decode(t, b.Bytes(), 0, 0)
	keep(t, "weights_16.png", b.Bytes())
}

func TestWeightsErrors(t *testing.T) {
	var b bytes.Buffer
	for _, tc := range []struct {
		name       string
		templates  [][]float64
		rows, cols int
		titles     []string
	}{
		{"no templates", nil, 28, 28, nil},
		{"empty list", [][]float64{}, 28, 28, nil},
		{"zero size", [][]float64{{}}, 0, 0, nil},
		{"wrong length", [][]float64{make([]float64, 783)}, 28, 28, nil},
		{"titles mismatch", [][]float64{make([]float64, 4)}, 2, 2, []string{"a", "b"}},
	} {
		if err := Weights(&b, tc.templates, tc.rows, tc.cols, tc.titles); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if b.Len() != 0 {
		t.Errorf("%d bytes written despite the errors", b.Len())
	}
}

func TestWeightTemplates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	perc, err := model.New(model.Perceptron(784, 10), rng)
	if err != nil {
		t.Fatal(err)
	}
	templates, titles := WeightTemplates(perc, nil)
	if len(templates) != 10 || len(titles) != 10 || titles[3] != "digit 3" {
		t.Fatalf("perceptron: %d templates, titles %v", len(templates), titles)
	}
	w := perc.Params()[0].Value.Data().([]float32)
	for _, i := range []int{0, 100, 783} {
		if templates[3][i] != float64(w[i*10+3]) {
			t.Errorf("perceptron template 3 [%d] = %g, want W[%d][3] = %g", i, templates[3][i], i, w[i*10+3])
		}
	}

	cfg := model.MLP(784, []int{32}, 10)
	cfg.Dtype = tensor.Float64
	mlp, err := model.New(cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	// make unit 5 the strongest
	w1 := mlp.Params()[0].Value.Data().([]float64)
	for i := range 784 {
		w1[i*32+5] *= 10
	}
	templates, titles = WeightTemplates(mlp, nil)
	if len(templates) != MaxHiddenTemplates || len(titles) != MaxHiddenTemplates || titles[0] != "unit 5" {
		t.Fatalf("mlp: %d templates, titles %v", len(templates), titles)
	}
	if templates[0][7] != w1[7*32+5] {
		t.Errorf("mlp template 0 [7] = %g, want W[7][5] = %g", templates[0][7], w1[7*32+5])
	}
	norm := func(v []float64) (s float64) {
		for _, x := range v {
			s += x * x
		}
		return
	}
	for k := 1; k < len(templates); k++ {
		if norm(templates[k]) > norm(templates[k-1]) {
			t.Errorf("mlp templates not in decreasing norm at %d", k)
		}
	}
	var b bytes.Buffer
	if err := Weights(&b, templates, 28, 28, titles); err != nil {
		t.Fatal(err)
	}
	decode(t, b.Bytes(), 0, 0)
	keep(t, "weights_mlp.png", b.Bytes())

	if tp, ti := WeightTemplates(nil, nil); tp != nil || ti != nil {
		t.Error("nil network: want nil, nil")
	}
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func xorPoints() []BoundaryPoint {
	return []BoundaryPoint{{0, 0, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 0}}
}

func TestBoundary(t *testing.T) {
	panels := []BoundaryPanel{
		{Title: "perceptron (accuracy 50%)", Points: xorPoints(),
			Prob: func(x1, x2 float64) float64 { return sigmoid(3 * (x1 + x2 - 1)) }},
		{Title: "MLP 2-2-1 (accuracy 100%)", Points: xorPoints(),
			Prob: func(x1, x2 float64) float64 {
				h1, h2 := sigmoid(12*(x1+x2-0.5)), sigmoid(12*(x1+x2-1.5))
				return sigmoid(14*(h1-h2) - 6)
			}},
	}
	var b bytes.Buffer
	if err := Boundary(&b, panels); err != nil {
		t.Fatal(err)
	}
	img := decode(t, b.Bytes(), 2*BoundaryPanelWidth+BoundaryLegendWidth, BoundaryHeight)
	keep(t, "boundary.png", b.Bytes())

	// Somewhere in the MLP panel the field is red (class 1 between the lines) and blue outside.
	var red, blue bool
	for y := 0; y < BoundaryHeight; y += 3 {
		for x := BoundaryPanelWidth; x < 2*BoundaryPanelWidth; x += 3 {
			c := rgba(img.At(x, y))
			red = red || (c.R > 200 && c.G < 150 && c.B < 150)
			blue = blue || (c.B > 200 && c.R < 150)
		}
	}
	if !red || !blue {
		t.Errorf("MLP panel: red field %v, blue field %v", red, blue)
	}

	b.Reset()
	one := []BoundaryPanel{{Title: "constant", Prob: func(x1, x2 float64) float64 { return 0.2 }}}
	if err := Boundary(&b, one); err != nil {
		t.Fatalf("one panel without points or boundary: %v", err)
	}
	decode(t, b.Bytes(), BoundaryPanelWidth+BoundaryLegendWidth, BoundaryHeight)
	keep(t, "boundary_one.png", b.Bytes())
}

func TestBoundaryErrors(t *testing.T) {
	var b bytes.Buffer
	p := func(x1, x2 float64) float64 { return 0.5 }
	for _, tc := range []struct {
		name   string
		panels []BoundaryPanel
	}{
		{"no panels", nil},
		{"nil Prob", []BoundaryPanel{{Title: "x"}}},
		{"NaN", []BoundaryPanel{{Title: "x", Prob: func(x1, x2 float64) float64 { return math.NaN() }}}},
		{"bad label", []BoundaryPanel{{Title: "x", Prob: p, Points: []BoundaryPoint{{0, 0, 2}}}}},
	} {
		if err := Boundary(&b, tc.panels); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if b.Len() != 0 {
		t.Errorf("%d bytes written despite the errors", b.Len())
	}
}

func TestGridProb(t *testing.T) {
	calls := 0
	prob, err := GridProb(func(pts [][2]float64) ([]float64, error) {
		calls++
		out := make([]float64, len(pts))
		for i, p := range pts {
			out[i] = p[0] / 10 * p[1]
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pts := BoundaryGridPoints()
	for _, i := range []int{0, 1, BoundaryGrid, len(pts) - 1, 12345} {
		x1, x2 := pts[i][0], pts[i][1]
		if got := prob(x1, x2); got != x1/10*x2 {
			t.Errorf("prob(%g, %g) = %g, want %g", x1, x2, got, x1/10*x2)
		}
	}
	if !math.IsNaN(prob(0.123456, 0.5)) {
		t.Error("off the grid: want NaN")
	}
	if calls != 1 {
		t.Errorf("batch called %d times", calls)
	}
	if _, err := GridProb(func([][2]float64) ([]float64, error) { return nil, nil }); err == nil {
		t.Error("wrong number of values: no error")
	}
}

func TestCompactCount(t *testing.T) {
	for v, want := range map[int]string{0: "0", 999: "999", 1000: "1.0k", 1234: "1.2k", 9949: "9.9k", 9950: "10k",
		12345: "12k", 999499: "999k", 999500: "1.0M", 2600000: "2.6M", 35100325: "35M"} {
		if got := compactCount(v); got != want {
			t.Errorf("compactCount(%d) = %q, want %q", v, got, want)
		}
	}
}
