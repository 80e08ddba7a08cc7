package dataset

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// A large IDX payload is read into memory advised for huge pages before it is first written: the
// mapping that holds it carries the advice ("hg" in /proc/self/smaps), and reading 32 MB takes
// the faults of its ends, outside whole huge pages, rather than the 8,000 of 4 KiB pages, unless
// the kernel had no huge page to give (a fallback /proc/vmstat counts). It runs in a fresh process, whose heap has no memory
// already faulted in to lend.
func TestIDXHugePages(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || bytes.Contains(mode, []byte("[never]")) {
		t.Skip("no transparent huge pages here")
	}
	if os.Getenv("IDX_HUGE_PAGES_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestIDXHugePages$", "-test.v")
		cmd.Env = append(os.Environ(), "IDX_HUGE_PAGES_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestIDXHugePages")) {
			t.Fatalf("in a fresh process: %v\n%s", err, out)
		}
		return
	}
	const size = 32 << 20
	in := bytes.NewReader(encodeIDX(TypeUint8, []uint32{size}, bytes.Repeat([]byte{7}, size)))
	fallbacks := vmstat(t, "thp_fault_fallback")
	faults := minorFaults()
	idx, err := readIDX(in)
	if err != nil {
		t.Fatal(err)
	}
	faults = minorFaults() - faults
	if !bytes.Equal(idx.Data, bytes.Repeat([]byte{7}, size)) {
		t.Fatal("the payload read differs from the one written")
	}
	if flags := vmFlags(t, uintptr(unsafe.Pointer(&idx.Data[size/2]))); !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the payload's mapping has VmFlags %q, without hg (MADV_HUGEPAGE)", flags)
	}
	// The ends of the buffer outside its whole 2 MiB pages take 4 KiB pages; other allocations
	// and the runtime may fault a few more.
	const huge = 2 << 20
	start := uintptr(unsafe.Pointer(unsafe.SliceData(idx.Data)))
	edges := int64((start+huge-1)&^(huge-1)-start+(start+size)%huge) / 4096
	if faults > edges+300 && vmstat(t, "thp_fault_fallback") == fallbacks {
		t.Errorf("reading a %d MB payload took %d page faults (%d in the 4 KiB pages at its ends), with no huge-page fallback", size>>20, faults, edges)
	}
}

// minorFaults returns the process's minor page faults so far (getrusage).
func minorFaults() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Minflt
}

// vmstat returns a counter of /proc/vmstat (0 if absent).
func vmstat(t *testing.T, name string) int64 {
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// vmFlags returns the VmFlags of the mapping of /proc/self/smaps that holds address p.
func vmFlags(t *testing.T, p uintptr) string {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	inside := false
	for _, line := range strings.Split(string(b), "\n") {
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") {
			inside = lo <= p && p < hi
		}
		if v, ok := strings.CutPrefix(line, "VmFlags:"); ok && inside {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no mapping holds %#x", p)
	return ""
}
