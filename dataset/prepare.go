package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
)

// Preparation names the way a picture is turned into a sample of a data set: it belongs to the
// data set (Known.Preparation, Data.Preparation) and is stored with a model, so that predicting
// prepares new pictures the way the training images were made. The zero value means PrepDigit,
// the preparation of models saved before preparations were recorded.
type Preparation string

const (
	// PrepDigit prepares handwriting the way MNIST was made: PrepareDigit.
	PrepDigit Preparation = "digit"
	// PrepFashion prepares a photo of an object on a plain background the way Fashion-MNIST was
	// made: PrepareFashion.
	PrepFashion Preparation = "fashion"
)

// Preparations lists the known preparations.
func Preparations() []Preparation { return []Preparation{PrepDigit, PrepFashion} }

// ParsePreparation returns the preparation called s ("digit" or "fashion"; "" is PrepDigit).
func ParsePreparation(s string) (Preparation, error) {
	switch p := Preparation(s); p {
	case "", PrepDigit:
		return PrepDigit, nil
	case PrepFashion:
		return p, nil
	}
	return "", fmt.Errorf("unknown image preparation %q (known: digit, fashion)", s)
}

// Description says in one line what the preparation does, for help texts.
func (p Preparation) Description() string {
	switch p {
	case "", PrepDigit:
		return "prepared like MNIST: grayscale, light digit on dark, cropped, scaled to 20x20, centred by mass in 28x28"
	case PrepFashion:
		return "prepared like Fashion-MNIST: grayscale, light object on dark, cropped, longest side scaled to 28, sharpened, centred in 28x28"
	}
	return fmt.Sprintf("unknown preparation %q", string(p))
}

// Prepare prepares img with p: PrepareDigit or PrepareFashion.
func Prepare(img image.Image, p Preparation) ([]uint8, error) {
	switch p {
	case "", PrepDigit:
		return PrepareDigit(img)
	case PrepFashion:
		return PrepareFashion(img)
	}
	return nil, fmt.Errorf("unknown image preparation %q (known: digit, fashion)", string(p))
}

// ReadImage decodes a PNG, JPEG or GIF picture (the first frame of a GIF) and prepares it with p.
// Pictures larger than MaxDigitPixels are rejected before they are decoded. Errors start with
// "digit image: " or "fashion image: ".
func ReadImage(r io.Reader, p Preparation) ([]uint8, error) {
	var what string
	switch p {
	case "", PrepDigit:
		what = "digit image"
	case PrepFashion:
		what = "fashion image"
	default:
		return nil, fmt.Errorf("unknown image preparation %q (known: digit, fashion)", string(p))
	}
	img, err := decodeImage(r, what)
	if err != nil {
		return nil, err
	}
	return Prepare(img, p)
}

// decodeImage decodes a PNG, JPEG or GIF picture, refusing one larger than MaxDigitPixels from the
// size in its header, before any pixel is decoded. Errors start with what.
func decodeImage(r io.Reader, what string) (image.Image, error) {
	// DecodeConfig reads only the header; keep the bytes it consumes so that Decode sees the whole
	// stream again without our having to hold an unbounded file in memory first.
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("%s: not a PNG, JPEG or GIF image", what)
		}
		return nil, fmt.Errorf("%s: reading the header: %w", what, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s: %s image of size %dx%d has no pixels", what, format, cfg.Width, cfg.Height)
	}
	if tooLarge(cfg.Width, cfg.Height) {
		return nil, fmt.Errorf("%s: %s image of %dx%d pixels is larger than the limit of %d pixels",
			what, format, cfg.Width, cfg.Height, MaxDigitPixels)
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, fmt.Errorf("%s: decoding %s: %w", what, format, err)
	}
	return img, nil
}

// fashionTrim is how far, as a fraction of 255, a pixel must stand out from the background to be
// kept when trimming, as in Fashion-MNIST's conversion ("within 5% of the maximum possible
// intensity").
const fashionTrim = 0.05

