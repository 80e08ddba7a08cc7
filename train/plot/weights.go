package plot

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"slices"

	"golang.org/x/image/font"

	"gorgonet/model"
)

// MaxHiddenTemplates is the number of first-layer units WeightTemplates shows for an MLP.
const MaxHiddenTemplates = 16

// WeightTemplates picks the weight vectors worth looking at as images: those of a dense layer that
// reads the input pixels, the network's first layer. When that layer is the whole network (a
// perceptron: its outputs are the logits) they are the columns of its W (inputs x outputs), one per
// class, titled "digit k" ("output" when there is a single output). When more layers follow, they
// are its columns with the largest Euclidean norm, at most MaxHiddenTemplates of them, largest
// first, titled "unit j" with j the 0-based column (unit) index. It returns nil, nil for a nil
// network or one whose first layer is not dense: there is then no picture that tells the truth.
func WeightTemplates(net *model.Network, names []string) ([][]float64, []string) {
	if net == nil || len(net.Layers) == 0 {
		return nil, nil
	}
	first, ok := net.Layers[0].(*model.Dense)
	if !ok || first.W == nil || first.W.Value == nil || len(first.W.Value.Shape()) != 2 {
		return nil, nil
	}
	perceptron := len(net.Layers) == 1
	in, out := first.W.Value.Shape()[0], first.W.Value.Shape()[1]
	var data []float64
	switch d := first.W.Value.Data().(type) {
	case []float64:
		data = d
	case []float32:
		data = make([]float64, len(d))
		for i, v := range d {
			data[i] = float64(v)
		}
	default:
		return nil, nil
	}
	column := func(j int) []float64 {
		c := make([]float64, in)
		for i := range c {
			c[i] = data[i*out+j] // W is row-major (in, out)
		}
		return c
	}
	var templates [][]float64
	var titles []string
	if perceptron {
		for j := range out {
			templates = append(templates, column(j))
			if out == 1 {
				titles = append(titles, "output")
			} else {
				if numbered(names) {
					titles = append(titles, fmt.Sprintf("digit %d", j))
				} else {
					titles = append(titles, className(names, j))
				}
			}
		}
		return templates, titles
	}
	units := make([]int, out)
	norms := make([]float64, out)
	for j := range out {
		units[j] = j
		for _, v := range column(j) {
			norms[j] += v * v
		}
	}
	slices.SortStableFunc(units, func(a, b int) int {
		switch {
		case norms[a] > norms[b]:
			return -1
		case norms[a] < norms[b]:
			return 1
		}
		return 0
	})
	for _, j := range units[:min(out, MaxHiddenTemplates)] {
		templates = append(templates, column(j))
		titles = append(titles, fmt.Sprintf("unit %d", j))
	}
	return templates, titles
}

// weightsLayout is the geometry of a Weights picture.
type weightsLayout struct {
	size      image.Point
	px        int               // pixels per weight
	images    []image.Rectangle // where each template is drawn
	scales    []float64         // each template's max |w|
	gridCols  int
	tileW     int
	tileH     int
	bar       image.Rectangle
	titleFace font.Face
}

