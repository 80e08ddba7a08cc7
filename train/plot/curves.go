package plot

import (
	"errors"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"

	xfont "golang.org/x/image/font"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"gorgonet/train"
)

// Size of the Curves picture in pixels.
const (
	CurvesWidth  = 1200
	CurvesHeight = 500
)

// The pictures drawn with gonum/plot are rendered at 96 dots per inch: 1 pt = 4/3 px.
const dpi = 96

var (
	colourTrain = color.RGBA{31, 119, 180, 255} // blue
	colourVal   = color.RGBA{255, 127, 14, 255} // orange
)

// Curves draws the learning curves of h: loss per epoch (training and validation) on the left,
// accuracy per epoch (training and validation) on the right. Validation curves are left out where
// their values are NaN (no validation set); non-finite values are skipped.
func Curves(w io.Writer, h train.History) (err error) {
	defer protect("curves", &err)
	if len(h) == 0 {
		return errors.New("plot: curves: the history has no epochs")
	}
	var loss, valLoss, acc, valAcc plotter.XYs
	add := func(xys *plotter.XYs, epoch int, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			*xys = append(*xys, plotter.XY{X: float64(epoch), Y: v})
		}
	}
	for _, e := range h {
		add(&loss, e.Epoch, e.Loss)
		add(&valLoss, e.Epoch, e.ValLoss)
		add(&acc, e.Epoch, e.TrainAcc)
		add(&valAcc, e.Epoch, e.ValAcc)
	}
	if len(loss)+len(valLoss)+len(acc)+len(valAcc) == 0 {
		return errors.New("plot: curves: the history has no finite loss or accuracy")
	}
	lp := newPlot("Loss per epoch", "epoch", "loss")
	ap := newPlot("Accuracy per epoch", "epoch", "accuracy")
	legends := map[*gplot.Plot]*legendBox{lp: {legend: lp.Legend}, ap: {legend: ap.Legend}}
	for _, s := range []struct {
		p    *gplot.Plot
		xys  plotter.XYs
		name string
		c    color.Color
		dash bool
	}{
		{lp, loss, "training", colourTrain, false},
		{lp, valLoss, "validation", colourVal, true},
		{ap, acc, "training", colourTrain, false},
		{ap, valAcc, "validation", colourVal, true},
	} {
		if len(s.xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return err
		}
		line.Color, line.Width = s.c, vg.Points(2)
		if s.dash {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		points.Color, points.Shape, points.Radius = s.c, draw.CircleGlyph{}, vg.Points(2.5)
		switch {
		case len(s.xys) > 60:
			points.Radius = 0 // markers would only blur a long curve
		case len(s.xys) <= 3:
			points.Radius = vg.Points(4) // a lone point must be visible
		}
		s.p.Add(line, points)
		lb := legends[s.p]
		lb.legend.Add(s.name, line, points)
		lb.names = append(lb.names, s.name)
		lb.avoid = append(lb.avoid, s.xys)
	}
	for _, p := range []*gplot.Plot{lp, ap} {
		p.X.Tick.Marker = integerTicks{}
		p.Add(plotter.NewGrid())
		p.Legend = gplot.NewLegend() // no entries: drawn by legendBox instead, where it hides no data
	}
	return render(w, CurvesWidth, CurvesHeight, [][]*gplot.Plot{{lp, ap}}, func(p *gplot.Plot, c draw.Canvas) {
		legends[p].draw(p, c)
	})
}

// A legendBox is a plot's legend drawn on a white box in the corner of the data area where it
// covers the fewest data points (gonum's legend has no background and a fixed corner).
type legendBox struct {
	legend gplot.Legend
	names  []string
	avoid  []plotter.XYs // the data the legend should not hide
}

