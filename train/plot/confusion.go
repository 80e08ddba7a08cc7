package plot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"

	"golang.org/x/image/font"

	"gorgonet/train"
)

// A ConfusionCell is one cell of the ConfusionMatrix picture, as it is drawn.
type ConfusionCell struct {
	True, Predicted int
	Count           int
	Label           string          // the text written in the cell: the count (12k, 2.6M in small cells)
	Rect            image.Rectangle // the cell, in pixels of the picture
	Fill            color.RGBA      // background: white for 0, darker blue for larger counts
	Text            color.RGBA      // label colour: white on dark cells, dark on light ones, grey for 0
}

// ConfusionLayout is the geometry of a ConfusionMatrix picture.
type ConfusionLayout struct {
	Size  image.Point       // width and height of the picture in pixels
	Cells [][]ConfusionCell // Cells[t][p]: row t (true class, 0 at the top), column p (predicted, 0 at the left)
	Max   int               // the largest count: the darkest colour

	cell, fontPx int
	grid         image.Rectangle
	bar          image.Rectangle // the colour bar
}

// NewConfusionLayout checks c and lays out its picture. The colour of a cell grows with
// log(1+count)/log(1+max count): on a linear scale a good classifier's off-diagonal counts, which
// are what the picture is for, would all look white.
func NewConfusionLayout(c train.Confusion) (*ConfusionLayout, error) {
	k := len(c)
	if k == 0 {
		return nil, errors.New("plot: confusion matrix: it is empty")
	}
	l := &ConfusionLayout{}
	for t, row := range c {
		if len(row) != k {
			return nil, fmt.Errorf("plot: confusion matrix: row %d has %d columns, want %d (a square matrix)", t, len(row), k)
		}
		for p, v := range row {
			if v < 0 {
				return nil, fmt.Errorf("plot: confusion matrix: count [%d][%d] = %d is negative", t, p, v)
			}
			l.Max = max(l.Max, v)
		}
	}
	l.cell = max(22, min(60, 600/k))
	// Liberation Sans digits are 0.556 em wide: the widest label must fit the cell with a margin.
	fit := func(chars int) int {
		return int(math.Min(float64(l.cell)*0.32, float64(l.cell-8)/(0.556*float64(chars))))
	}
	label := strconv.Itoa
	l.fontPx = fit(len(strconv.Itoa(l.Max)))
	if l.fontPx < 9 { // too small to read: write large counts as 12k, 2.6M
		label = compactCount
		l.fontPx = fit(len(compactCount(l.Max)))
	}
	l.fontPx = max(l.fontPx, 7)
	// at least 500 px wide, so that the title and subtitle fit: small matrices get wider margins
	left, top, bottom, right := 92, 86, 74, 110
	if extra := 500 - (left + k*l.cell + right); extra > 0 {
		left, right = left+extra/2, right+extra-extra/2
	}
	l.grid = image.Rect(left, top, left+k*l.cell, top+k*l.cell)
	l.bar = image.Rect(l.grid.Max.X+28, l.grid.Min.Y, l.grid.Max.X+28+16, l.grid.Max.Y)
	l.Size = image.Pt(l.grid.Max.X+right, l.grid.Max.Y+bottom)
	l.Cells = make([][]ConfusionCell, k)
	for t, row := range c {
		l.Cells[t] = make([]ConfusionCell, k)
		for p, v := range row {
			x, y := l.grid.Min.X+p*l.cell, l.grid.Min.Y+t*l.cell
			fill := l.colour(v)
			text := textDark
			switch {
			case v == 0:
				text = color.RGBA{170, 170, 170, 255}
			case isDark(fill):
				text = color.RGBA{255, 255, 255, 255}
			}
			l.Cells[t][p] = ConfusionCell{True: t, Predicted: p, Count: v, Label: label(v),
				Rect: image.Rect(x, y, x+l.cell, y+l.cell), Fill: fill, Text: text}
		}
	}
	return l, nil
}

// compactCount writes v in at most 4 characters: 999, 1.2k, 12k, 999k, 1.2M, ...
func compactCount(v int) string {
	if v < 1000 {
		return strconv.Itoa(v)
	}
	x := float64(v)
	for _, unit := range []string{"k", "M", "G", "T", "P", "E"} {
		x /= 1000
		if x < 9.95 {
			return strconv.FormatFloat(x, 'f', 1, 64) + unit
		}
		if x < 999.5 {
			return strconv.FormatFloat(x, 'f', 0, 64) + unit
		}
	}
	return strconv.Itoa(v)
}

// colour returns the fill of a cell counting v.
func (l *ConfusionLayout) colour(v int) color.RGBA {
	if v <= 0 || l.Max <= 0 {
		return color.RGBA{255, 255, 255, 255}
	}
	return ramp(blues, math.Log1p(float64(v))/math.Log1p(float64(l.Max)))
}

