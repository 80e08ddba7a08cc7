package plot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"

	"gorgonet/dataset"
	"gorgonet/train"
)

// ErrNoMistakes is returned by Mistakes when every sample was classified right: there is nothing
// to draw.
var ErrNoMistakes = errors.New("plot: mistakes: no sample is misclassified")

// MistakeScale is the factor by which Mistakes enlarges each image (28x28 becomes 112x112).
const MistakeScale = 4

// MostConfidentMistakes returns the indices of the misclassified samples of s, the most confident
// mistakes (highest r.Confidence) first, ties in sample order; at most n of them (all when n <= 0).
func MostConfidentMistakes(s *dataset.Set, r *train.Result, n int) ([]int, error) {
	if s == nil || r == nil {
		return nil, errors.New("plot: mistakes: no set or no result")
	}
	if s.Len() == 0 {
		return nil, fmt.Errorf("plot: mistakes: the %s set is empty", s.Name)
	}
	if len(r.Predicted) != s.Len() || len(r.Confidence) != s.Len() {
		return nil, fmt.Errorf("plot: mistakes: the result has %d predictions and %d confidences for the %d samples of the %s set",
			len(r.Predicted), len(r.Confidence), s.Len(), s.Name)
	}
	var idx []int
	for i, p := range r.Predicted {
		if p != int(s.Labels[i]) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ca, cb := r.Confidence[a], r.Confidence[b]
		switch {
		case ca > cb || (!math.IsNaN(ca) && math.IsNaN(cb)):
			return -1
		case ca < cb || (math.IsNaN(ca) && !math.IsNaN(cb)):
			return 1
		}
		return 0
	})
	if n > 0 && len(idx) > n {
		idx = idx[:n]
	}
	return idx, nil
}

// Mistakes draws a grid of up to n misclassified samples of s, the most confident mistakes first,
// each image enlarged MistakeScale times (ink dark on white) and captioned
// "true 4 / pred 9 (0.97)", the number being the probability the model gave its prediction.
// It returns ErrNoMistakes when there is none, and an error when s holds no images.
func Mistakes(w io.Writer, s *dataset.Set, r *train.Result, n int, names []string) error {
	if n <= 0 {
		return fmt.Errorf("plot: mistakes: n = %d: want a positive number of samples", n)
	}
	idx, err := MostConfidentMistakes(s, r, n)
	if err != nil {
		return err
	}
	if s.Rows <= 0 || s.Cols <= 0 || s.Rows*s.Cols != s.Features {
		return fmt.Errorf("plot: mistakes: the %s set does not hold images (%dx%d pixels, %d features)", s.Name, s.Rows, s.Cols, s.Features)
	}
	if len(s.Data) != s.Len()*s.Features {
		return fmt.Errorf("plot: mistakes: the %s set has %d values for %d samples of %d features", s.Name, len(s.Data), s.Len(), s.Features)
	}
	if len(idx) == 0 {
		return ErrNoMistakes
	}
	f, err := newFaces(20, 14, 13)
	if err != nil {
		return err
	}
	defer f.Close()

	captions := make([]string, len(idx))
	captionW := 0
	for k, i := range idx {
		captions[k] = fmt.Sprintf("true %s / pred %s (%.2f)", className(names, int(s.Labels[i])), className(names, r.Predicted[i]), r.Confidence[i])
		captionW = max(captionW, textWidth(f.label, captions[k]))
	}
	imgW, imgH := s.Cols*MistakeScale, s.Rows*MistakeScale
	tileW := max(imgW, captionW) + 16
	tileH := imgH + 8 + textHeight(f.label) + 14
	cols := int(math.Ceil(math.Sqrt(float64(len(idx)))))
	rows := (len(idx) + cols - 1) / cols
	total := 0
	for i, p := range r.Predicted {
		if p != int(s.Labels[i]) {
			total++
		}
	}
	set := "the set"
	if s.Name != "" {
		set = "the " + s.Name + " set"
	}
	subtitle := fmt.Sprintf("%d of the %d misclassified samples of %s, highest confidence first", len(idx), total, set)
	if len(idx) == total {
		subtitle = fmt.Sprintf("all %d misclassified samples of %s, highest confidence first", total, set)
	}
	const margin, top = 16, 70
	width := max(2*margin+cols*tileW, 2*margin+textWidth(f.small, subtitle))
	height := top + rows*tileH + margin
	img := newCanvas(width, height)
	drawText(img, f.title, "Most confident mistakes", width/2, 12, alignCenter, textDark)
	drawText(img, f.small, subtitle, width/2, 40, alignCenter, textGray)

	x0 := (width - cols*tileW) / 2
	for k, i := range idx {
		tx, ty := x0+(k%cols)*tileW, top+(k/cols)*tileH
		ix := tx + (tileW-imgW)/2
		frame := image.Rect(ix, ty, ix+imgW, ty+imgH)
		pix := s.Sample(i)
		for y := range s.Rows {
			for x := range s.Cols {
				// a stored value is ink intensity, 0 to 255: draw it dark on white
				v := float64(pix[y*s.Cols+x]) / 255
				g := uint8(math.Round(255 * (1 - v)))
				fillRect(img, image.Rect(ix+x*MistakeScale, ty+y*MistakeScale, ix+(x+1)*MistakeScale, ty+(y+1)*MistakeScale),
					color.RGBA{g, g, g, 255})
			}
		}
		strokeRect(img, frame.Inset(-1), frameGray)
		drawText(img, f.label, captions[k], tx+tileW/2, ty+imgH+6, alignCenter, textDark)
	}
	return writePNG(w, img)
}
