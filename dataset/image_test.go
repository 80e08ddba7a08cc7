package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// grayImage returns a w x h grey image filled with bg whose pixels f returns true for are ink.
func grayImage(w, h int, bg, ink uint8, f func(x, y int) bool) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := bg
			if f(x, y) {
				v = ink
			}
			m.SetGray(x, y, color.Gray{v})
		}
	}
	return m
}

// digitStats returns the bounding box of the pixels of a prepared digit above zero, its centre of
// mass in pixel-index coordinates, and its largest value.
func digitStats(d []uint8) (box image.Rectangle, cx, cy float64, top uint8) {
	x0, y0, x1, y1 := DigitSize, DigitSize, -1, -1
	var mass float64
	for i, v := range d {
		if v == 0 {
			continue
		}
		x, y := i%DigitSize, i/DigitSize
		x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
		mass += float64(v)
		cx += float64(v) * float64(x)
		cy += float64(v) * float64(y)
		top = max(top, v)
	}
	return image.Rect(x0, y0, x1+1, y1+1), cx / mass, cy / mass, top
}

// encode returns m encoded in the given format.
func encode(t testing.TB, format string, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, m)
	case "jpeg":
		err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&buf, m, &gif.Options{NumColors: 256})
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A black bar on white paper comes out as MNIST draws it: white on black, 20 pixels tall, centred.
func TestPrepareDigitBar(t *testing.T) {
	// A 10x40 bar, whose bounding box becomes 5x20. Its centre of mass in the scaled box is at
	// (2, 9.5), so it is shifted by round(14-2) = 12 and round(14-9.5) = 5 (halves round away from
	// zero): columns 12-16 and rows 5-24 hold 255, every other pixel 0.
	bar := func(x, y int) bool { return x >= 30 && x < 40 && y >= 50 && y < 90 }
	want := make([]uint8, DigitSize*DigitSize)
	for y := 5; y < 25; y++ {
		for x := 12; x < 17; x++ {
			want[y*DigitSize+x] = 255
		}
	}
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"black on white", grayImage(100, 120, 255, 0, bar)},
		{"white on black", grayImage(100, 120, 0, 255, bar)},
		{"dark grey on light grey paper", grayImage(100, 120, 200, 40, bar)},
		{"light grey on dark grey", grayImage(100, 120, 30, 180, bar)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := PrepareDigit(c.img)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", drawDigit(got), drawDigit(want))
			}
		})
	}
}

// drawDigit renders a prepared digit as text, for failure messages.
func drawDigit(d []uint8) string {
	var b strings.Builder
	for y := range DigitSize {
		for x := range DigitSize {
			b.WriteByte(" .:-=+*#%@"[int(d[y*DigitSize+x])*10/256])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// A small blob far off centre is enlarged and centred.
func TestPrepareDigitCentres(t *testing.T) {
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		// A disc of radius 3 near the top-left corner of a 40x30 picture.
		{"disc", grayImage(40, 30, 0, 255, func(x, y int) bool { return (x-4)*(x-4)+(y-5)*(y-5) <= 9 })},
		// A 3x3 square in the corner of an MNIST-sized field.
		{"corner square", grayImage(28, 28, 0, 255, func(x, y int) bool { return x >= 24 && x < 27 && y < 3 })},
		// An L whose heavy vertical stroke pulls the centre of mass to the left.
		{"L", grayImage(60, 60, 255, 0, func(x, y int) bool {
			return x >= 40 && x < 46 && y >= 10 && y < 50 || x >= 40 && x < 58 && y >= 46 && y < 50
		})},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := PrepareDigit(c.img)
			if err != nil {
				t.Fatal(err)
			}
			box, cx, cy, top := digitStats(got)
			if math.Abs(cx-14) > 1 || math.Abs(cy-14) > 1 {
				t.Errorf("centre of mass (%.2f, %.2f), want within 1 pixel of (14, 14)\n%s", cx, cy, drawDigit(got))
			}
			if max(box.Dx(), box.Dy()) != DigitBox {
				t.Errorf("bounding box %v, want the longer side %d", box, DigitBox)
			}
			if top != 255 {
				t.Errorf("strongest ink %d, want 255", top)
			}
		})
	}
}