// ConfusionMatrix draws c (c[true][predicted]) as a heat map with the count written in each cell:
// true classes down the side, predicted classes along the bottom, the diagonal the right answers,
// each class labelled by its name in names (nil: by its number). See NewConfusionLayout for the
// colour scale.
func ConfusionMatrix(w io.Writer, c train.Confusion, names []string) error {
	if names != nil && len(names) != len(c) {
		return fmt.Errorf("plot: confusion matrix: %d class names for %d classes", len(names), len(c))
	}
	l, err := NewConfusionLayout(c)
	if err != nil {
		return err
	}
	f, err := newFaces(20, 15, 13)
	if err != nil {
		return err
	}
	defer f.Close()
	countFace, err := newFace(float64(l.fontPx), false)
	if err != nil {
		return err
	}
	defer countFace.Close()

	img := newCanvas(l.Size.X, l.Size.Y)
	g := l.grid
	cx := (g.Min.X + g.Max.X) / 2
	drawText(img, f.title, "Confusion matrix", l.Size.X/2, 14, alignCenter, textDark)
	drawText(img, f.small, fmt.Sprintf("%d samples, accuracy %.2f%%, diagonal = right answers", c.Total(), 100*c.Accuracy()),
		l.Size.X/2, 42, alignCenter, textGray)

	for _, row := range l.Cells {
		for _, cell := range row {
			fillRect(img, cell.Rect, cell.Fill)
		}
	}
	// thin light lines between cells, then the labels on top
	for i := 0; i <= len(c); i++ {
		fillRect(img, image.Rect(g.Min.X+i*l.cell, g.Min.Y, g.Min.X+i*l.cell+1, g.Max.Y), lineGray)
		fillRect(img, image.Rect(g.Min.X, g.Min.Y+i*l.cell, g.Max.X, g.Min.Y+i*l.cell+1), lineGray)
	}
	strokeRect(img, g.Inset(-1), frameGray)
	for _, row := range l.Cells {
		for _, cell := range row {
			r := cell.Rect
			drawTextCentered(img, countFace, cell.Label, (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2, cell.Text)
		}
	}

	// class ticks: predicted along the bottom, true down the left side
	tickFace := f.label
	if l.cell < 30 {
		tickFace = f.small
	}
	for i := range c {
		mid := i*l.cell + l.cell/2
		drawText(img, tickFace, className(names, i), g.Min.X+mid, g.Max.Y+8, alignCenter, textDark)
		drawTextCentered(img, tickFace, className(names, i), g.Min.X-16, g.Min.Y+mid, textDark)
	}
	what := "digit" // MNIST's ten classes; other problems have classes
	if len(c) != 10 || !numbered(names) {
		what = "class"
	}
	drawText(img, f.label, "predicted "+what, cx, g.Max.Y+8+textHeight(tickFace)+10, alignCenter, textDark)
	drawTextVertical(img, f.label, "true "+what, g.Min.X-52, (g.Min.Y+g.Max.Y)/2, textDark)

	l.drawBar(img, f.small)
	return writePNG(w, img)
}

// drawBar draws the colour scale beside the grid, with counts 0, 1, 10, 100, ... and the maximum.
func (l *ConfusionLayout) drawBar(img *image.RGBA, face font.Face) {
	b := l.bar
	h := b.Dy()
	for y := range h {
		t := 1 - float64(y)/float64(h-1)
		c := ramp(blues, t)
		if math.Expm1(t*math.Log1p(float64(l.Max))) < 0.5 { // the count this height stands for
			c = color.RGBA{255, 255, 255, 255}
		}
		fillRect(img, image.Rect(b.Min.X, b.Min.Y+y, b.Max.X, b.Min.Y+y+1), c)
	}
	strokeRect(img, b.Inset(-1), frameGray)
	drawText(img, face, "count", (b.Min.X+b.Max.X)/2, b.Min.Y-20, alignCenter, textGray)
	yOf := func(v int) int {
		if l.Max == 0 {
			return b.Max.Y - 1
		}
		return b.Max.Y - 1 - int(math.Round(math.Log1p(float64(v))/math.Log1p(float64(l.Max))*float64(h-1)))
	}
	ticks := []int{0}
	for v := 1; v < l.Max; v *= 10 {
		ticks = append(ticks, v)
	}
	if l.Max > 0 {
		ticks = append(ticks, l.Max)
	}
	// Keep labels at least 16 px apart, dropping ticks below the maximum, which always shows.
	minGap := 16
	var keep []int
	for i := len(ticks) - 1; i >= 0; i-- {
		if len(keep) == 0 || yOf(ticks[i])-yOf(keep[len(keep)-1]) >= minGap {
			keep = append(keep, ticks[i])
		}
	}
	for _, v := range keep {
		y := yOf(v)
		s := strconv.Itoa(v)
		if v >= 100000 {
			s = compactCount(v)
		}
		fillRect(img, image.Rect(b.Max.X, y, b.Max.X+4, y+1), frameGray)
		drawTextCentered(img, face, s, b.Max.X+8+textWidth(face, s)/2, y, textDark)
	}
}

// className returns the name of class i: names[i], or i when names is nil.
func className(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return strconv.Itoa(i)
}

// numbered reports whether names are the classes' numbers, "0", "1", ... (or nil).
func numbered(names []string) bool {
	for i, n := range names {
		if n != strconv.Itoa(i) {
			return false
		}
	}
	return true
}
