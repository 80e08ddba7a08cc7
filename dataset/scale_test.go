package dataset

import (
	"fmt"
	"testing"
)

// imageSet returns a set of n 2x2 images holding the given pixels, sample after sample.
func imageSet(pixels ...uint8) *Set {
	return &Set{Name: "train", Data: pixels, Labels: make([]uint8, len(pixels)/4), Features: 4, Rows: 2, Cols: 2, Classes: 10, Scale: 1.0 / 255}
}

func TestPixelRange(t *testing.T) {
	for _, c := range []struct {
		pixels []uint8
		lo, hi uint8
	}{
		{[]uint8{0, 255, 3, 4}, 0, 255},
		{[]uint8{0, 1, 1, 0, 1, 0, 0, 0}, 0, 1}, // binarised
		{[]uint8{7, 9, 200, 8}, 7, 200},
		{[]uint8{255, 255, 255, 255}, 255, 255},
		{[]uint8{0, 0, 0, 0}, 0, 0},
		{nil, 0, 0},
	} {
		if lo, hi := imageSet(c.pixels...).PixelRange(); lo != c.lo || hi != c.hi {
			t.Errorf("PixelRange of %v = %d, %d; want %d, %d", c.pixels, lo, hi, c.lo, c.hi)
		}
	}
}

// The smallest input of issue 14 item 5: binarised images, whose pixels are 0 and 1, are
// flagged; the threshold is MinPixelMax, exactly.
func TestCheckScale(t *testing.T) {
	const file = "/data/train-images-idx3-ubyte"
	for _, c := range []struct {
		name string
		set  *Set
		want string
	}{
		{"binarised", imageSet(0, 1, 1, 0), file + ": pixel values range over 0..1 only, not the 0..255 grey levels expected: " +
			"divided by 255 they stay at or below 0.0039 and the network will barely learn; store the images as 0..255 grey levels (for 0/1 data, 255 for 1)"},
		{"4-bit", imageSet(0, 15, 3, 0), file + ": pixel values range over 0..15 only, not the 0..255 grey levels expected: " +
			"divided by 255 they stay at or below 0.0588 and the network will barely learn; store the images as 0..255 grey levels (for 0/1 data, 255 for 1)"},
		{"just below", imageSet(2, MinPixelMax-1, 0, 0), file + ": pixel values range over 0..127 only, not the 0..255 grey levels expected: " +
			"divided by 255 they stay at or below 0.4980 and the network will barely learn; store the images as 0..255 grey levels (for 0/1 data, 255 for 1)"},
		{"at the threshold", imageSet(0, MinPixelMax, 0, 0), ""},
		{"grey levels", imageSet(0, 255, 17, 0), ""},
		{"high values without 0", imageSet(10, 200, 30, 40), ""},
		{"empty", imageSet(), ""},
		{"not images", XOR(), ""},
		{"nil", nil, ""},
	} {
		if got := CheckScale(c.set, file); got != c.want {
			t.Errorf("%s: CheckScale = %q\nwant %q", c.name, got, c.want)
		}
	}
}

func ExampleCheckScale() {
	// Two 2x2 images stored as 0/1 instead of grey levels.
	binarised := &Set{Name: "train", Data: []uint8{0, 1, 1, 0, 1, 1, 0, 0}, Labels: []uint8{3, 7},
		Features: 4, Rows: 2, Cols: 2, Classes: 10, Scale: 1.0 / 255}
	lo, hi := binarised.PixelRange()
	fmt.Println("range:", lo, hi)
	fmt.Println(CheckScale(binarised, "train-images-idx3-ubyte"))
	// Output:
	// range: 0 1
	// train-images-idx3-ubyte: pixel values range over 0..1 only, not the 0..255 grey levels expected: divided by 255 they stay at or below 0.0039 and the network will barely learn; store the images as 0..255 grey levels (for 0/1 data, 255 for 1)
}
