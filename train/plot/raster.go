package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The pictures that are grids of cells (confusion matrix, mistakes, weights) are drawn pixel by
// pixel with image/draw, text with the Liberation Sans faces gonum/plot ships: exact pixel
// geometry, crisp digits, and layouts the tests can check.

var (
	fontsOnce             sync.Once
	sansRegular, sansBold *opentype.Font
	fontsErr              error
)

// newFace returns a Liberation Sans face of size px pixels. Faces are not safe for concurrent use,
// so each picture makes its own.
func newFace(px float64, bold bool) (font.Face, error) {
	fontsOnce.Do(func() {
		if sansRegular, fontsErr = opentype.Parse(liberationsansregular.TTF); fontsErr != nil {
			return
		}
		sansBold, fontsErr = opentype.Parse(liberationsansbold.TTF)
	})
	if fontsErr != nil {
		return nil, fmt.Errorf("plot: font: %w", fontsErr)
	}
	f := sansRegular
	if bold {
		f = sansBold
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
}

// faces holds the faces one picture uses.
type faces struct {
	title, label, small font.Face
}

func newFaces(title, label, small float64) (*faces, error) {
	var f faces
	var err error
	if f.title, err = newFace(title, true); err != nil {
		return nil, err
	}
	if f.label, err = newFace(label, false); err != nil {
		return nil, err
	}
	if f.small, err = newFace(small, false); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *faces) Close() {
	for _, face := range []font.Face{f.title, f.label, f.small} {
		if face != nil {
			face.Close()
		}
	}
}

// Horizontal anchors of text.
const (
	alignLeft = iota
	alignCenter
	alignRight
)

// textWidth returns the advance width of s in pixels.
func textWidth(face font.Face, s string) int { return font.MeasureString(face, s).Ceil() }

// textHeight returns the ascent plus descent of face in pixels: the height of a line of text.
func textHeight(face font.Face) int {
	m := face.Metrics()
	return (m.Ascent + m.Descent).Ceil()
}

// drawText draws s with its top (the face's ascent line) at y, anchored at x by align.
func drawText(dst draw.Image, face font.Face, s string, x, y, align int, c color.Color) {
	switch align {
	case alignCenter:
		x -= textWidth(face, s) / 2
	case alignRight:
		x -= textWidth(face, s)
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face,
		Dot: fixed.Point26_6{X: fixed.I(x), Y: fixed.I(y) + face.Metrics().Ascent}}
	d.DrawString(s)
}

// drawTextCentered draws s with the bounding box of its glyphs centred on (cx, cy).
func drawTextCentered(dst draw.Image, face font.Face, s string, cx, cy int, c color.Color) {
	b, _ := font.BoundString(face, s)
	dot := fixed.Point26_6{
		X: fixed.I(cx) - (b.Min.X+b.Max.X)/2,
		Y: fixed.I(cy) - (b.Min.Y+b.Max.Y)/2,
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: dot}
	d.DrawString(s)
}

// drawTextVertical draws s rotated a quarter turn anticlockwise (read from bottom to top), centred
// on (cx, cy).
func drawTextVertical(dst draw.Image, face font.Face, s string, cx, cy int, c color.Color) {
	w, h := textWidth(face, s)+2, textHeight(face)+2
	tmp := image.NewRGBA(image.Rect(0, 0, w, h))
	drawText(tmp, face, s, 1, 1, alignLeft, c)
	rot := image.NewRGBA(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			rot.SetRGBA(y, w-1-x, tmp.RGBAAt(x, y))
		}
	}
	r := image.Rect(cx-h/2, cy-w/2, cx-h/2+h, cy-w/2+w)
	draw.Draw(dst, r, rot, image.Point{}, draw.Over)
}

func fillRect(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// strokeRect draws a one-pixel outline just inside r.
func strokeRect(dst draw.Image, r image.Rectangle, c color.Color) {
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	fillRect(dst, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	fillRect(dst, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}

func newCanvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fillRect(img, img.Bounds(), color.White)
	return img
}

func writePNG(w io.Writer, img image.Image) error {
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("plot: writing PNG: %w", err)
	}
	return nil
}

var (
	textDark  = color.RGBA{25, 25, 25, 255}
	textGray  = color.RGBA{110, 110, 110, 255}
	lineGray  = color.RGBA{200, 200, 200, 255}
	frameGray = color.RGBA{150, 150, 150, 255}
)

// lerp interpolates linearly between two colours, t in [0,1].
func lerp(a, b color.RGBA, t float64) color.RGBA {
	f := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + t*(float64(y)-float64(x)))) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
}

// ramp interpolates along evenly spaced colour stops, t in [0,1] (clamped).
func ramp(stops []color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	pos := t * float64(len(stops)-1)
	i := min(int(pos), len(stops)-2)
	return lerp(stops[i], stops[i+1], pos-float64(i))
}

// Diverging colour map: ColorBrewer RdBu, from dark blue through white to dark red.
var (
	divergingNeg = []color.RGBA{{255, 255, 255, 255}, {209, 229, 240, 255}, {146, 197, 222, 255}, {67, 147, 195, 255}, {33, 102, 172, 255}, {5, 48, 97, 255}}
	divergingPos = []color.RGBA{{255, 255, 255, 255}, {253, 219, 199, 255}, {244, 165, 130, 255}, {214, 96, 77, 255}, {178, 24, 43, 255}, {103, 0, 31, 255}}
)

// Diverging maps v in [-scale, scale] onto the blue-white-red colour map the weight pictures use:
// negative values blue, zero exactly white, positive values red, darker with |v|/scale (clamped
// to 1). A scale of 0 (an all-zero template) maps everything to white; NaN maps to grey.
func Diverging(v, scale float64) color.RGBA {
	if math.IsNaN(v) {
		return color.RGBA{128, 128, 128, 255}
	}
	if scale <= 0 || v == 0 {
		return color.RGBA{255, 255, 255, 255}
	}
	t := math.Min(1, math.Abs(v)/scale)
	if v < 0 {
		return ramp(divergingNeg, t)
	}
	return ramp(divergingPos, t)
}

// blues is ColorBrewer's sequential Blues, white to dark blue.
var blues = []color.RGBA{{247, 251, 255, 255}, {222, 235, 247, 255}, {198, 219, 239, 255}, {158, 202, 225, 255}, {107, 174, 214, 255}, {66, 146, 198, 255}, {33, 113, 181, 255}, {8, 81, 156, 255}, {8, 48, 107, 255}}

// isDark reports whether text on c should be white rather than dark.
func isDark(c color.RGBA) bool {
	// relative luminance, sRGB coefficients on the gamma-encoded values: good enough here
	return 0.2126*float64(c.R)+0.7152*float64(c.G)+0.0722*float64(c.B) < 140
}

// protect turns a panic inside a drawing library into an error: a picture is never worth a crash.
func protect(what string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("plot: %s: %v", what, r)
	}
}
