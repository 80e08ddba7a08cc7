//go:build !openblas

package main

// buildTags are the build tags of this test binary, passed on when TestMain builds the program, so
// that 'go test -tags openblas' tests the openblas program.
var buildTags []string
