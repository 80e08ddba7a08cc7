package dataset

import (
	"bytes"
	"fmt"
)

// MinPixelMax is the value the largest pixel of a set of images must reach for CheckScale to be
// silent: half of 255. Pictures are stored as grey levels 0 (background) to 255 (full ink) and
// divided by 255 on the way in (Set.Scale), and a whole training set of such pictures always
// reaches the upper half of the range: every training image of MNIST and of Fashion-MNIST has
// pixels at 254 or 255. A set whose pixels all stay below it was stored on another
// scale: binarised 0/1, 4-bit 0-15, scikit-learn's digits 0-16, percentages 0-100, 7-bit 0-127.
// Divided by 255 its inputs stay below 0.5 (below 0.004 for 0/1 data), the first layer's
// gradients shrink as much, and training with the usual learning rates barely moves: binarised
// MNIST trains to chance level with SGD.
const MinPixelMax = 128

// PixelRange returns the smallest and largest stored value of s, (0, 0) for an empty set. It
// returns at once for the usual images, which hold both 0 and 255.
func (s *Set) PixelRange() (lo, hi uint8) {
	if len(s.Data) == 0 {
		return 0, 0
	}
	if bytes.IndexByte(s.Data, 0) >= 0 && bytes.IndexByte(s.Data, 255) >= 0 {
		return 0, 255
	}
	lo, hi = 255, 0
	for _, v := range s.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// CheckScale returns a one-line warning, naming file (the set's images file, for the message)
// and the range of values seen, when s holds images whose largest pixel is below MinPixelMax; it
// returns "" when the values reach MinPixelMax, for an empty set and for a set that is not images
// (Rows 0, as XOR). It only warns: such data may be meant, and training proceeds. The warning has
// no prefix, so that a command can add its own ("mnist train: warning: ").
func CheckScale(s *Set, file string) string {
	if s == nil || s.Rows == 0 || s.Len() == 0 {
		return ""
	}
	lo, hi := s.PixelRange()
	if hi >= MinPixelMax {
		return ""
	}
	return fmt.Sprintf("%s: pixel values range over %d..%d only, not the 0..255 grey levels expected: "+
		"divided by 255 they stay at or below %.4f and the network will barely learn; "+
		"store the images as 0..255 grey levels (for 0/1 data, 255 for 1)", file, lo, hi, float64(hi)/255)
}