// A big picture is shrunk so that the longer side of the digit is 20 pixels, keeping the aspect
// ratio and averaging areas.
func TestPrepareDigitLarge(t *testing.T) {
	// A frame 500x300 pixels with 30-pixel strokes, in a 1000x600 picture. Scaled by 20/500, the
	// box is 20x12 and a stroke 1.2 pixels wide: an outer pixel fully inked (255) and an inner
	// one inked over a fifth of its area (51).
	in := func(x, y int) bool { return x >= 200 && x < 700 && y >= 100 && y < 400 }
	inner := func(x, y int) bool { return x >= 230 && x < 670 && y >= 130 && y < 370 }
	img := grayImage(1000, 600, 255, 0, func(x, y int) bool { return in(x, y) && !inner(x, y) })
	got, err := PrepareDigit(img)
	if err != nil {
		t.Fatal(err)
	}
	box, cx, cy, _ := digitStats(got)
	if box.Dx() != 20 || box.Dy() != 12 {
		t.Fatalf("bounding box %v is %dx%d, want 20x12\n%s", box, box.Dx(), box.Dy(), drawDigit(got))
	}
	if math.Abs(cx-14) > 1 || math.Abs(cy-14) > 1 {
		t.Errorf("centre of mass (%.2f, %.2f), want within 1 pixel of (14, 14)", cx, cy)
	}
	at := func(x, y int) uint8 { return got[(box.Min.Y+y)*DigitSize+box.Min.X+x] }
	for _, c := range []struct {
		x, y int
		want uint8
	}{
		{0, 0, 255}, {19, 11, 255}, {10, 0, 255}, {0, 6, 255}, // the outer ring
		{1, 6, 51}, {10, 1, 51}, {18, 6, 51}, {10, 10, 51}, // a fifth of a pixel of ink
		{10, 6, 0}, {2, 2, 0}, // inside the frame
	} {
		if v := at(c.x, c.y); v != c.want {
			t.Errorf("pixel (%d, %d) of the box = %d, want %d", c.x, c.y, v, c.want)
		}
	}
}

// Parts of the picture that are transparent are paper.
func TestPrepareDigitTransparent(t *testing.T) {
	bar := func(x, y int) bool { return x >= 10 && x < 20 && y >= 5 && y < 45 }
	opaque, err := PrepareDigit(grayImage(50, 50, 255, 0, bar))
	if err != nil {
		t.Fatal(err)
	}
	// Black ink on a transparent canvas.
	m := image.NewNRGBA(image.Rect(0, 0, 50, 50))
	for y := range 50 {
		for x := range 50 {
			if bar(x, y) {
				m.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255})
			} else {
				m.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0})
			}
		}
	}
	got, err := PrepareDigit(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, opaque) {
		t.Errorf("black on transparent:\n%s\nwant\n%s", drawDigit(got), drawDigit(opaque))
	}
	// White ink on a transparent canvas, what web canvases export: white on white paper, but the
	// strokes are opaque where the canvas is transparent, so the ink is read from the alpha channel.
	for y := range 50 {
		for x := range 50 {
			if bar(x, y) {
				m.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
			}
		}
	}
	got, err = PrepareDigit(m)
	if err != nil {
		t.Fatalf("white on transparent: %v", err)
	}
	if !bytes.Equal(got, opaque) {
		t.Errorf("white on transparent:\n%s\nwant\n%s", drawDigit(got), drawDigit(opaque))
	}
	// Invalid premultiplied colours (above their alpha) are clamped to it: here, transparent.
	inv := image.NewRGBA(image.Rect(0, 0, 50, 50))
	for i := 0; i < len(inv.Pix); i += 4 {
		copy(inv.Pix[i:], []uint8{255, 255, 255, 0})
		if bar((i/4)%50, (i/4)/50) {
			copy(inv.Pix[i:], []uint8{200, 200, 200, 0})
		}
	}
	if _, err := PrepareDigit(inv); !errors.Is(err, ErrNoInk) {
		t.Errorf("invalid colours: error %v, want ErrNoInk", err)
	}
}

// alphaImage returns a w x h picture of strokes of colour c on a transparent canvas: the opacity
// of pixel (x, y) is alpha[y*w+x], so that 0 is canvas, 255 a stroke and values between are its
// anti-aliased edges.
func alphaImage(w, h int, c color.RGBA, alpha []uint8) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, a := range alpha {
		m.SetNRGBA(i%w, i/w, color.NRGBA{c.R, c.G, c.B, a})
	}
	return m
}

// inkOnWhite returns the same strokes as alphaImage drawn in black on opaque white paper: the
// reference every colour on a transparent canvas must match.
func inkOnWhite(w, h int, alpha []uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i, a := range alpha {
		m.Pix[i] = 255 - a
	}
	return m
}

