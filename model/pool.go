package model

import "gorgonia.org/tensor"

// gorgonia.org/tensor v0.9.24 keeps returned *Dense headers in a buffered channel and returns one
// with "if len(pool) < cap(pool) { pool <- t }": two goroutines that both see one free slot both
// send, and the second blocks until some goroutine borrows a tensor. Gorgonia's solvers return
// their scratch tensors every step, so the pool fills (4,096) within a few thousand steps; from
// then on two goroutines running tensor operations at once (the sharded solver of package train,
// the serve package's evaluators) can block for ever. Without the pool, ReturnTensor does nothing
// and tensors come from the allocator: a header of a few words each. Process-wide, as the pool is.
func init() { tensor.DontUsePool() }
