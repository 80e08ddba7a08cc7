package dataset

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// numbered returns a set of n samples whose two features spell the sample's index, so that
// every sample can be traced through Split and Subset.
func numbered(n int) *Set {
	s := &Set{Name: "numbered", Features: 2, Classes: 10, Scale: 1}
	for i := range n {
		s.Data = append(s.Data, uint8(i>>8), uint8(i))
		s.Labels = append(s.Labels, uint8(i%10))
	}
	return s
}

// indices returns the original index of every sample of a set made from numbered.
func indices(s *Set) []int {
	out := make([]int, s.Len())
	for i := range out {
		out[i] = int(s.Sample(i)[0])<<8 | int(s.Sample(i)[1])
		if int(s.Labels[i]) != out[i]%10 {
			panic(fmt.Sprintf("sample %d (index %d) has label %d", i, out[i], s.Labels[i]))
		}
	}
	return out
}

func TestSplit(t *testing.T) {
	s := numbered(1000)
	train, val, err := s.Split(100, 42)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 900 || val.Len() != 100 {
		t.Fatalf("split sizes %d and %d, want 900 and 100", train.Len(), val.Len())
	}
	if train.Name != "numbered" || val.Name != "validation" {
		t.Errorf("names %q and %q", train.Name, val.Name)
	}
	ti, vi := indices(train), indices(val)
	// Each part keeps the original order, and together they hold every sample exactly once.
	if !slices.IsSorted(ti) || !slices.IsSorted(vi) {
		t.Error("the split does not keep the original order")
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(ti), vi...)))
	for i, v := range all {
		if v != i {
			t.Fatalf("train+validation is not a partition of the set: sorted index %d is %d", i, v)
		}
	}
	// The validation samples are spread over the set, not a block at one end.
	if vi[0] >= 100 || vi[len(vi)-1] < 900 {
		t.Errorf("validation indices run from %d to %d: not a shuffle", vi[0], vi[len(vi)-1])
	}

	// Same seed, same split; another seed, another split.
	_, again, _ := s.Split(100, 42)
	if !slices.Equal(indices(again), vi) {
		t.Error("Split with the same seed gave a different split")
	}
	_, other, _ := s.Split(100, 43)
	if slices.Equal(indices(other), vi) {
		t.Error("Split with seeds 42 and 43 gave the same split")
	}
	// The split does not touch s.
	if !slices.Equal(indices(s), indices(numbered(1000))) {
		t.Error("Split modified the set")
	}

	// Known values pin the split: PCG's output is specified, so a change here means a resumed or
	// repeated run would no longer see the split it was started with.
	_, small, _ := numbered(10).Split(3, 1)
	if got, want := indices(small), []int{0, 6, 9}; !slices.Equal(got, want) {
		t.Errorf("Split(3, 1) of 10 samples holds out %v, want %v", got, want)
	}
}

func TestSplitEdges(t *testing.T) {
	s := numbered(10)
	train, val, err := s.Split(0, 1)
	if err != nil || train != s || val != nil {
		t.Errorf("Split(0) = %p, %v, %v; want the set itself and no validation set", train, val, err)
	}
	train, val, err = s.Split(9, 1)
	if err != nil || train.Len() != 1 || val.Len() != 9 {
		t.Errorf("Split(9) of 10: %v", err)
	}
	for _, n := range []int{-1, 10, 11} {
		if _, _, err := s.Split(n, 1); err == nil || !strings.Contains(err.Error(), "between 0 and 9") {
			t.Errorf("Split(%d) of 10: error %v, want one giving the range 0 to 9", n, err)
		}
	}
}