// Strokes of any colour on a transparent canvas are a digit, whether or not the colour stands out
// from white paper: when it does not (white and light colours), the ink is the alpha channel.
func TestPrepareDigitInkInAlpha(t *testing.T) {
	shapes := []struct {
		name  string
		w, h  int
		alpha []uint8
	}{
		// The smallest: one opaque pixel in the middle of a transparent 3x3 canvas.
		{"one pixel", 3, 3, []uint8{
			0, 0, 0,
			0, 255, 0,
			0, 0, 0,
		}},
		// A short vertical stroke with semi-transparent anti-aliased edges.
		{"anti-aliased stroke", 5, 6, []uint8{
			0, 0, 0, 0, 0,
			0, 64, 128, 64, 0,
			0, 128, 255, 128, 0,
			0, 128, 255, 128, 0,
			0, 64, 255, 32, 0,
			0, 0, 96, 0, 0,
		}},
	}
	colours := []struct {
		name string
		c    color.RGBA
		tol  int // largest difference allowed from black ink on white (see below)
	}{
		// Light colours, which composited on white leave no ink (less than minInkContrast): read
		// from the alpha channel, exactly like black ink on white.
		{"white", color.RGBA{255, 255, 255, 255}, 0},
		{"near white", color.RGBA{250, 250, 250, 255}, 0},
		{"pale yellow", color.RGBA{255, 255, 160, 255}, 0},
		// Darker colours stand out from white paper: read from the colours, whose contrast with the
		// paper is less than 255 levels, so rounding may differ by one level from black ink.
		{"black", color.RGBA{0, 0, 0, 255}, 0},
		{"red", color.RGBA{255, 0, 0, 255}, 1},
		{"mid grey", color.RGBA{128, 128, 128, 255}, 1},
		{"blue", color.RGBA{0, 0, 255, 255}, 1},
	}
	for _, sh := range shapes {
		want, err := PrepareDigit(inkOnWhite(sh.w, sh.h, sh.alpha))
		if err != nil {
			t.Fatalf("%s in black on white: %v", sh.name, err)
		}
		for _, c := range colours {
			t.Run(sh.name+"/"+c.name, func(t *testing.T) {
				img := alphaImage(sh.w, sh.h, c.c, sh.alpha)
				got, err := PrepareDigit(img)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(got, want); d > c.tol {
					t.Errorf("differs by up to %d from black ink on white (allowed %d):\n%s\nwant\n%s", d, c.tol, drawDigit(got), drawDigit(want))
				}
				// The same through a PNG file, as a canvas exports it.
				got, err = ReadDigit(bytes.NewReader(encode(t, "png", img)))
				if err != nil {
					t.Fatalf("through PNG: %v", err)
				}
				if d := maxAbsDiff(got, want); d > c.tol {
					t.Errorf("through PNG: differs by up to %d from black ink on white", d)
				}
			})
		}
	}

	// "Blank" is said only of pictures with neither ink nor varying transparency.
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"white, half transparent everywhere", alphaImage(3, 3, color.RGBA{255, 255, 255, 255}, []uint8{128, 128, 128, 128, 128, 128, 128, 128, 128})},
		{"faint alpha", alphaImage(3, 3, color.RGBA{255, 255, 255, 255}, []uint8{0, 0, 0, 0, 20, 0, 0, 0, 0})},
		{"transparent", alphaImage(3, 3, color.RGBA{}, make([]uint8, 9))},
	} {
		if _, err := PrepareDigit(c.img); !errors.Is(err, ErrNoInk) {
			t.Errorf("%s: PrepareDigit error %v, want ErrNoInk", c.name, err)
		} else if !strings.Contains(err.Error(), "blank or uniform") {
			t.Errorf("%s: error %q does not say blank or uniform", c.name, err)
		}
	}
}

func maxAbsDiff(a, b []uint8) int {
	d := 0
	for i := range a {
		d = max(d, int(a[i])-int(b[i]), int(b[i])-int(a[i]))
	}
	return d
}