// draw draws the legend of p, whose whole canvas is c.
func (lb *legendBox) draw(p *gplot.Plot, c draw.Canvas) {
	if len(lb.names) == 0 {
		return
	}
	data := p.DataCanvas(c)
	trX, trY := p.Transforms(&data)
	sty := lb.legend.TextStyle
	var textW, entryH vg.Length
	for _, n := range lb.names {
		textW = max(textW, sty.Width(n))
		entryH = max(entryH, sty.Rectangle(n).Max.Y)
	}
	pad, margin := vg.Points(5), vg.Points(6)
	w := lb.legend.ThumbnailWidth + sty.Rectangle(" ").Max.X + textW + 2*pad
	n := vg.Length(len(lb.names))
	h := n*entryH + (n-1)*lb.legend.Padding + sty.FontExtents().Descent + 2*pad
	// sample the curves densely, in canvas coordinates
	var pts []vg.Point
	for _, xys := range lb.avoid {
		for i := range xys {
			if i == 0 {
				pts = append(pts, vg.Point{X: trX(xys[0].X), Y: trY(xys[0].Y)})
				continue
			}
			for k := 1; k <= 40; k++ {
				f := float64(k) / 40
				pts = append(pts, vg.Point{X: trX(xys[i-1].X + f*(xys[i].X-xys[i-1].X)), Y: trY(xys[i-1].Y + f*(xys[i].Y-xys[i-1].Y))})
			}
		}
	}
	var best vg.Rectangle
	bestScore := -1
	for _, corner := range [][2]bool{{true, false}, {false, false}, {true, true}, {false, true}} { // top right first
		top, left := corner[0], corner[1]
		r := vg.Rectangle{Min: vg.Point{X: data.Max.X - margin - w, Y: data.Min.Y + margin}}
		if left {
			r.Min.X = data.Min.X + margin
		}
		if top {
			r.Min.Y = data.Max.Y - margin - h
		}
		r.Max = vg.Point{X: r.Min.X + w, Y: r.Min.Y + h}
		score := 0
		for _, pt := range pts {
			if pt.X >= r.Min.X-3 && pt.X <= r.Max.X+3 && pt.Y >= r.Min.Y-3 && pt.Y <= r.Max.Y+3 {
				score++
			}
		}
		if bestScore < 0 || score < bestScore {
			best, bestScore = r, score
		}
	}
	c.SetColor(color.NRGBA{255, 255, 255, 235})
	c.Fill(best.Path())
	c.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 190}, Width: vg.Points(0.75)})
	c.Stroke(best.Path())
	leg := lb.legend
	leg.Top, leg.Left = true, true
	leg.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: best.Min.X + pad, Y: best.Min.Y + pad},
		Max: vg.Point{X: best.Max.X - pad, Y: best.Max.Y - pad},
	}})
}

// newPlot returns a plot with a title and axis labels in Liberation Sans, sized for 96 dpi.
func newPlot(title, x, y string) *gplot.Plot {
	p := gplot.New()
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	bold := sans
	bold.Weight = xfont.WeightBold
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(bold, 14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = x, y
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 12)
		a.Tick.Label.Font = font.From(sans, 10)
	}
	p.Legend.TextStyle.Font = font.From(sans, 11)
	p.Legend.Padding = vg.Points(2)
	return p
}

// render draws plots, a grid of rows of plots, on a width x height pixel PNG; after, if not nil,
// is called after each plot is drawn, with its canvas.
func render(w io.Writer, width, height int, plots [][]*gplot.Plot, after func(*gplot.Plot, draw.Canvas)) error {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	c := vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(dpi))
	dc := draw.New(c)
	pad := vg.Points(10)
	tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Points(30), PadY: pad,
		PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: vg.Points(16)}
	canvases := gplot.Align(plots, tiles, dc)
	for i, row := range plots {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
				if after != nil {
					after(p, canvases[i][j])
				}
			}
		}
	}
	return writePNG(w, c.Image())
}

// integerTicks puts ticks on epoch numbers only (whole numbers from 1), at most about 10 labelled.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []gplot.Tick {
	first, last := max(1, int(math.Ceil(lo))), int(math.Floor(hi))
	if last < first {
		return nil
	}
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000} {
		step = s
		if (last-first)/s <= 10 {
			break
		}
	}
	var ticks []gplot.Tick
	for v := first; v <= last; v++ {
		t := gplot.Tick{Value: float64(v)}
		if v%step == 0 {
			t.Label = strconv.Itoa(v)
		}
		if v%step == 0 || step <= 5 {
			ticks = append(ticks, t)
		}
	}
	return ticks
}
