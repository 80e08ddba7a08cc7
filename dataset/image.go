package dataset

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"

	// Register the decoders ReadDigit accepts with image.Decode.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
)

// The geometry of an MNIST sample: the digit's bounding box was scaled so that its longer side is
// DigitBox pixels, and the result was placed in a DigitSize x DigitSize field so that the centre of
// mass of its intensities falls on the centre of the field.
const (
	DigitSize = 28
	DigitBox  = 20
)

// MaxDigitPixels bounds the size of a picture ReadDigit decodes (50 megapixels), checked against
// the size in the file's header before any pixel is decoded, so that a small file announcing a huge
// image (a decompression bomb) cannot make it allocate gigabytes.
const MaxDigitPixels = 50_000_000

// minInkContrast is how much darker than the paper (in grey levels of 255) the darkest stroke must
// be for the picture to count as holding a digit; below it a picture is taken as blank, which also
// keeps JPEG noise on an empty page from being stretched into a "digit".
const minInkContrast = 24

// inkFraction sets the threshold, as a fraction of the strongest ink, above which a pixel counts as
// part of the digit when cropping to its bounding box. It is small so that anti-aliased edges stay,
// yet large enough that faint paper texture and noise do not stretch the box.
const inkFraction = 0.1

// ReadDigit decodes a PNG, JPEG or GIF picture of one handwritten digit (the first frame of a GIF)
// and prepares it with PrepareDigit. Pictures larger than MaxDigitPixels are rejected before they
// are decoded.
func ReadDigit(r io.Reader) ([]uint8, error) { return ReadImage(r, PrepDigit) }

// PrepareDigit turns a picture of one handwritten digit into a sample laid out like MNIST: 784
// values, row after row of a 28x28 field, 0 for background and 255 for ink. It follows the way
// MNIST was made (LeCun et al.):
//
//   - convert to grey levels, compositing transparent parts on white; when that shows no ink but
//     the transparency varies (strokes of a light colour, white included, on a transparent canvas,
//     as web canvases and drawing apps export them), read the ink from the alpha channel instead,
//     opaque being ink (see inkPlane);
//   - if the background (the median of the border pixels) is light, invert, so that the digit is
//     light on dark; then subtract the background level, so grey paper becomes 0;
//   - crop to the bounding box of the pixels holding ink (above a small threshold);
//   - scale the box, keeping its aspect ratio and anti-aliasing (area averaging when shrinking,
//     bilinear when enlarging), so that its longer side is 20 pixels, and stretch the intensities
//     so that the strongest ink is 255;
//   - place it in the 28x28 field so that the centre of mass of the intensities is at (14, 14),
//     in pixel-index coordinates, as measured on the MNIST images; the shift is rounded to whole
//     pixels and limited so that the digit stays inside the field.
//
// It returns an error for an image without pixels, for one larger than MaxDigitPixels and one
// wrapping ErrNoInk for an image without ink in its colours or its transparency (blank or uniform).
func PrepareDigit(img image.Image) ([]uint8, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("digit image: empty image (%dx%d pixels)", max(0, b.Dx()), max(0, b.Dy()))
	}
	w, h := b.Dx(), b.Dy()
	// Checked here too, for images made in memory: image.Uniform, for one, is a billion pixels wide.
	if tooLarge(w, h) {
		return nil, fmt.Errorf("digit image: %dx%d pixels is larger than the limit of %d pixels", w, h, MaxDigitPixels)
	}
	gray, bg, peak, ok := inkPlane(img, w, h)
	if !ok {
		return nil, fmt.Errorf("digit image: %w: the %dx%d image is blank or uniform "+
			"(no pixel stands out from the background by %d grey levels, in colour or in transparency)", ErrNoInk, w, h, minInkContrast)
	}

	// Bounding box of the ink.
	thr := bg + max(1, int(inkFraction*float64(peak)))
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		row := gray[y*w : (y+1)*w]
		for x, v := range row {
			if int(v) >= thr {
				x0, x1 = min(x0, x), max(x1, x)
				y0, y1 = min(y0, y), max(y1, y)
			}
		}
	}
	cw, ch := x1-x0+1, y1-y0+1

	// Scale the box so that its longer side is DigitBox, keeping the aspect ratio.
	long := max(cw, ch)
	nw := max(1, int(math.Round(float64(cw)*DigitBox/float64(long))))
	nh := max(1, int(math.Round(float64(ch)*DigitBox/float64(long))))
	small := resample(gray, w, x0, y0, cw, ch, nw, nh, bg)

	// Stretch so that the strongest ink is 255, as in MNIST, where almost every digit reaches it;
	// this also restores thin strokes that shrinking has made faint.
	var top, mass, mx, my float64
	for i, v := range small {
		top = max(top, v)
		mass += v
		mx += v * float64(i%nw)
		my += v * float64(i/nw)
	}
	if top <= 0 {
		// Not reachable with the threshold above, but never divide by zero.
		return nil, fmt.Errorf("digit image: no ink left after scaling the %dx%d image", w, h)
	}
	ox := clampInt(int(math.Round(DigitSize/2-mx/mass)), 0, DigitSize-nw)
	oy := clampInt(int(math.Round(DigitSize/2-my/mass)), 0, DigitSize-nh)

	out := make([]uint8, DigitSize*DigitSize)
	for y := range nh {
		for x := range nw {
			v := math.Round(small[y*nw+x] * 255 / top)
			out[(oy+y)*DigitSize+ox+x] = uint8(min(255, max(0, v)))
		}
	}
	return out, nil
}