// PrepareFashion turns a photo of one object on a plain background (a garment, a shoe, a bag) into a
// sample laid out like Fashion-MNIST: 784 values, row after row of a 28x28 field, 0 for the
// background. It follows the conversion described by Xiao, Rasul and Vollgraf, "Fashion-MNIST: a
// Novel Image Dataset for Benchmarking Machine Learning Algorithms" (arXiv:1708.07747, 2017,
// section 2): the 51x73 thumbnails of product photos on a light-grey background (#fdfdfd), white
// products left out for their low contrast, were converted to PNG; trimmed of the edges close to
// the colour of the corner pixels (within 5% of the maximum intensity in RGB space); resized so
// that the longest edge is 28, by subsampling; sharpened with a Gaussian operator of radius and
// standard deviation 1.0; extended to 28 along the shortest edge, the image in the centre;
// negated; and converted to 8-bit grey. Here:
//
//   - grey levels as for digits (see PrepareDigit, transparency included), made light on dark by
//     negating when the background is light, as Zalando's photos' is; the background level, the
//     median of the border (robust to an object touching a corner), is subtracted so that it
//     becomes 0, as in Fashion-MNIST;
//   - trimmed to the pixels standing out from the background by more than 5% of 255;
//   - scaled, keeping the aspect ratio, so that the longest side is 28 pixels. Zalando subsampled
//     thumbnails hardly larger than that; photos taken today are far larger, and skipping most of
//     their pixels would alias, so the area is averaged instead (bilinear when enlarging), as for
//     digits;
//   - sharpened by an unsharp mask: each value plus its difference from a 3x3 Gaussian blur of
//     standard deviation 1 (edges repeated), which is our reading of the paper's operator;
//   - stretched so that the strongest value is 255, as in Fashion-MNIST, where every training
//     image reaches 254 or 255;
//   - centred in the 28x28 field (the shorter side extended equally on both sides, the odd pixel
//     after), not by its centre of mass: Fashion-MNIST's objects fill the field along their
//     longest side.
//
// It returns an error for an image without pixels, for one larger than MaxDigitPixels and one
// wrapping ErrNoInk for a blank or uniform image.
func PrepareFashion(img image.Image) ([]uint8, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("fashion image: empty image (%dx%d pixels)", max(0, b.Dx()), max(0, b.Dy()))
	}
	w, h := b.Dx(), b.Dy()
	if tooLarge(w, h) {
		return nil, fmt.Errorf("fashion image: %dx%d pixels is larger than the limit of %d pixels", w, h, MaxDigitPixels)
	}
	plane, bg, _, ok := inkPlane(img, w, h)
	if !ok {
		return nil, fmt.Errorf("fashion image: %w: the %dx%d image is blank or uniform "+
			"(no pixel stands out from the background by %d grey levels, in colour or in transparency)", ErrNoInk, w, h, minInkContrast)
	}

	// Trim to the pixels that stand out from the background.
	thr := bg + int(math.Ceil(fashionTrim*255))
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		for x, v := range plane[y*w : (y+1)*w] {
			if int(v) >= thr {
				x0, x1 = min(x0, x), max(x1, x)
				y0, y1 = min(y0, y), max(y1, y)
			}
		}
	}
	cw, ch := x1-x0+1, y1-y0+1

	// Scale so that the longest side is DigitSize.
	long := max(cw, ch)
	nw := max(1, int(math.Round(float64(cw)*DigitSize/float64(long))))
	nh := max(1, int(math.Round(float64(ch)*DigitSize/float64(long))))
	small := resample(plane, w, x0, y0, cw, ch, nw, nh, bg)

	sharp := sharpen(small, nw, nh)
	var top float64
	for _, v := range sharp {
		top = max(top, v)
	}
	if top <= 0 {
		// Not reachable: the trimmed box holds a pixel above the background. Never divide by 0.
		return nil, fmt.Errorf("fashion image: nothing left after scaling the %dx%d image", w, h)
	}
	ox, oy := (DigitSize-nw)/2, (DigitSize-nh)/2
	out := make([]uint8, DigitSize*DigitSize)
	for y := range nh {
		for x := range nw {
			v := math.Round(sharp[y*nw+x] * 255 / top)
			out[(oy+y)*DigitSize+ox+x] = uint8(min(255, max(0, v)))
		}
	}
	return out, nil
}

// resample scales the cw x ch box at (x0, y0) of the w-wide plane to nw x nh values, each source
// value taken less bg (at least 0): area averaging when shrinking, bilinear when enlarging. Rows
// are shrunk first, so that the intermediate image is at most ch x nw however large the picture.
func resample(plane []uint8, w, x0, y0, cw, ch, nw, nh, bg int) []float64 {
	xt, yt := resampleTaps(cw, nw), resampleTaps(ch, nh)
	tmp := make([]float64, ch*nw)
	for y := range ch {
		row := plane[(y0+y)*w+x0 : (y0+y)*w+x0+cw]
		for x, taps := range xt {
			var s float64
			for _, t := range taps {
				s += t.w * float64(max(0, int(row[t.i])-bg))
			}
			tmp[y*nw+x] = s
		}
	}
	small := make([]float64, nh*nw)
	for y, taps := range yt {
		for x := range nw {
			var s float64
			for _, t := range taps {
				s += t.w * tmp[t.i*nw+x]
			}
			small[y*nw+x] = s
		}
	}
	return small
}

// Weights of the 3x3 Gaussian of standard deviation 1: exp(-d²/2) for the squared distance d² of
// 0 (centre), 1 (edge neighbours) and 2 (corner neighbours), and their sum.
var (
	gaussEdge   = math.Exp(-0.5)
	gaussCorner = math.Exp(-1)
	gaussSum    = 1 + 4*gaussEdge + 4*gaussCorner
)

// sharpen returns the unsharp mask of the w x h values v: each value plus its difference from the
// 3x3 Gaussian blur of standard deviation 1, with the values at the edges repeated outwards, and
// no value below 0.
func sharpen(v []float64, w, h int) []float64 {
	at := func(x, y int) float64 { return v[clampInt(y, 0, h-1)*w+clampInt(x, 0, w-1)] }
	out := make([]float64, len(v))
	for y := range h {
		for x := range w {
			edge := at(x-1, y) + at(x+1, y) + at(x, y-1) + at(x, y+1)
			corner := at(x-1, y-1) + at(x+1, y-1) + at(x-1, y+1) + at(x+1, y+1)
			blur := (at(x, y) + gaussEdge*edge + gaussCorner*corner) / gaussSum
			out[y*w+x] = max(0, 2*at(x, y)-blur)
		}
	}
	return out
}

// String returns the preparation's name; that of the zero value is "digit".
func (p Preparation) String() string {
	if p == "" {
		return string(PrepDigit)
	}
	return string(p)
}
