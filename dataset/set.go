package dataset

import (
	"fmt"
	"math/rand/v2"
)

// Set is a labelled data set held compactly: one uint8 value per feature, converted to floating
// point (times Scale) only when a batch is filled. The zero value is an empty set.
type Set struct {
	Name     string  // what the set is, for messages ("train", "test", "xor")
	Data     []uint8 // Len()*Features values, sample after sample
	Labels   []uint8 // one class index per sample, each below Classes
	Features int     // values per sample (784 for MNIST)
	Rows     int     // image height, or 0 when the samples are not images
	Cols     int     // image width, or 0
	Classes  int     // number of classes (10 for digits, 2 for XOR)
	Scale    float64 // input value = Scale * stored value (1/255 for images, 1 for XOR); 0 means 1
}

// Len returns the number of samples.
func (s *Set) Len() int { return len(s.Labels) }

// Sample returns the stored values of sample i (a view, not a copy).
func (s *Set) Sample(i int) []uint8 { return s.Data[i*s.Features : (i+1)*s.Features] }

// NewImageSet pairs an IDX file of images (count x rows x cols) with an IDX file of labels (count)
// and checks that they agree and that every label is below classes.
func NewImageSet(name string, images, labels *IDX, classes int) (*Set, error) {
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("%s images: want 3 dimensions (count, rows, cols), got %d %v", name, len(images.Dims), images.Dims)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("%s labels: want 1 dimension (count), got %d %v", name, len(labels.Dims), labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("%s: %d images but %d labels", name, images.Dims[0], labels.Dims[0])
	}
	if images.Dims[0] == 0 {
		return nil, fmt.Errorf("%s: the files hold no samples", name)
	}
	if images.Dims[1] == 0 || images.Dims[2] == 0 {
		return nil, fmt.Errorf("%s images: empty image size %dx%d", name, images.Dims[1], images.Dims[2])
	}
	for i, l := range labels.Data {
		if int(l) >= classes {
			return nil, fmt.Errorf("%s labels: label %d of sample %d is out of range 0-%d", name, l, i, classes-1)
		}
	}
	return &Set{
		Name: name, Data: images.Data, Labels: labels.Data,
		Features: images.Dims[1] * images.Dims[2], Rows: images.Dims[1], Cols: images.Dims[2],
		Classes: classes, Scale: 1.0 / 255,
	}, nil
}

// Limit returns the first n samples of s (all of them when n <= 0 or n >= Len). The result shares
// storage with s.
func (s *Set) Limit(n int) *Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	t := *s
	t.Data = s.Data[:n*s.Features]
	t.Labels = s.Labels[:n]
	return &t
}

// Subset returns a new set holding copies of the samples at the given indices, in that order.
func (s *Set) Subset(name string, indices []int) *Set {
	t := *s
	t.Name = name
	t.Data = make([]uint8, 0, len(indices)*s.Features)
	t.Labels = make([]uint8, 0, len(indices))
	for _, i := range indices {
		t.Data = append(t.Data, s.Sample(i)...)
		t.Labels = append(t.Labels, s.Labels[i])
	}
	return &t
}

// Split holds out valSize samples of s, chosen by a shuffle seeded with seed, as a validation set,
// and returns the rest as the training set. Both keep the order the samples had in s. With valSize 0
// it returns s and nil.
func (s *Set) Split(valSize int, seed uint64) (train, val *Set, err error) {
	if valSize < 0 || valSize >= s.Len() {
		return nil, nil, fmt.Errorf("validation size %d must be between 0 and %d (the %s set's size minus one)", valSize, s.Len()-1, s.Name)
	}
	if valSize == 0 {
		return s, nil, nil
	}
	perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(s.Len())
	isVal := make([]bool, s.Len())
	for _, i := range perm[:valSize] {
		isVal[i] = true
	}
	var ti, vi []int
	for i, v := range isVal {
		if v {
			vi = append(vi, i)
		} else {
			ti = append(ti, i)
		}
	}
	return s.Subset(s.Name, ti), s.Subset("validation", vi), nil
}

// PCG stream selectors, so that the split and the batch orders drawn from one seed are independent.
const (
	splitStream = 0x5eed5
	orderStream = 0x0de7
)

// Order returns the order in which to visit n samples in the given epoch: a permutation drawn from
// seed and epoch alone, so that any epoch can be replayed (resumed) without replaying the ones
// before it. dst is reused when it has room.
func Order(dst []int, n int, seed uint64, epoch int) []int {
	if cap(dst) < n {
		dst = make([]int, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = i
	}
	rng := rand.New(rand.NewPCG(seed^orderStream, uint64(epoch)))
	rng.Shuffle(n, func(i, j int) { dst[i], dst[j] = dst[j], dst[i] })
	return dst
}

// Float is the element type of the batch buffers: the graph's dtype.
type Float interface{ ~float32 | ~float64 }

// Fill converts the samples at indices into caller-owned buffers: x gets len(indices)*Features
// input values (stored value times Scale, so pixels land in [0,1]); y gets the targets, one-hot
// when it has room for more than one value per sample, and the class index itself (0 or 1 for a
// binary problem) when it has exactly one; y may be empty when only inputs are wanted.
func Fill[T Float](s *Set, indices []int, x, y []T) {
	scale := s.Scale
	if scale == 0 {
		scale = 1
	}
	var table [256]T // a lookup is cheaper than a conversion and a multiply per value
	for v := range table {
		table[v] = T(float64(v) * scale)
	}
	f := s.Features
	width := 0
	if len(indices) > 0 {
		width = len(y) / len(indices)
	}
	for k, i := range indices {
		row := x[k*f : (k+1)*f]
		for j, v := range s.Data[i*f : (i+1)*f] {
			row[j] = table[v]
		}
		label := s.Labels[i]
		switch width {
		case 0: // inputs only (inference)
			continue
		case 1:
			y[k] = T(label)
			continue
		}
		out := y[k*width : (k+1)*width]
		clear(out)
		out[label] = 1
	}
}

// XOR returns the four samples of the XOR problem from the tutorial: inputs (0,0), (0,1), (1,0),
// (1,1) with targets 0, 1, 1, 0. It is not linearly separable, so a single-layer perceptron can get
// at most three of them right.
func XOR() *Set {
	return &Set{
		Name:     "xor",
		Data:     []uint8{0, 0, 0, 1, 1, 0, 1, 1},
		Labels:   []uint8{0, 1, 1, 0},
		Features: 2, Classes: 2, Scale: 1,
	}
}