// The bounds of an image need not start at (0, 0), and colour images are turned grey.
func TestPrepareDigitBoundsAndColour(t *testing.T) {
	bar := func(x, y int) bool { return x >= 30 && x < 40 && y >= 50 && y < 90 }
	want, err := PrepareDigit(grayImage(100, 120, 255, 0, bar))
	if err != nil {
		t.Fatal(err)
	}
	big := grayImage(300, 300, 255, 0, func(x, y int) bool { return bar(x-100, y-50) })
	sub := big.SubImage(image.Rect(100, 50, 200, 170))
	if got, err := PrepareDigit(sub); err != nil || !bytes.Equal(got, want) {
		t.Errorf("sub-image: %v\n%s", err, drawDigit(got))
	}
	// Dark blue ink on white.
	rgba := image.NewRGBA(image.Rect(-20, -30, 80, 90))
	for y := -30; y < 90; y++ {
		for x := -20; x < 80; x++ {
			c := color.RGBA{255, 255, 255, 255}
			if bar(x+20, y+30) {
				c = color.RGBA{0, 0, 60, 255}
			}
			rgba.SetRGBA(x, y, c)
		}
	}
	if got, err := PrepareDigit(rgba); err != nil || !bytes.Equal(got, want) {
		t.Errorf("blue on white: %v\n%s", err, drawDigit(got))
	}
	// The same through JPEG (decoded as YCbCr).
	got, err := ReadDigit(bytes.NewReader(encode(t, "jpeg", rgba)))
	if err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(got, want); d > 4 {
		t.Errorf("blue on white through JPEG: mean difference %.2f\n%s", d, drawDigit(got))
	}
}

func TestPrepareDigitErrors(t *testing.T) {
	rng := uint32(1)
	noise := func(x, y int) bool { // pseudo-random speckle
		rng = rng*1664525 + 1013904223
		return rng>>28 == 0
	}
	speckled := grayImage(50, 50, 250, 240, noise)
	for _, c := range []struct {
		name string
		img  image.Image
		want string
	}{
		{"zero size", image.NewGray(image.Rectangle{}), "empty image (0x0 pixels)"},
		{"zero width", image.NewGray(image.Rect(5, 5, 5, 10)), "empty image (0x5 pixels)"},
		{"white", grayImage(30, 30, 255, 0, func(x, y int) bool { return false }), "no ink"},
		{"black", grayImage(30, 30, 0, 0, func(x, y int) bool { return false }), "no ink"},
		{"grey", grayImage(30, 30, 128, 0, func(x, y int) bool { return false }), "no ink"},
		{"one pixel", grayImage(1, 1, 0, 0, func(x, y int) bool { return false }), "no ink"},
		{"faint speckle", speckled, "no ink"},
		{"uniform red", uniformRGBA(20, 20, color.RGBA{200, 10, 10, 255}), "no ink"},
		{"transparent", uniformRGBA(20, 20, color.RGBA{}), "no ink"},
		{"image.Uniform", image.NewUniform(color.Black), "larger than the limit"},
		{"inverted rectangle", &image.Gray{Rect: image.Rectangle{Min: image.Pt(10, 10), Max: image.Pt(5, 5)}}, "empty image (0x0 pixels)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := PrepareDigit(c.img)
			if err == nil {
				t.Fatalf("PrepareDigit succeeded:\n%s", drawDigit(got))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func uniformRGBA(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// A digit wider than it is tall, with its weight at one end, is shifted as far as the field
// allows and no further.
func TestPrepareDigitStaysInFrame(t *testing.T) {
	// A heavy 20x20 block with a thin tail 80 pixels long: the box is 100x20, scaled to 20x4,
	// with the centre of mass at about x = 3.6, so centring would shift it by 10 and push the
	// tail out of the field; the shift stops at 28-20 = 8.
	img := grayImage(120, 40, 0, 255, func(x, y int) bool {
		return x >= 10 && x < 30 && y >= 10 && y < 30 || x >= 30 && x < 110 && y == 29
	})
	got, err := PrepareDigit(img)
	if err != nil {
		t.Fatal(err)
	}
	box, _, _, _ := digitStats(got)
	if box.Min.X != 8 || box.Max.X != 28 {
		t.Errorf("bounding box %v, want it to span columns 8 to 27 (shifted right as far as possible)\n%s", box, drawDigit(got))
	}
}

func TestReadDigitErrors(t *testing.T) {
	var valid bytes.Buffer
	if err := png.Encode(&valid, grayImage(10, 10, 0, 255, func(x, y int) bool { return x == 5 })); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "not a PNG, JPEG or GIF image"},
		{"garbage", []byte("this is not a picture of a digit at all"), "not a PNG, JPEG or GIF image"},
		{"BMP", append([]byte("BM"), make([]byte, 60)...), "not a PNG, JPEG or GIF image"},
		{"truncated PNG header", valid.Bytes()[:20], "digit image: reading the header"},
		{"truncated PNG", valid.Bytes()[:valid.Len()-20], "digit image: decoding png"},
		{"huge PNG", hugePNG(t, 10000, 10000), "png image of 10000x10000 pixels is larger than the limit"},
		{"huge GIF", hugeGIF(65535, 65535), "gif image of 65535x65535 pixels is larger than the limit"},
		{"blank PNG", encode(t, "png", image.NewGray(image.Rect(0, 0, 8, 8))), "no ink"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			got, err := ReadDigit(bytes.NewReader(c.in))
			if err == nil {
				t.Fatalf("ReadDigit succeeded:\n%s", drawDigit(got))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("ReadDigit took %v to fail", d)
			}
		})
	}
}

// hugePNG returns the start of a PNG file whose header announces a w x h grey image.
func hugePNG(t testing.TB, w, h int) []byte {
	b := encode(t, "png", image.NewGray(image.Rect(0, 0, 1, 1)))
	// The signature (8 bytes), the IHDR chunk's length and type (8), then width and height.
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29])) // the CRC covers type and data
	return b
}