func TestOrder(t *testing.T) {
	const n = 500
	a := Order(nil, n, 7, 0)
	if len(a) != n {
		t.Fatalf("len = %d, want %d", len(a), n)
	}
	sorted := slices.Sorted(slices.Values(a))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("Order is not a permutation of 0..%d: sorted[%d] = %d", n-1, i, v)
		}
	}
	if slices.IsSorted(a) {
		t.Error("Order did not shuffle")
	}
	if b := Order(nil, n, 7, 0); !slices.Equal(a, b) {
		t.Error("Order with the same seed and epoch differs")
	}
	if b := Order(nil, n, 7, 1); slices.Equal(a, b) {
		t.Error("Order gives the same permutation in epochs 0 and 1")
	}
	if b := Order(nil, n, 8, 0); slices.Equal(a, b) {
		t.Error("Order gives the same permutation for seeds 7 and 8")
	}
	// Any epoch can be replayed on its own, in any order.
	e5 := Order(nil, n, 7, 5)
	for e := range 5 {
		Order(nil, n, 7, e)
	}
	if b := Order(nil, n, 7, 5); !slices.Equal(e5, b) {
		t.Error("epoch 5 depends on what was drawn before")
	}

	// dst is reused when it has room, whatever it held.
	buf := make([]int, 2*n)
	for i := range buf {
		buf[i] = -1
	}
	b := Order(buf, n, 7, 0)
	if &b[0] != &buf[0] || !slices.Equal(a, b) {
		t.Error("Order did not reuse dst, or gave another permutation in it")
	}
	if c := Order(make([]int, 3), n, 7, 0); !slices.Equal(a, c) {
		t.Error("Order into a short dst gave another permutation")
	}
	// Known values, as for Split: resuming training at an epoch relies on them.
	for _, c := range []struct {
		epoch int
		want  []int
	}{{0, []int{5, 7, 2, 9, 8, 6, 3, 4, 0, 1}}, {3, []int{1, 6, 9, 7, 5, 8, 4, 3, 0, 2}}} {
		if got := Order(nil, 10, 1, c.epoch); !slices.Equal(got, c.want) {
			t.Errorf("Order(10, seed 1, epoch %d) = %v, want %v", c.epoch, got, c.want)
		}
	}
	if z := Order(nil, 0, 7, 0); len(z) != 0 {
		t.Errorf("Order of 0 samples = %v", z)
	}
}

func TestFill(t *testing.T) {
	s := &Set{
		Name: "fill", Features: 3, Classes: 4, Scale: 1.0 / 255,
		Data:   []uint8{0, 255, 51, 102, 0, 255, 255, 255, 255},
		Labels: []uint8{2, 0, 3},
	}
	t.Run("float32", func(t *testing.T) { testFill[float32](t, s) })
	t.Run("float64", func(t *testing.T) { testFill[float64](t, s) })
}

func testFill[T Float](t *testing.T, s *Set) {
	idx := []int{2, 0, 1}
	x := make([]T, 3*3)
	y := make([]T, 3*4)
	for i := range y {
		y[i] = 7 // stale values from a previous batch must go
	}
	Fill(s, idx, x, y)
	wantX := []T{1, 1, 1, 0, 1, T(0.2), T(0.4), 0, 1}
	if !slices.Equal(x, wantX) {
		t.Errorf("x = %v, want %v", x, wantX)
	}
	wantY := []T{0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0}
	if !slices.Equal(y, wantY) {
		t.Errorf("one-hot y = %v, want %v", y, wantY)
	}
	// One target per sample: the class index itself.
	y1 := make([]T, 3)
	Fill(s, idx, x, y1)
	if want := []T{3, 2, 0}; !slices.Equal(y1, want) {
		t.Errorf("width-1 y = %v, want %v", y1, want)
	}
	// Scale 0 means 1: values pass unchanged.
	raw := *s
	raw.Scale = 0
	Fill(&raw, []int{1}, x[:3], y[:4])
	if want := []T{102, 0, 255}; !slices.Equal(x[:3], want) {
		t.Errorf("x with Scale 0 = %v, want %v", x[:3], want)
	}
	// No indices: nothing to do, and no panic.
	Fill(s, nil, x[:0], y[:0])
}

