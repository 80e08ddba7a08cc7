//go:build !linux

package dataset

// adviseHugePages does nothing here (see hugepages_linux.go).
func adviseHugePages(b []byte) {}