// hugeGIF returns the start of a GIF file whose logical screen is w x h.
func hugeGIF(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0) // no global colour table
}

func meanAbsDiff(a, b []uint8) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return s / float64(len(a))
}

// mnistTest loads the MNIST test set from the bundled copy.
func mnistTest(t testing.TB) *Set {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		tt.Setenv(MNISTDirEnv, "")
	}
	s, err := LoadMNISTTest("")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mnistImage returns test digit i as a 28x28 grey image, white on black as stored.
func mnistImage(s *Set, i int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, s.Cols, s.Rows))
	copy(m.Pix, s.Sample(i))
	return m
}

// paperImage returns test digit i the way a person would draw it: dark on white, enlarged
// size times with bilinear interpolation.
func paperImage(s *Set, i, size int) *image.Gray {
	xt, yt := resampleTaps(s.Cols, size), resampleTaps(s.Rows, size)
	src := s.Sample(i)
	m := image.NewGray(image.Rect(0, 0, size, size))
	for y, ty := range yt {
		for x, tx := range xt {
			var v float64
			for _, a := range ty {
				for _, b := range tx {
					v += a.w * b.w * float64(src[a.i*s.Cols+b.i])
				}
			}
			m.Pix[y*size+x] = 255 - uint8(math.Round(min(255, v)))
		}
	}
	return m
}

// blockyImage returns test digit i dark on white, each pixel enlarged to a k x k block.
func blockyImage(s *Set, i, k int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, k*s.Cols, k*s.Rows))
	for y := range k * s.Rows {
		for x := range k * s.Cols {
			m.Pix[y*k*s.Cols+x] = 255 - s.Sample(i)[(y/k)*s.Cols+x/k]
		}
	}
	return m
}

// An MNIST digit written to a file and read back is (almost) itself: the pipeline is the one
// that made MNIST. Most come back identical; the others lose a few faint pixels at the edge of
// the digit, below the cropping threshold, which can move the centre of mass across a rounding
// boundary and the digit by one pixel. Enlarging with interpolation and shrinking again blurs.
func TestReadDigitRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the MNIST test set")
	}
	s := mnistTest(t)
	const n = 300
	for _, c := range []struct {
		name     string
		file     func(i int) []byte
		maxMean  float64 // the largest mean absolute difference per pixel, over n digits
		minExact int     // how many of the n digits must come back identical
	}{
		{"PNG 28x28", func(i int) []byte { return encode(t, "png", mnistImage(s, i)) }, 0.5, n * 2 / 3},
		{"GIF 28x28", func(i int) []byte { return encode(t, "gif", palettedGray(mnistImage(s, i))) }, 0.5, n * 2 / 3},
		{"PNG 112x112 blocky dark on white", func(i int) []byte { return encode(t, "png", blockyImage(s, i, 4)) }, 0.5, n * 2 / 3},
		{"PNG 112x112 smooth dark on white", func(i int) []byte { return encode(t, "png", paperImage(s, i, 112)) }, 12, 0},
		{"JPEG 112x112 smooth dark on white", func(i int) []byte { return encode(t, "jpeg", paperImage(s, i, 112)) }, 12, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var sum, worst float64
			worstAt, exact := 0, 0
			for i := range n {
				got, err := ReadDigit(bytes.NewReader(c.file(i)))
				if err != nil {
					t.Fatalf("test digit %d: %v", i, err)
				}
				d := meanAbsDiff(got, s.Sample(i))
				sum += d
				if d == 0 {
					exact++
				}
				if d > worst {
					worst, worstAt = d, i
				}
			}
			t.Logf("mean absolute difference per pixel %.3f (of 255); %d of %d identical; worst %.2f for test digit %d",
				sum/n, exact, n, worst, worstAt)
			if sum/n > c.maxMean || exact < c.minExact {
				got, _ := ReadDigit(bytes.NewReader(c.file(worstAt)))
				t.Errorf("mean difference %.2f (want at most %v), %d identical (want at least %d); worst, test digit %d:\n%s\nwant\n%s",
					sum/n, c.maxMean, exact, c.minExact, worstAt, drawDigit(got), drawDigit(s.Sample(worstAt)))
			}
		})
	}
}

