package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorgonet/model"
)

// BenchmarkPredictHTTP measures POST /api/predict of the four test digits (PNG, 112x112 and
// 240x280 pixels) through HTTP on loopback, with 1, 8 and 32 clients sending requests back to back
// over keep-alive connections. The server runs in a process of its own (the test model, of the
// default architecture 784-256-10, with the default Options) and the clients in this one, on the
// same cores. It reports the median and 99th-percentile latency, the predictions per second, and
// the CPU time the server process spent per prediction (user + system, from /proc).
//
//	go test ./train/serve -run '^$' -bench PredictHTTP -benchtime 4000x
func BenchmarkPredictHTTP(b *testing.B) {
	base, pid := startChild(b)
	var digits []digit
	for _, d := range fixDigits(b) {
		if d.contentType == "image/png" {
			digits = append(digits, d)
		}
	}
	for _, clients := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			var failed atomic.Value
			cpu0 := cpuTime(b, pid)
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						d := digits[i%len(digits)]
						t0 := time.Now()
						res, err := client.Post(base+"/api/predict", d.contentType, bytes.NewReader(d.body))
						if err != nil {
							failed.Store(err.Error())
							return
						}
						var p Prediction
						err = json.NewDecoder(res.Body).Decode(&p)
						res.Body.Close()
						lat[i] = time.Since(t0)
						if err != nil || res.StatusCode != 200 || p.Class != d.class {
							failed.Store(fmt.Sprintf("%s: status %d, class %d (%v)", d.name, res.StatusCode, p.Class, err))
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f != nil {
				b.Fatal(f)
			}
			cpu := cpuTime(b, pid) - cpu0
			slices.Sort(lat)
			ms := func(q float64) float64 { return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1e6 }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "predictions/s")
			b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "server-CPU-ms/op")
			b.ReportMetric(0, "ns/op") // the figures above say it better
		})
	}
}

// startChild starts a server process serving the test model with the default Options, and
// returns its address and process id; it is stopped when the benchmark ends.
func startChild(b *testing.B) (base string, pid int) {
	b.Helper()
	file := filepath.Join(b.TempDir(), "test.model")
	if err := model.Save(file, fixModel(b)); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+file)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the server shuts down when its input closes
		if err := cmd.Wait(); err != nil {
			b.Errorf("the server process: %v", err)
		}
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		b.Fatal("the server process printed no address")
	}
	return "http://" + lines.Text(), cmd.Process.Pid
}

// cpuTime returns the user + system CPU time process pid has used (/proc/pid/stat, in clock ticks
// of 10 ms).
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name (which may hold spaces) start at state, field 3.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// childEnv names the model file a server child process serves (see TestMain).
const childEnv = "GORGONET_SERVE_CHILD_MODEL"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(serveChild(path))
	}
	os.Exit(m.Run())
}

// serveChild serves the model file at path with the default Options on 127.0.0.1, prints the
// address on stdout, and stops when its standard input closes.
func serveChild(path string) int {
	saved, err := model.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := New(saved, Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	fmt.Println(ln.Addr())
	if err := s.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// BenchmarkLoadPeakRSS runs the load test's mix (5,000 requests from 32 clients, half good and
// half every kind of bad request, sized for the default limits: 4 MiB bodies, 4-megapixel images)
// against a server in a process of its own, serving the test model with the default Options, and
// reports that process's resident memory after start-up and its peak (VmHWM) under the load.
//
//	go test ./train/serve -run '^$' -bench LoadPeakRSS -benchtime 1x
func BenchmarkLoadPeakRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc to read the memory of a process")
	}
	mix := loadMix(b, DefaultMaxBodyBytes, DefaultMaxPixels)
	for range b.N {
		base, pid := startChild(b)
		startRSS := procKB(b, pid, "VmRSS:")
		cpu0 := cpuTime(b, pid)
		res := runLoad(b, base, mix, 5000, 32)
		peak := procKB(b, pid, "VmHWM:")
		for _, f := range res.failures {
			b.Error(f)
		}
		if res.serverErrors != 0 {
			b.Errorf("%d answers were 5xx", res.serverErrors)
		}
		b.ReportMetric(float64(startRSS)/1024, "start-RSS-MB")
		b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
		b.ReportMetric(float64(res.requests)/res.elapsed.Seconds(), "requests/s")
		b.ReportMetric(float64(cpuTime(b, pid)-cpu0)/float64(time.Millisecond)/float64(res.requests), "server-CPU-ms/op")
		b.ReportMetric(0, "ns/op")
	}
}

// procKB returns a field of /proc/pid/status given in kB.
func procKB(b *testing.B, pid int, field string) int {
	s := procStatus(pid, field)
	kb, err := strconv.Atoi(strings.TrimSuffix(s, " kB"))
	if err != nil {
		b.Fatalf("%s of process %d: %q", field, pid, s)
	}
	return kb
}
