package plot

import (
	"errors"
	"fmt"
	"gorgonet/dataset"
	"gorgonet/train"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The square Boundary draws, [BoundaryMin, BoundaryMax]², and the number of grid points along each
// side at which it evaluates the probability.
const (
	BoundaryMin  = -0.5
	BoundaryMax  = 1.5
	BoundaryGrid = 200
)

// Size of each Boundary panel, and of the column beside them with the colour bar and the legend.
const (
	BoundaryPanelWidth  = 480
	BoundaryHeight      = 520
	BoundaryLegendWidth = 190
)

// A BoundaryPoint is a labelled point drawn over the decision boundary.
type BoundaryPoint struct {
	X1, X2 float64
	Label  int // 0 or 1
}

// A BoundaryPanel is one model's view of a 2-D, two-class problem such as XOR.
type BoundaryPanel struct {
	Title string
	// Prob returns the model's probability of class 1 at (x1, x2). It is called at every point of
	// BoundaryGridPoints (40,000 calls); GridProb turns a batched model into such a function.
	Prob   func(x1, x2 float64) float64
	Points []BoundaryPoint
}

// boundaryCoord returns the coordinate of grid index i: the centres of BoundaryGrid equal cells.
func boundaryCoord(i int) float64 {
	return BoundaryMin + (float64(i)+0.5)*(BoundaryMax-BoundaryMin)/BoundaryGrid
}

// BoundaryGridPoints returns the BoundaryGrid² points at which Boundary evaluates Prob, x1 varying
// fastest: (x1, x2) = points[r*BoundaryGrid+c] with x1 the c-th and x2 the r-th grid coordinate.
func BoundaryGridPoints() [][2]float64 {
	pts := make([][2]float64, 0, BoundaryGrid*BoundaryGrid)
	for r := range BoundaryGrid {
		for c := range BoundaryGrid {
			pts = append(pts, [2]float64{boundaryCoord(c), boundaryCoord(r)})
		}
	}
	return pts
}

// GridProb evaluates a model at all BoundaryGridPoints in one call of batch (which returns one
// probability of class 1 per point, in order) and returns a Prob function for a BoundaryPanel that
// looks the results up. It returns NaN off the grid.
func GridProb(batch func(points [][2]float64) ([]float64, error)) (func(x1, x2 float64) float64, error) {
	pts := BoundaryGridPoints()
	p, err := batch(pts)
	if err != nil {
		return nil, err
	}
	if len(p) != len(pts) {
		return nil, fmt.Errorf("plot: grid probabilities: got %d values for %d points", len(p), len(pts))
	}
	index := func(x float64) int {
		i := int(math.Round((x-BoundaryMin)/(BoundaryMax-BoundaryMin)*BoundaryGrid - 0.5))
		if i < 0 || i >= BoundaryGrid || math.Abs(boundaryCoord(i)-x) > 1e-9 {
			return -1
		}
		return i
	}
	return func(x1, x2 float64) float64 {
		c, r := index(x1), index(x2)
		if c < 0 || r < 0 {
			return math.NaN()
		}
		return p[r*BoundaryGrid+c]
	}, nil
}

// probGrid is a panel's probabilities as a plotter.GridXYZ, for the contour.
type probGrid []float64

func (g probGrid) Dims() (c, r int)   { return BoundaryGrid, BoundaryGrid }
func (g probGrid) Z(c, r int) float64 { return g[r*BoundaryGrid+c] }
func (g probGrid) X(c int) float64    { return boundaryCoord(c) }
func (g probGrid) Y(r int) float64    { return boundaryCoord(r) }

var (
	colourClass0 = color.RGBA{33, 102, 172, 255}
	colourClass1 = color.RGBA{178, 24, 43, 255}
)

// fieldColour is the background colour of probability p: a light blue-white-red ramp, so that the
// points and the boundary stand out on it. p = 0.5 is white.
func fieldColour(p float64) color.RGBA {
	return ramp(fieldStops, p)
}

var fieldStops = []color.RGBA{{130, 175, 222, 255}, {186, 214, 238, 255}, {255, 255, 255, 255}, {246, 192, 180, 255}, {232, 130, 120, 255}}

// Boundary draws each panel side by side: the model's probability of class 1 over
// [BoundaryMin, BoundaryMax]² as a colour field (blue towards class 0, white at 0.5, red towards
// class 1), the decision boundary P = 0.5 as a black line, and the points, class 0 as circles and
// class 1 as triangles. A colour bar and the legend stand to the right.
func Boundary(w io.Writer, panels []BoundaryPanel) (err error) {
	defer protect("boundary", &err)
	if len(panels) == 0 {
		return errors.New("plot: boundary: no panels")
	}
	grids := make([]probGrid, len(panels))
	for i, pn := range panels {
		if pn.Prob == nil {
			return fmt.Errorf("plot: boundary: panel %d (%q) has no Prob function", i, pn.Title)
		}
		for _, pt := range pn.Points {
			if pt.Label != 0 && pt.Label != 1 {
				return fmt.Errorf("plot: boundary: panel %q: point (%g, %g) has label %d, want 0 or 1", pn.Title, pt.X1, pt.X2, pt.Label)
			}
		}
		g := make(probGrid, BoundaryGrid*BoundaryGrid)
		for r := range BoundaryGrid {
			for c := range BoundaryGrid {
				x1, x2 := boundaryCoord(c), boundaryCoord(r)
				p := pn.Prob(x1, x2)
				if math.IsNaN(p) {
					return fmt.Errorf("plot: boundary: panel %q: the probability at (%g, %g) is NaN", pn.Title, x1, x2)
				}
				g[r*BoundaryGrid+c] = math.Max(0, math.Min(1, p))
			}
		}
		grids[i] = g
	}

	plots := make([]*gplot.Plot, len(panels))
	var side gplot.Legend
	for i, pn := range panels {
		p := newPlot(pn.Title, "x1", "x2")
		for _, a := range []*gplot.Axis{&p.X, &p.Y} {
			a.Min, a.Max, a.Padding = BoundaryMin, BoundaryMax, 0
		}
		field := image.NewRGBA(image.Rect(0, 0, BoundaryGrid, BoundaryGrid))
		for r := range BoundaryGrid {
			for c := range BoundaryGrid {
				field.SetRGBA(c, BoundaryGrid-1-r, fieldColour(grids[i].Z(c, r))) // image row 0 is the top
			}
		}
		p.Add(plotter.NewImage(field, BoundaryMin, BoundaryMin, BoundaryMax, BoundaryMax))
		contour := plotter.NewContour(grids[i], []float64{0.5}, nil)
		contour.LineStyles = []draw.LineStyle{{Color: color.Black, Width: vg.Points(2)}}
		p.Add(contour)
		p.X.Tick.Marker = gplot.ConstantTicks(boundaryTicks)
		p.Y.Tick.Marker = gplot.ConstantTicks(boundaryTicks)
		legend := gplot.NewLegend()
		legend.TextStyle = p.Legend.TextStyle
		legend.Padding = vg.Points(6)
		legend.Add("P(class 1) = 0.5", &plotter.Line{LineStyle: contour.LineStyles[0]})
		for _, class := range []int{0, 1} {
			var xys plotter.XYs
			for _, pt := range pn.Points {
				if pt.Label == class {
					xys = append(xys, plotter.XY{X: pt.X1, Y: pt.X2})
				}
			}
			fill, ring := classGlyphs(class)
			if len(xys) > 0 {
				sf, _ := plotter.NewScatter(xys)
				sr, _ := plotter.NewScatter(xys)
				sf.GlyphStyle, sr.GlyphStyle = fill, ring
				p.Add(sf, sr)
			}
			fill.Radius, ring.Radius = fill.Radius*0.75, ring.Radius*0.75
			legend.Add("class "+strconv.Itoa(class), glyphThumb{fill}, glyphThumb{ring})
		}
		plots[i] = p
		side = legend // the same for every panel: drawn once, beside them
	}

	width := len(panels)*BoundaryPanelWidth + BoundaryLegendWidth
	img := image.NewRGBA(image.Rect(0, 0, width, BoundaryHeight))
	c := vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(dpi))
	dc := draw.New(c)
	legendW := vg.Length(BoundaryLegendWidth) * vg.Inch / dpi
	panelsArea := draw.Crop(dc, 0, -legendW, 0, 0)
	pad := vg.Points(10)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(24), PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad}
	canvases := gplot.Align([][]*gplot.Plot{plots}, tiles, panelsArea)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	// The side column, aligned with the data area of the panels: the colour bar, then the legend.
	data := plots[0].DataCanvas(canvases[0][0])
	column := draw.Crop(dc, dc.Max.X-legendW, 0, 0, 0)
	drawProbBar(&column, data.Min.Y, data.Max.Y)
	side.Top, side.Left = true, true
	side.Draw(draw.Canvas{Canvas: column.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: column.Min.X + vg.Points(6), Y: data.Min.Y},
		Max: vg.Point{X: column.Max.X, Y: data.Min.Y + (data.Max.Y-data.Min.Y)*0.36},
	}})
	return writePNG(w, c.Image())
}