// palettedGray returns m with a palette of the 256 grey levels, so that a GIF keeps them all.
func palettedGray(m *image.Gray) *image.Paletted {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{uint8(i)}
	}
	p := image.NewPaletted(m.Bounds(), pal)
	copy(p.Pix, m.Pix)
	return p
}

func FuzzReadDigit(f *testing.F) {
	digit := grayImage(9, 7, 255, 0, func(x, y int) bool { return x == 4 || y == 1 })
	small := image.NewPaletted(image.Rect(0, 0, 5, 5), palette.Plan9)
	small.SetColorIndex(2, 2, 200)
	for _, b := range [][]byte{
		encode(f, "png", digit),
		encode(f, "gif", digit),
		encode(f, "jpeg", digit),
		encode(f, "png", small),
		encode(f, "png", image.NewGray(image.Rect(0, 0, 3, 3))), // blank
		hugePNG(f, 20000, 20000),
		hugeGIF(9000, 9000),
		[]byte("\x89PNG\r\n\x1a\ngarbage"),
		[]byte("GIF89a garbage"),
		[]byte("garbage"),
		{},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// The fuzzer makes headers announcing large pictures all the time; decoding 50 megapixels
		// at each would slow it to a crawl, and the limit itself is tested above.
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(in)); err == nil && int64(cfg.Width)*int64(cfg.Height) > 1<<20 {
			t.Skip()
		}
		got, err := ReadDigit(bytes.NewReader(in))
		if err != nil {
			if got != nil {
				t.Fatalf("ReadDigit returned a digit and error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "digit image: ") {
				t.Fatalf("error %q does not say what it is about", err)
			}
			return
		}
		checkDigit(t, got)
	})
}

// checkDigit checks what holds for every prepared digit: 784 values, the strongest 255, inside
// a 20x20 box.
func checkDigit(t *testing.T, d []uint8) {
	t.Helper()
	if len(d) != DigitSize*DigitSize {
		t.Fatalf("%d values, want %d", len(d), DigitSize*DigitSize)
	}
	box, _, _, top := digitStats(d)
	if top != 255 {
		t.Fatalf("strongest ink %d, want 255\n%s", top, drawDigit(d))
	}
	if box.Dx() > DigitBox || box.Dy() > DigitBox {
		t.Fatalf("bounding box %v larger than %dx%d\n%s", box, DigitBox, DigitBox, drawDigit(d))
	}
}

// FuzzPrepareDigit feeds arbitrary grey pictures, of any shape, to PrepareDigit.
func FuzzPrepareDigit(f *testing.F) {
	f.Add(uint8(3), []byte{0, 0, 0, 0, 255, 0, 0, 0, 0})
	f.Add(uint8(1), []byte{0, 255, 0})
	f.Add(uint8(10), make([]byte, 100))
	f.Add(uint8(5), []byte("a picture of a two"))
	f.Fuzz(func(t *testing.T, w uint8, pix []byte) {
		if w == 0 {
			return
		}
		h := len(pix) / int(w)
		m := &image.Gray{Pix: pix, Stride: int(w), Rect: image.Rect(0, 0, int(w), h)}
		got, err := PrepareDigit(m)
		if err != nil {
			return
		}
		checkDigit(t, got)
	})
}

