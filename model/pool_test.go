package model

import (
	"testing"

	"gorgonia.org/tensor"
)

// The tensor package's pool of returned tensors is off (pool.go): a returned tensor's header is
// not handed out again. With the pool on, tensor.New reuses it: the check fails without the
// workaround.
func TestTensorPoolIsOff(t *testing.T) {
	a := tensor.New(tensor.WithShape(2), tensor.Of(tensor.Float32))
	tensor.ReturnTensor(a)
	for range 10 {
		if b := tensor.New(tensor.WithShape(2), tensor.Of(tensor.Float32)); b == a {
			t.Fatal("tensor.New handed out a returned tensor: the racy pool is on")
		}
	}
}