var boundaryTicks = []gplot.Tick{{Value: -0.5, Label: "-0.5"}, {Value: 0, Label: "0"}, {Value: 0.5, Label: "0.5"},
	{Value: 1, Label: "1"}, {Value: 1.5, Label: "1.5"}}

// classGlyphs returns the filled marker and its black outline for a class.
func classGlyphs(class int) (fill, ring draw.GlyphStyle) {
	r := vg.Points(7)
	if class == 0 {
		return draw.GlyphStyle{Color: colourClass0, Radius: r, Shape: draw.CircleGlyph{}},
			draw.GlyphStyle{Color: color.Black, Radius: r, Shape: draw.RingGlyph{}}
	}
	return draw.GlyphStyle{Color: colourClass1, Radius: r * 1.2, Shape: draw.PyramidGlyph{}},
		draw.GlyphStyle{Color: color.Black, Radius: r * 1.2, Shape: draw.TriangleGlyph{}}
}

// glyphThumb draws a glyph as a legend thumbnail.
type glyphThumb struct{ draw.GlyphStyle }

func (g glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(g.GlyphStyle, c.Center())
}

// drawProbBar draws the vertical colour bar of the field, P(class 1) from 0 (bottom) to 1, at the
// left of side, its top at the top of the panels' data area and its height 55% of it.
func drawProbBar(side *draw.Canvas, ymin, ymax vg.Length) {
	top := ymax
	bottom := ymax - (ymax-ymin)*0.55
	x0 := side.Min.X + vg.Points(10)
	x1 := x0 + vg.Points(14)
	grad := image.NewRGBA(image.Rect(0, 0, 1, 256))
	for y := range 256 {
		grad.SetRGBA(0, y, fieldColour(1-float64(y)/255))
	}
	rect := vg.Rectangle{Min: vg.Point{X: x0, Y: bottom}, Max: vg.Point{X: x1, Y: top}}
	side.DrawImage(rect, grad)
	side.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(0.75)})
	side.Stroke(rect.Path())
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	sty := text.Style{Color: color.Black, Font: font.From(sans, 10), XAlign: draw.XLeft, YAlign: draw.YCenter,
		Handler: gplot.DefaultTextHandler}
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		y := bottom + (top-bottom)*vg.Length(v)
		side.StrokeLine2(draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(0.75)}, x1, y, x1+vg.Points(3), y)
		side.FillText(sty, vg.Point{X: x1 + vg.Points(5), Y: y}, strconv.FormatFloat(v, 'g', -1, 64))
	}
	label := sty
	label.Font = font.From(sans, 11)
	label.XAlign, label.YAlign = draw.XCenter, draw.YTop
	label.Rotation = math.Pi / 2
	side.FillText(label, vg.Point{X: x1 + vg.Points(40), Y: (top + bottom) / 2}, "P(class 1)")
}

// ModelPanel returns the panel of a trained two-class model with two inputs: its probability of
// class 1 over the grid (one batch through ev) and the samples of data as points.
func ModelPanel(title string, ev *train.Evaluator, data *dataset.Set) (BoundaryPanel, error) {
	prob, err := GridProb(func(points [][2]float64) ([]float64, error) {
		rows := make([][]float64, len(points))
		for i, p := range points {
			rows[i] = []float64{p[0], p[1]}
		}
		probs, err := ev.ProbabilitiesOf(rows)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(probs))
		for i, p := range probs {
			out[i] = p[len(p)-1] // a single sigmoid output, or the second of two classes
		}
		return out, nil
	})
	if err != nil {
		return BoundaryPanel{}, err
	}
	scale := data.Scale
	if scale == 0 {
		scale = 1
	}
	points := make([]BoundaryPoint, data.Len())
	for i := range points {
		x := data.Sample(i)
		points[i] = BoundaryPoint{X1: float64(x[0]) * scale, X2: float64(x[1]) * scale, Label: int(data.Labels[i])}
	}
	return BoundaryPanel{Title: title, Prob: prob, Points: points}, nil
}