// A digit drawn the way a person would, prepared, is nearest to MNIST digits of its own class:
// the preparation puts it where MNIST's digits are, at their size.
func TestPreparedDigitLooksLikeMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the MNIST training set")
	}
	t.Setenv(MNISTDirEnv, "")
	train, _, err := LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	train = train.Limit(20000)
	three := drawnThree()
	// The same 3, small and off centre in a large picture, saved as a JPEG.
	big := image.NewRGBA(image.Rect(0, 0, 900, 600))
	for y := range 600 {
		for x := range 900 {
			big.SetRGBA(x, y, three.RGBAAt(0, 0)) // the paper
		}
	}
	for y := range 280 {
		for x := range 240 {
			big.SetRGBA(600+x, 40+y, three.RGBAAt(x, y))
		}
	}
	test := mnistTest(t)
	type picture struct {
		name  string
		file  []byte
		label int
	}
	cases := []picture{
		{"drawn 3 PNG", encode(t, "png", three), 3},
		{"drawn 3 JPEG off centre", encode(t, "jpeg", big), 3},
	}
	for _, i := range docDigitIndices {
		name := fmt.Sprintf("test digit %d on paper", i)
		cases = append(cases, picture{name, encode(t, "png", paperImage(test, i, 112)), int(test.Labels[i])})
	}
	for _, c := range cases {
		d, err := ReadDigit(bytes.NewReader(c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := nearestLabel(train, d, 9); got != c.label {
			t.Errorf("%s: the digit's nearest MNIST neighbours are mostly %ds, want %ds\n%s", c.name, got, c.label, drawDigit(d))
		}
	}
}

// nearestLabel returns the label most common among the k samples of s nearest to d.
func nearestLabel(s *Set, d []uint8, k int) int {
	type neighbour struct{ dist, label int }
	var near []neighbour // the k nearest so far, nearest first
	for i := range s.Len() {
		dist := 0
		for j, v := range s.Sample(i) {
			e := int(v) - int(d[j])
			dist += e * e
		}
		if len(near) == k && dist >= near[k-1].dist {
			continue
		}
		if len(near) < k {
			near = append(near, neighbour{})
		}
		j := len(near) - 1
		for ; j > 0 && near[j-1].dist > dist; j-- {
			near[j] = near[j-1]
		}
		near[j] = neighbour{dist, int(s.Labels[i])}
	}
	votes := make([]int, s.Classes)
	best := 0
	for _, n := range near {
		votes[n.label]++
		if votes[n.label] > votes[best] {
			best = n.label
		}
	}
	return best
}

var docDigits = flag.String("doc-digits", "", "write the documentation's digit pictures into this `directory` "+
	"(go test ./dataset -run TestWriteDocDigits -doc-digits ../cmd/mnist/testdata)")

// docDigitIndices are the MNIST test samples drawn as documentation pictures: a 7, a 2 and a 4.
var docDigitIndices = []int{0, 1, 4}

// TestWriteDocDigits writes digitN.png for a few MNIST test digits (dark on white, 112x112) and a
// hand-drawn-style 3, when asked to with -doc-digits. It also checks that each reads back as a
// digit close to what it was made from.
func TestWriteDocDigits(t *testing.T) {
	if *docDigits == "" {
		t.Skip("writes pictures only with -doc-digits")
	}
	s := mnistTest(t)
	files := map[string]image.Image{"digit3-drawn.png": drawnThree()}
	for _, i := range docDigitIndices {
		files[fmt.Sprintf("digit%d.png", s.Labels[i])] = paperImage(s, i, 112)
	}
	for name, m := range files {
		b := encode(t, "png", m)
		p := filepath.Join(*docDigits, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadDigit(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		t.Logf("wrote %s (%d bytes); read back:\n%s", p, len(b), drawDigit(got))
	}
}

// drawnThree returns a 3 written with a round pen of radius 9 in dark blue-grey ink on slightly
// grey paper, 240x280 pixels, tilted a little, as a phone picture of a sketch might be.
func drawnThree() *image.RGBA {
	const w, h = 240, 280
	var pts [][2]float64
	// Two arcs, the upper smaller than the lower, joined in the middle.
	arc := func(cx, cy, r, from, to float64) {
		for k := 0; k <= 40; k++ {
			a := from + (to-from)*float64(k)/40
			pts = append(pts, [2]float64{cx + r*math.Cos(a), cy + r*math.Sin(a)})
		}
	}
	arc(118, 92, 48, -2.6, 1.45)
	arc(116, 186, 60, -1.45, 2.7)
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			// Tilt: shear x by the height, as if the page were slanted.
			px, py := float64(x)+0.12*(float64(y)-140), float64(y)
			d := math.Inf(1)
			for k := 1; k < len(pts); k++ {
				d = min(d, segmentDistance(px, py, pts[k-1], pts[k]))
			}
			ink := max(0, min(1, 9.5-d)) // anti-aliased edge one pixel wide
			paper := color.RGBA{236, 234, 228, 255}
			pen := color.RGBA{30, 34, 60, 255}
			mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a)*(1-ink) + float64(b)*ink)) }
			m.SetRGBA(x, y, color.RGBA{mix(paper.R, pen.R), mix(paper.G, pen.G), mix(paper.B, pen.B), 255})
		}
	}
	return m
}