// Weights draws each template (rows*cols values, row-major) as a rows x cols image with a
// blue-white-red colour map symmetric around zero (see Diverging): negative weights blue, zero
// white, positive red. The scale is per template: each one's largest |weight| gets the darkest
// colour, so faint and strong templates are equally legible; the scale is printed under each image
// as "±max". titles names the templates (nil gives "template i").
func Weights(w io.Writer, templates [][]float64, rows, cols int, titles []string) error {
	if len(templates) == 0 {
		return errors.New("plot: weights: no templates")
	}
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("plot: weights: image size %dx%d: want positive rows and cols", rows, cols)
	}
	for i, t := range templates {
		if len(t) != rows*cols {
			return fmt.Errorf("plot: weights: template %d has %d values, want rows*cols = %d", i, len(t), rows*cols)
		}
	}
	if titles != nil && len(titles) != len(templates) {
		return fmt.Errorf("plot: weights: %d titles for %d templates", len(titles), len(templates))
	}
	if titles == nil {
		titles = make([]string, len(templates))
		for i := range titles {
			titles[i] = fmt.Sprintf("template %d", i)
		}
	}
	f, err := newFaces(20, 14, 12)
	if err != nil {
		return err
	}
	defer f.Close()
	l := layoutWeights(templates, rows, cols, titles, f)

	img := newCanvas(l.size.X, l.size.Y)
	drawText(img, f.title, "Weight templates", l.size.X/2, 12, alignCenter, textDark)
	for k, t := range templates {
		r := l.images[k]
		for y := range rows {
			for x := range cols {
				fillRect(img, image.Rect(r.Min.X+x*l.px, r.Min.Y+y*l.px, r.Min.X+(x+1)*l.px, r.Min.Y+(y+1)*l.px),
					Diverging(t[y*cols+x], l.scales[k]))
			}
		}
		strokeRect(img, r.Inset(-1), frameGray)
		cx := (r.Min.X + r.Max.X) / 2
		drawText(img, f.label, titles[k], cx, r.Min.Y-textHeight(f.label)-4, alignCenter, textDark)
		drawText(img, f.small, "±"+formatScale(l.scales[k]), cx, r.Max.Y+4, alignCenter, textGray)
	}

	// the colour bar: -max .. 0 .. +max
	b := l.bar
	for x := range b.Dx() {
		v := 2*float64(x)/float64(b.Dx()-1) - 1
		fillRect(img, image.Rect(b.Min.X+x, b.Min.Y, b.Min.X+x+1, b.Max.Y), Diverging(v, 1))
	}
	strokeRect(img, b.Inset(-1), frameGray)
	drawText(img, f.small, "−max", b.Min.X, b.Max.Y+4, alignCenter, textDark)
	drawText(img, f.small, "0", (b.Min.X+b.Max.X)/2, b.Max.Y+4, alignCenter, textDark)
	drawText(img, f.small, "+max", b.Max.X, b.Max.Y+4, alignCenter, textDark)
	drawText(img, f.small, "colour scale per template: max = its largest |weight|, printed under it",
		(b.Min.X+b.Max.X)/2, b.Max.Y+4+textHeight(f.small)+4, alignCenter, textGray)
	return writePNG(w, img)
}

func layoutWeights(templates [][]float64, rows, cols int, titles []string, f *faces) *weightsLayout {
	n := len(templates)
	l := &weightsLayout{titleFace: f.label}
	gridRows := (n + 4) / 5
	l.gridCols = (n + gridRows - 1) / gridRows
	gridRows = (n + l.gridCols - 1) / l.gridCols
	l.px = max(1, 112/max(rows, cols))
	imgW, imgH := cols*l.px, rows*l.px
	titleW := 0
	for _, t := range titles {
		titleW = max(titleW, textWidth(f.label, t))
	}
	l.tileW = max(imgW, titleW, 70) + 24
	lh, sh := textHeight(f.label), textHeight(f.small)
	l.tileH = lh + 4 + imgH + 4 + sh + 14
	const margin, top = 20, 48
	barH := 14 + 4 + sh + 4 + sh
	width := max(2*margin+l.gridCols*l.tileW, textWidth(f.small, "colour scale per template: max = its largest |weight|, printed under it")+2*margin)
	height := top + gridRows*l.tileH + 12 + barH + margin
	l.size = image.Pt(width, height)
	x0 := (width - l.gridCols*l.tileW) / 2
	for k := range templates {
		tx, ty := x0+(k%l.gridCols)*l.tileW, top+(k/l.gridCols)*l.tileH
		ix, iy := tx+(l.tileW-imgW)/2, ty+lh+4
		l.images = append(l.images, image.Rect(ix, iy, ix+imgW, iy+imgH))
		s := 0.0
		for _, v := range templates[k] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				s = math.Max(s, math.Abs(v))
			}
		}
		l.scales = append(l.scales, s)
	}
	barY := top + gridRows*l.tileH + 12
	l.bar = image.Rect(width/2-120, barY, width/2+120, barY+14)
	return l
}

// formatScale prints a scale with 2 significant digits.
func formatScale(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s >= 0.01 && s < 100:
		return fmt.Sprintf("%.2g", s)
	}
	return fmt.Sprintf("%.1e", s)
}