func TestNewImageSet(t *testing.T) {
	images := &IDX{Dims: []int{2, 2, 3}, Data: seq(12)}
	labels := &IDX{Dims: []int{2}, Data: []byte{4, 1}}
	s, err := NewImageSet("ok", images, labels, 5)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || s.Features != 6 || s.Rows != 2 || s.Cols != 3 || s.Classes != 5 || s.Scale != 1.0/255 {
		t.Errorf("NewImageSet = %+v", s)
	}
	if !slices.Equal(s.Sample(1), seq(12)[6:]) {
		t.Errorf("sample 1 = %v", s.Sample(1))
	}

	for _, c := range []struct {
		name           string
		images, labels *IDX
		want           string
	}{
		{"count mismatch", images, &IDX{Dims: []int{3}, Data: []byte{0, 1, 2}}, "x: 2 images but 3 labels"},
		{"label out of range", images, &IDX{Dims: []int{2}, Data: []byte{1, 5}}, "x labels: label 5 of sample 1 is out of range 0-4"},
		{"2-D images", &IDX{Dims: []int{2, 6}, Data: seq(12)}, labels, "x images: want 3 dimensions (count, rows, cols), got 2 [2 6]"},
		{"4-D images", &IDX{Dims: []int{2, 1, 2, 3}, Data: seq(12)}, labels, "want 3 dimensions (count, rows, cols), got 4"},
		{"2-D labels", images, &IDX{Dims: []int{2, 1}, Data: []byte{0, 1}}, "x labels: want 1 dimension (count), got 2"},
		{"no samples", &IDX{Dims: []int{0, 2, 2}}, &IDX{Dims: []int{0}}, "x: the files hold no samples"},
		{"empty images", &IDX{Dims: []int{2, 0, 5}}, labels, "x images: empty image size 0x5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewImageSet("x", c.images, c.labels, 5)
			if err == nil {
				t.Fatalf("NewImageSet succeeded: %+v", s)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestLimitSubset(t *testing.T) {
	s := numbered(10)
	if l := s.Limit(4); l.Len() != 4 || !slices.Equal(indices(l), []int{0, 1, 2, 3}) {
		t.Errorf("Limit(4) = %v", indices(l))
	}
	for _, n := range []int{0, -1, 10, 11} {
		if l := s.Limit(n); l != s {
			t.Errorf("Limit(%d) is not the set itself", n)
		}
	}
	sub := s.Subset("sub", []int{7, 2, 7})
	if sub.Name != "sub" || !slices.Equal(indices(sub), []int{7, 2, 7}) {
		t.Errorf("Subset = %q %v", sub.Name, indices(sub))
	}
	sub.Data[0] = 99 // a copy: s is untouched
	if s.Data[14] != 0 {
		t.Error("Subset shares storage with the set")
	}
}

func TestXOR(t *testing.T) {
	s := XOR()
	if s.Len() != 4 || s.Features != 2 || s.Classes != 2 {
		t.Fatalf("XOR: %d samples of %d features, %d classes", s.Len(), s.Features, s.Classes)
	}
	for i := range s.Len() {
		a, b := s.Sample(i)[0], s.Sample(i)[1]
		if s.Labels[i] != a^b {
			t.Errorf("sample %d: %d xor %d labelled %d", i, a, b, s.Labels[i])
		}
	}
}

func ExampleXOR() {
	s := XOR()
	x := make([]float64, s.Len()*s.Features)
	y := make([]float64, s.Len()) // one target per sample: the class itself
	Fill(s, []int{0, 1, 2, 3}, x, y)
	for i := range s.Len() {
		fmt.Printf("%v -> %v\n", x[2*i:2*i+2], y[i])
	}
	// Output:
	// [0 0] -> 0
	// [0 1] -> 1
	// [1 0] -> 1
	// [1 1] -> 0
}

func ExampleFill() {
	s := &Set{
		Features: 4, Classes: 3, Scale: 1.0 / 255,
		Data:   []uint8{0, 51, 204, 255, 255, 0, 0, 102},
		Labels: []uint8{2, 0},
	}
	// Buffers for a batch of two, allocated once and reused for every batch.
	x := make([]float32, 2*s.Features)
	y := make([]float32, 2*s.Classes) // room for one-hot targets
	Fill(s, []int{1, 0}, x, y)
	fmt.Println(x)
	fmt.Println(y)
	// Output:
	// [1 0 0 0.4 0 0.2 0.8 1]
	// [1 0 0 0 0 1]
}

func ExampleSet_Split() {
	s := &Set{Name: "digits", Features: 1, Classes: 10, Data: make([]uint8, 10), Labels: make([]uint8, 10)}
	train, val, err := s.Split(3, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(train.Name, train.Len(), val.Name, val.Len())
	// Output:
	// digits 7 validation 3
}