// segmentDistance returns the distance from (x, y) to the segment from a to b.
func segmentDistance(x, y float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((x-a[0])*dx + (y-a[1])*dy) / (dx*dx + dy*dy)
	t = max(0, min(1, t))
	return math.Hypot(x-a[0]-t*dx, y-a[1]-t*dy)
}

func ExamplePrepareDigit() {
	// A black 1 on white paper, as a 60x60 picture: a bar 8 pixels wide and 40 tall.
	img := image.NewGray(image.Rect(0, 0, 60, 60))
	for y := range 60 {
		for x := range 60 {
			v := uint8(255)
			if x >= 20 && x < 28 && y >= 10 && y < 50 {
				v = 0
			}
			img.SetGray(x, y, color.Gray{v})
		}
	}
	d, err := PrepareDigit(img)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Print rows 4 to 25 of the 28x28 result: the bar is now 4x20, white on black, centred.
	for y := 4; y < 26; y++ {
		for x := range DigitSize {
			if d[y*DigitSize+x] > 127 {
				fmt.Print("#")
			} else {
				fmt.Print(".")
			}
		}
		fmt.Println()
	}
	// Output:
	// ............................
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// .............####...........
	// ............................
}

func TestTooLarge(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want bool
	}{
		{10000, 5000, false}, // exactly MaxDigitPixels
		{10000, 5001, true},
		{MaxDigitPixels, 1, false},
		{1, MaxDigitPixels + 1, true},
		{math.MaxInt, math.MaxInt, true}, // the product overflows
		{-5, 3, true},                    // a Dx that overflowed
	} {
		if got := tooLarge(c.w, c.h); got != c.want {
			t.Errorf("tooLarge(%d, %d) = %v, want %v", c.w, c.h, got, c.want)
		}
	}
}

// opaqueType hides an image's concrete type, so grayOnWhite and alphaPlane take their generic
// path (image.At for every pixel).
type opaqueType struct{ image.Image }

// The fast paths for RGBA, NRGBA and paletted pictures read every pixel exactly as image.At
// would: the same grey level composited on white and the same alpha, for every colour and
// opacity, in a sub-image whose bounds do not start at 0.
func TestGrayOnWhiteFastPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := image.Rect(0, 0, 40, 30)
	rgba, nrgba := image.NewRGBA(r), image.NewNRGBA(r)
	colors := make(color.Palette, 200)
	for i := range colors {
		colors[i] = color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
	}
	paletted := image.NewPaletted(r, colors)
	for i := range rgba.Pix {
		rgba.Pix[i], nrgba.Pix[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
	}
	for i := range paletted.Pix {
		paletted.Pix[i] = uint8(rng.IntN(len(colors)))
	}
	sub := image.Rect(3, 5, 37, 28)
	for _, img := range []interface {
		image.Image
		SubImage(image.Rectangle) image.Image
	}{rgba, nrgba, paletted} {
		for _, m := range []image.Image{img, img.SubImage(sub)} {
			name := fmt.Sprintf("%T %v", m, m.Bounds())
			fast, slow := grayOnWhite(m), grayOnWhite(opaqueType{m})
			if !slices.Equal(fast, slow) {
				t.Errorf("%s: grayOnWhite's fast path differs from image.At's colours", name)
			}
			if _, ok := m.(*image.Paletted); !ok && !slices.Equal(alphaPlane(m), alphaPlane(opaqueType{m})) {
				t.Errorf("%s: alphaPlane's fast path differs from image.At's alpha", name)
			}
		}
	}
	// An index past the palette (image.At panics) reads as black, as image/png pads palettes.
	paletted.Pix[0] = 250
	if g := grayOnWhite(paletted); g[0] != 0 {
		t.Errorf("a pixel past the palette: grey level %d, want 0 (black)", g[0])
	}
}
