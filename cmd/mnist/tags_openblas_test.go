//go:build openblas

package main

var buildTags = []string{"-tags", "openblas"}