// ErrNoInk is wrapped by the errors of PrepareDigit and ReadDigit for a picture in which nothing
// stands out from the background, in colour or in transparency: a blank or uniform picture.
var ErrNoInk = errors.New("no ink")

// inkPlane returns the picture as one value per pixel, row after row, with the ink light on a dark
// background, together with the background level (the median of the border) and how far the
// strongest ink stands out from it. The ink is read from the colours, composited on white paper, and
// made light on dark by inverting when the paper is light. When the colours show no ink (nothing
// stands out by minInkContrast) but the transparency varies, it is read from the alpha channel,
// opaque standing for ink: a digit drawn in white, or any light colour, on a transparent canvas is
// white on white paper but stands out in its alpha. The colours come first so that a picture of
// dark ink on an opaque sheet with transparent surroundings (a sticker, say) is read by its ink,
// not by the outline of the sheet. ok is false when neither shows ink.
func inkPlane(img image.Image, w, h int) (plane []uint8, bg, peak int, ok bool) {
	gray := grayOnWhite(img)
	if bg, peak := lightOnDark(gray, w, h); peak >= minInkContrast {
		return gray, bg, peak, true
	}
	if alpha := alphaPlane(img); alpha != nil {
		if bg, peak := lightOnDark(alpha, w, h); peak >= minInkContrast {
			return alpha, bg, peak, true
		}
	}
	return nil, 0, 0, false
}

// lightOnDark inverts plane in place when its background (the median of the border) is light, so
// that what stands out from it is light on dark, and returns the background level and how far the
// strongest value stands out above it.
func lightOnDark(plane []uint8, w, h int) (bg, peak int) {
	// The border is almost all background even when the digit touches an edge; its median tells
	// paper from ink, where the mean would be pulled by a thick stroke along an edge.
	bg = borderMedian(plane, w, h)
	if bg > 127 {
		for i, v := range plane {
			plane[i] = 255 - v
		}
		bg = 255 - bg
	}
	for _, v := range plane {
		peak = max(peak, int(v)-bg)
	}
	return bg, peak
}

// alphaPlane returns the opacity (0 transparent to 255 opaque) of every pixel of img, row after
// row, or nil when img is opaque.
func alphaPlane(img image.Image) []uint8 {
	switch m := img.(type) {
	case *image.Gray, *image.YCbCr:
		return nil
	case interface{ Opaque() bool }:
		if m.Opaque() {
			return nil
		}
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	alpha := make([]uint8, w*h)
	switch m := img.(type) {
	case *image.RGBA:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				alpha[y*w+x] = row[4*x+3]
			}
		}
		return alpha
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				alpha[y*w+x] = row[4*x+3]
			}
		}
		return alpha
	}
	for y := range h {
		for x := range w {
			_, _, _, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			alpha[y*w+x] = uint8(a >> 8)
		}
	}
	return alpha
}

