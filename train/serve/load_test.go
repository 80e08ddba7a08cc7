package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadRequest is one request of the load test and what its answer must be.
type loadRequest struct {
	bad   *badCase // a request to refuse, or
	good  *digit   // an image or JSON pixels to read as good.class, or
	get   string   // a path to GET, answered 200
	label string
}

// loadMix returns the requests the load test cycles through: every test digit (PNG, JPEG, GIF and
// as JSON pixels), the page, the model and the health check, and every kind of bad request.
func loadMix(t testing.TB, maxBody int64, maxPixels int) []loadRequest {
	t.Helper()
	s := fixServer(t, Options{})
	var good []loadRequest
	for _, d := range fixDigits(t) {
		good = append(good, loadRequest{good: &d, label: d.name})
		if d.contentType != "image/png" {
			continue
		}
		p, err := s.predict(mustRequest(t, d))
		if err != nil {
			t.Fatal(err)
		}
		pix, _ := json.Marshal(map[string][]float64{"pixels": p.Pixels})
		good = append(good, loadRequest{good: &digit{d.name + " as JSON", "application/json", pix, d.class}, label: d.name + " as JSON"})
	}
	for _, path := range []string{"/", "/api/model", "/healthz"} {
		good = append(good, loadRequest{get: path, label: "GET " + path})
	}
	var mix []loadRequest
	bad := badCases(t, maxBody, maxPixels)
	for i := range max(len(good), len(bad)) {
		mix = append(mix, good[i%len(good)], loadRequest{bad: &bad[i%len(bad)], label: bad[i%len(bad)].name})
	}
	return mix
}

func mustRequest(t testing.TB, d digit) *http.Request {
	req, err := http.NewRequest("POST", "/api/predict", strings.NewReader(string(d.body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", d.contentType)
	return req
}

// loadResult counts the answers of a load run.
type loadResult struct {
	requests, good, refused, serverErrors int64
	failures                              []string
	elapsed                               time.Duration
}

// runLoad sends n requests of mix to base from clients goroutines over keep-alive connections and
// checks every answer. It stops early after 20 failures.
func runLoad(t testing.TB, base string, mix []loadRequest, n, clients int) *loadResult {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		next atomic.Int64
		mu   sync.Mutex
		res  loadResult
		wg   sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		res.failures = append(res.failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				mu.Lock()
				stop := len(res.failures) >= 20
				mu.Unlock()
				if stop {
					return
				}
				r := mix[i%len(mix)]
				var req *http.Request
				switch {
				case r.bad != nil:
					req = r.bad.request(t, base)
				case r.good != nil:
					req, _ = http.NewRequest("POST", base+"/api/predict", strings.NewReader(string(r.good.body)))
					req.Header.Set("Content-Type", r.good.contentType)
				default:
					req, _ = http.NewRequest("GET", base+r.get, nil)
				}
				resp, err := client.Do(req)
				if err != nil {
					fail("request %d (%s): %v", i, r.label, err)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				atomic.AddInt64(&res.requests, 1)
				if err != nil {
					fail("request %d (%s): reading the answer: %v", i, r.label, err)
					continue
				}
				if resp.StatusCode >= 500 {
					atomic.AddInt64(&res.serverErrors, 1)
				}
				switch {
				case r.bad != nil:
					var e Error
					if resp.StatusCode != r.bad.status || json.Unmarshal(body, &e) != nil || e.Code != r.bad.code {
						fail("request %d (%s): %d %.200s; want %d %s", i, r.label, resp.StatusCode, body, r.bad.status, r.bad.code)
						continue
					}
					atomic.AddInt64(&res.refused, 1)
				case r.good != nil:
					var p Prediction
					if resp.StatusCode != 200 || json.Unmarshal(body, &p) != nil || p.Class != r.good.class {
						fail("request %d (%s): %d %.200s; want class %d", i, r.label, resp.StatusCode, body, r.good.class)
						continue
					}
					atomic.AddInt64(&res.good, 1)
				default:
					if resp.StatusCode != 200 {
						fail("request %d (%s): %d %.200s", i, r.label, resp.StatusCode, body)
						continue
					}
					atomic.AddInt64(&res.good, 1)
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return &res
}

// The load test: 32 clients send 5,000 requests (1,000 under the race detector, which slows
// everything about tenfold), half of them good (every digit in every format, and the page, the
// model and the health check) and half of every kind of bad request, to a server run by Serve.
// No answer is a 5xx, every one is the one wanted, and once Serve has returned no goroutine is left.
func TestLoad(t *testing.T) {
	const maxBody, maxPixels = 64 << 10, 1 << 17
	n, clients := 5000, 32
	if raceEnabled {
		n = 1000
	}
	if testing.Short() {
		n = 500
	}
	mix := loadMix(t, maxBody, maxPixels)
	s := fixServer(t, Options{MaxBodyBytes: maxBody, MaxPixels: maxPixels})
	before := countGoroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	res := runLoad(t, "http://"+ln.Addr().String(), mix, n, clients)
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	for _, f := range res.failures {
		t.Error(f)
	}
	if res.serverErrors != 0 {
		t.Errorf("%d answers were 5xx", res.serverErrors)
	}
	if res.requests != int64(n) || res.good+res.refused != int64(n) {
		t.Errorf("%d requests answered (%d good, %d refused as wanted) of %d", res.requests, res.good, res.refused, n)
	}
	t.Logf("%d requests from %d clients in %v (%.0f/s): %d good, %d refused as wanted; peak RSS of the test process %s",
		res.requests, clients, res.elapsed.Round(time.Millisecond), float64(res.requests)/res.elapsed.Seconds(), res.good, res.refused, peakRSS(os.Getpid()))
	checkGoroutines(t, before)
}

// peakRSS returns the peak resident set size (VmHWM) of process pid, or "unknown".
func peakRSS(pid int) string { return procStatus(pid, "VmHWM:") }

// procStatus returns a field of /proc/pid/status ("VmHWM:" gives "153952 kB"), or "unknown".
func procStatus(pid int, field string) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
