package train

import (
	"os"
	"path/filepath"
	"testing"
)

// The profiles are written, in pprof's (gzip) format, and only those asked for.
func TestStartProfile(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	stop, err := StartProfile(cpu, mem)
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for i := range 1_000_000 {
		x += i % 7
	}
	_ = x
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d bytes, %v; want a gzip-compressed profile", p, len(b), err)
		}
	}
	stop, err = StartProfile("", "")
	if err != nil || stop() != nil {
		t.Errorf("no profiles: %v", err)
	}
	if _, err := StartProfile(filepath.Join(dir, "missing", "cpu"), ""); err == nil {
		t.Error("a CPU profile in a missing directory: no error")
	}
}