// grayOnWhite returns the luma (ITU-R BT.601, as color.GrayModel computes it) of every pixel of
// img, row after row, with transparent parts composited on white: a digit drawn on a transparent
// canvas is meant to be seen on paper.
func grayOnWhite(img image.Image) []uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := make([]uint8, w*h)
	switch m := img.(type) {
	case *image.Gray: // PNG grey scale: opaque, already luma
		for y := range h {
			copy(gray[y*w:(y+1)*w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr: // JPEG: opaque, and Y is the luma
		for y := range h {
			for x := range w {
				gray[y*w+x] = m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)]
			}
		}
	case *image.RGBA: // PNG true colour, premultiplied: read in place, as color.RGBA.RGBA would
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				p := row[4*x : 4*x+4]
				gray[y*w+x] = lumaOnWhite(uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101, uint32(p[3])*0x101)
			}
		}
	case *image.NRGBA: // PNG true colour with alpha: premultiplied as color.NRGBA.RGBA does
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				p := row[4*x : 4*x+4]
				gray[y*w+x] = lumaOnWhite(color.NRGBA{p[0], p[1], p[2], p[3]}.RGBA())
			}
		}
	case *image.Paletted: // PNG and GIF palettes: each colour's grey level once
		var levels [256]uint8
		for i, c := range m.Palette {
			levels[i] = lumaOnWhite(c.RGBA())
		}
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				gray[y*w+x] = levels[row[x]] // an index past the palette: black, as image/png pads it
			}
		}
	default:
		for y := range h {
			for x := range w {
				gray[y*w+x] = lumaOnWhite(img.At(b.Min.X+x, b.Min.Y+y).RGBA())
			}
		}
	}
	return gray
}

// lumaOnWhite is the grey level of an alpha-premultiplied 16-bit colour composited on white.
func lumaOnWhite(r, g, bl, a uint32) uint8 {
	// White shows through with weight 1-a. A colour above its alpha is not a valid premultiplied
	// colour; clamping it also keeps the sums below from overflowing.
	white := 0xffff - a
	r, g, bl = min(r, a)+white, min(g, a)+white, min(bl, a)+white
	return uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 24)
}

// borderMedian returns the median grey level of the pixels on the edge of a w x h image.
func borderMedian(gray []uint8, w, h int) int {
	var hist [256]int
	n := 0
	for y := range h {
		row := gray[y*w : (y+1)*w]
		if y == 0 || y == h-1 {
			for _, v := range row {
				hist[v]++
			}
			n += w
			continue
		}
		hist[row[0]]++
		hist[row[w-1]]++ // the same pixel as row[0] when w is 1, counted twice like the rows
		n += 2
	}
	seen := 0
	for v, c := range hist {
		seen += c
		if 2*seen >= n {
			return v
		}
	}
	return 255
}

// tap is one source pixel's weight in an output pixel.
type tap struct {
	i int
	w float64
}

// resampleTaps returns, for each of dst output pixels along one axis, the weighted source pixels
// of the src input pixels it is made from. Shrinking averages the area each output pixel covers,
// the way MNIST's anti-aliasing did; enlarging interpolates linearly between neighbours so that
// small pictures do not turn blocky.
func resampleTaps(src, dst int) [][]tap {
	taps := make([][]tap, dst)
	ratio := float64(src) / float64(dst)
	if dst <= src {
		for i := range taps {
			lo, hi := float64(i)*ratio, float64(i+1)*ratio
			for j := int(lo); j < src && float64(j) < hi; j++ {
				cover := min(hi, float64(j+1)) - max(lo, float64(j))
				if cover > 0 {
					taps[i] = append(taps[i], tap{j, cover / ratio})
				}
			}
		}
		return taps
	}
	for i := range taps {
		x := (float64(i)+0.5)*ratio - 0.5
		x = max(0, min(float64(src-1), x))
		j := int(x)
		t := x - float64(j)
		taps[i] = append(taps[i], tap{j, 1 - t})
		if t > 0 && j+1 < src {
			taps[i] = append(taps[i], tap{j + 1, t})
		}
	}
	return taps
}

// tooLarge reports whether a w x h image, w and h positive, has more than MaxDigitPixels pixels. A
// non-positive size is a Dx or Dy that overflowed: too large as well.
func tooLarge(w, h int) bool { return w <= 0 || h <= 0 || w > MaxDigitPixels/h }

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }
