package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorgonet/dataset"
	"gorgonet/model"
)

// Every test digit, in PNG, JPEG and GIF, is read right; the answer is consistent (ranked
// probabilities summing to 1, the prepared image being dataset.ReadDigit's), and sending its
// prepared pixels back as JSON gives exactly the same probabilities.
func TestPredictDigits(t *testing.T) {
	ts := httptest.NewServer(fixServer(t, Options{}))
	defer ts.Close()
	for _, d := range fixDigits(t) {
		status, body := post(t, ts.Client(), ts.URL+"/api/predict", d.contentType, d.body)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", d.name, status, body)
		}
		p := decodeAs[Prediction](t, body)
		if p.Class != d.class || p.Label != strconv.Itoa(d.class) {
			t.Errorf("%s: read as %d (%q), want %d; probabilities %.3f", d.name, p.Class, p.Label, d.class, p.Probabilities)
		}
		checkPrediction(t, d.name, p)
		grey, err := dataset.ReadDigit(bytes.NewReader(d.body))
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		for i, v := range grey {
			if p.Pixels[i] != float64(v)/255 && p.Pixels[i] != float64(v)*(1.0/255) {
				t.Fatalf("%s: pixel %d is %v, dataset.ReadDigit prepares %d/255", d.name, i, p.Pixels[i], v)
			}
		}

		again, err := json.Marshal(map[string][]float64{"pixels": p.Pixels})
		if err != nil {
			t.Fatal(err)
		}
		status, body = post(t, ts.Client(), ts.URL+"/api/predict", "application/json; charset=utf-8", again)
		if status != http.StatusOK {
			t.Fatalf("%s as JSON pixels: status %d: %s", d.name, status, body)
		}
		q := decodeAs[Prediction](t, body)
		if q.Class != p.Class || !slices.Equal(q.Probabilities, p.Probabilities) || !slices.Equal(q.Pixels, p.Pixels) {
			t.Errorf("%s: as JSON pixels: class %d, probabilities %v; as an image: %d, %v", d.name, q.Class, q.Probabilities, p.Class, p.Probabilities)
		}
	}
}

// checkPrediction checks what must hold of every answer.
func checkPrediction(t *testing.T, name string, p Prediction) {
	t.Helper()
	if len(p.Probabilities) != 10 || len(p.Classes) != 10 || len(p.Top) != 3 {
		t.Fatalf("%s: %d probabilities, %d classes, %d top; want 10, 10, 3", name, len(p.Probabilities), len(p.Classes), len(p.Top))
	}
	sum := 0.0
	for _, v := range p.Probabilities {
		sum += v
		if !(v >= 0 && v <= 1) {
			t.Errorf("%s: probability %v", name, v)
		}
	}
	if math.Abs(sum-1) > 1e-6 {
		t.Errorf("%s: probabilities sum to %v", name, sum)
	}
	if p.Top[0].Class != p.Class || p.Top[0].Probability != p.Probability || p.Probabilities[p.Class] != p.Probability {
		t.Errorf("%s: class %d (p=%v) but top %+v", name, p.Class, p.Probability, p.Top)
	}
	for i, r := range p.Top {
		if r.Label != p.Classes[r.Class] || r.Probability != p.Probabilities[r.Class] {
			t.Errorf("%s: top[%d] = %+v, probabilities %v", name, i, r, p.Probabilities)
		}
		if i > 0 && r.Probability > p.Top[i-1].Probability {
			t.Errorf("%s: top not sorted: %+v", name, p.Top)
		}
	}
	if slices.Max(p.Probabilities) != p.Probability {
		t.Errorf("%s: class %d has %v, the largest probability is %v", name, p.Class, p.Probability, slices.Max(p.Probabilities))
	}
	if p.Width != 28 || p.Height != 28 || len(p.Pixels) != 784 {
		t.Errorf("%s: prepared image %dx%d with %d pixels", name, p.Width, p.Height, len(p.Pixels))
	}
	ink := 0.0
	for _, v := range p.Pixels {
		ink = max(ink, v)
		if v < 0 || v > 1 {
			t.Fatalf("%s: pixel %v outside [0,1]", name, v)
		}
	}
	if ink != 1 {
		t.Errorf("%s: the strongest ink of the prepared image is %v, want 1", name, ink)
	}
}

// checkRefused checks that an answer is the JSON Error the case wants.
func checkRefused(t testing.TB, c badCase, status int, header http.Header, body []byte) {
	t.Helper()
	if status != c.status {
		t.Errorf("%s: status %d, want %d: %.300s", c.name, status, c.status, body)
		return
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", c.name, ct)
	}
	var e Error
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s: answer %.200q is not a JSON error: %v", c.name, body, err)
		return
	}
	if e.Status != c.status || e.Code != c.code || !strings.Contains(e.Message, c.msg) || e.Message == "" {
		t.Errorf("%s: got %+v, want status %d, code %s, a message with %q", c.name, e, c.status, c.code, c.msg)
	}
	if c.status == http.StatusMethodNotAllowed && header.Get("Allow") == "" {
		t.Errorf("%s: 405 without an Allow header", c.name)
	}
}

// Every kind of bad request gets its status and code, never a 5xx; the server still answers
// well afterwards.
func TestBadRequests(t *testing.T) {
	const maxBody, maxPixels = 256 << 10, 1 << 17
	ts := httptest.NewServer(fixServer(t, Options{MaxBodyBytes: maxBody, MaxPixels: maxPixels}))
	defer ts.Close()
	for _, c := range badCases(t, maxBody, maxPixels) {
		res, err := ts.Client().Do(c.request(t, ts.URL))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkRefused(t, c, res.StatusCode, res.Header, body)
	}
	d := fixDigits(t)[0]
	if status, body := post(t, ts.Client(), ts.URL+"/api/predict", d.contentType, d.body); status != 200 {
		t.Errorf("after the bad requests: %d %s", status, body)
	}
}

// The default limit on bodies is 4 MiB: one byte more is refused before it is read.
func TestDefaultBodyLimit(t *testing.T) {
	ts := httptest.NewServer(fixServer(t, Options{}))
	defer ts.Close()
	for _, n := range []int{DefaultMaxBodyBytes + 1, 64 << 20} {
		c := badCase{name: fmt.Sprintf("%d bytes", n), ct: "image/png", body: make([]byte, n), status: 413, code: CodeBodyTooLarge, msg: "4194304 bytes"}
		res, err := ts.Client().Do(c.request(t, ts.URL))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		checkRefused(t, c, res.StatusCode, res.Header, body)
	}
	// Just under the limit is read (and is not an image).
	status, body := post(t, ts.Client(), ts.URL+"/api/predict", "image/png", make([]byte, DefaultMaxBodyBytes))
	if status != 400 || !strings.Contains(string(body), CodeNotAnImage) {
		t.Errorf("a body of exactly the limit: %d %s", status, body)
	}
}

func TestModelEndpoint(t *testing.T) {
	saved := fixModel(t)
	ts := httptest.NewServer(fixServer(t, Options{MaxBodyBytes: 1000, MaxPixels: 5000}))
	defer ts.Close()
	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, ts.URL+"/api/model", nil)
		status, body := do(t, ts.Client(), req)
		if status != 200 {
			t.Fatalf("%s /api/model: %d %s", method, status, body)
		}
		if method == "HEAD" {
			if len(body) != 0 {
				t.Errorf("HEAD /api/model has a body: %q", body)
			}
			continue
		}
		m := decodeAs[ModelInfo](t, body)
		acc, _ := strconv.ParseFloat(saved.Meta["test_accuracy"], 64)
		want := ModelInfo{
			Description: "mlp 784-256-10 relu loss=crossentropy float32", Parameters: 784*256 + 256 + 256*10 + 10, Inputs: 784,
			Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
			Command: saved.Meta["command"], Epochs: 2, TestAccuracy: &acc, Meta: saved.Meta,
			Limits: Limits{MaxBodyBytes: 1000, MaxPixels: 5000, ImageTypes: []string{"image/png", "image/jpeg", "image/gif"}, PixelCount: 784},
		}
		got, _ := json.Marshal(m)
		wantJSON, _ := json.Marshal(want)
		if !bytes.Equal(got, wantJSON) {
			t.Errorf("GET /api/model:\n got %s\nwant %s", got, wantJSON)
		}
	}
}

// A model file without metadata: null accuracy, no command; custom class names are shown.
func TestModelEndpointWithoutMeta(t *testing.T) {
	saved := model.Saved{Net: fixModel(t).Net}
	names := []string{"T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	s, err := New(saved, Options{Classes: names, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/model", nil))
	if !strings.Contains(rec.Body.String(), `"test_accuracy":null,"meta":{}`) || strings.Contains(rec.Body.String(), `"command"`) {
		t.Errorf("model without metadata: %s", rec.Body)
	}
	m := decodeAs[ModelInfo](t, rec.Body.Bytes())
	if !slices.Equal(m.Classes, names) {
		t.Errorf("classes %q, want %q", m.Classes, names)
	}
	rec = httptest.NewRecorder()
	d := fixDigits(t)[0]
	req := httptest.NewRequest("POST", "/api/predict", bytes.NewReader(d.body))
	req.Header.Set("Content-Type", d.contentType)
	s.ServeHTTP(rec, req)
	p := decodeAs[Prediction](t, rec.Body.Bytes())
	if p.Label != names[p.Class] || p.Top[1].Label != names[p.Top[1].Class] || !slices.Equal(p.Classes, names) {
		t.Errorf("labels of the answer: %q, top %+v, classes %q", p.Label, p.Top, p.Classes)
	}
}

func TestPageAndHealth(t *testing.T) {
	ts := httptest.NewServer(fixServer(t, Options{}))
	defer ts.Close()
	res, err := ts.Client().Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" || !bytes.Equal(body, page) {
		t.Errorf("GET /: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	// Self-contained: nothing is loaded from elsewhere, and the API is reached by relative
	// addresses (so that the page works under a prefix).
	for _, re := range []string{`(?i)(src|href)\s*=\s*["']?(https?:)?//`, `(?i)@import`, `(?i)url\(`, `fetch\("/`} {
		if m := regexp.MustCompile(re).Find(page); m != nil {
			t.Errorf("the page refers to something outside itself: %q", m)
		}
	}
	for _, want := range []string{`fetch("api/predict"`, `fetch("api/model"`, `<canvas id="pad"`, `<label class="file"><input id="file" type="file"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
	status, body := do(t, ts.Client(), must(http.NewRequest("GET", ts.URL+"/healthz", nil)))
	if status != 200 || string(body) != "{\"status\":\"ok\"}\n" {
		t.Errorf("GET /healthz: %d %s", status, body)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Under a prefix, as a Go program mounts it.
func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/digits/", http.StripPrefix("/digits", fixServer(t, Options{})))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	d := fixDigits(t)[9]
	status, body := post(t, ts.Client(), ts.URL+"/digits/api/predict", d.contentType, d.body)
	if p := decodeAs[Prediction](t, body); status != 200 || p.Class != d.class {
		t.Errorf("POST /digits/api/predict: %d, class %d, want %d", status, p.Class, d.class)
	}
	if status, _ := do(t, ts.Client(), must(http.NewRequest("GET", ts.URL+"/digits/", nil))); status != 200 {
		t.Errorf("GET /digits/: %d", status)
	}
}

// One log line per request: method, path, status, duration, and the code of an error.
func TestOneLogLinePerRequest(t *testing.T) {
	var logs bytes.Buffer
	ts := httptest.NewServer(fixServer(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	defer ts.Close()
	d := fixDigits(t)[0]
	post(t, ts.Client(), ts.URL+"/api/predict", d.contentType, d.body)
	post(t, ts.Client(), ts.URL+"/api/predict", "text/plain", d.body)
	do(t, ts.Client(), must(http.NewRequest("GET", ts.URL+"/nowhere", nil)))
	want := []struct {
		method, path string
		status       int
		code         string
	}{{"POST", "/api/predict", 200, ""}, {"POST", "/api/predict", 415, CodeUnsupportedType}, {"GET", "/nowhere", 404, CodeNotFound}}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d log lines for %d requests:\n%s", len(lines), len(want), logs.String())
	}
	for i, line := range lines {
		var rec struct {
			Msg, Method, Path, Code string
			Status                  int
			Duration                *int64
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if rec.Msg != "request" || rec.Method != w.method || rec.Path != w.path || rec.Status != w.status || rec.Code != w.code || rec.Duration == nil || *rec.Duration <= 0 {
			t.Errorf("log line %d: %s; want %+v and a duration", i, line, w)
		}
	}
}

// A model whose outputs overflow for real images (but not for the blank probe) answers an error,
// never a class.
func TestNonFiniteOutputsAreNotAnswered(t *testing.T) {
	net := fixNet(t, model.MLP(784, []int{16}, 10))
	params := net.Params() // hidden1 W (784x16), b, output W (16x10), b
	w1, w2 := params[0].Value.Data().([]float32), params[2].Value.Data().([]float32)
	for i := range 784 { // hidden units 0 and 1 overflow to +Inf for any image with ink
		w1[i*16], w1[i*16+1] = 3e38, 3e38
	}
	for c := range 10 { // every logit is h0 - h1 + ...: Inf - Inf = NaN
		w2[c], w2[10+c] = 1, -1
	}
	var logs bytes.Buffer
	s, err := New(model.Saved{Net: net}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("New refused a model that is finite on a blank image: %v", err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	d := fixDigits(t)[0]
	status, body := post(t, ts.Client(), ts.URL+"/api/predict", d.contentType, d.body)
	if status != 500 || strings.Contains(string(body), `"class"`) {
		t.Fatalf("non-finite outputs: %d %s", status, body)
	}
	if e := decodeAs[Error](t, body); e.Code != CodeNonFiniteOutput || !strings.Contains(e.Message, "is not a number for this image: no class is reported") {
		t.Errorf("non-finite outputs: %+v", e)
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=\"prediction failed\" code=non_finite_output") {
		t.Errorf("the failure is not logged as an error:\n%s", logs.String())
	}
}

func TestNewRefuses(t *testing.T) {
	good := fixModel(t)
	nanNet := fixNet(t, model.MLP(784, []int{8}, 10))
	nanNet.Params()[1].Value.Data().([]float32)[3] = float32(math.NaN()) // a hidden bias
	cases := []struct {
		name  string
		saved model.Saved
		opts  Options
		want  string
		isErr error
	}{
		{"no network", model.Saved{}, Options{}, "holds no network", ErrModel},
		{"XOR model", model.Saved{Net: fixNet(t, model.MLP(2, []int{4}, 1))}, Options{}, "loss bce", ErrModel},
		{"32x32 inputs", model.Saved{Net: fixNet(t, model.Perceptron(1024, 10))}, Options{}, "takes 1024 inputs, not a 28x28 image (784)", ErrModel},
		{"3 classes", good, Options{Classes: []string{"a", "b", "c"}}, "has 10 outputs, and there are 3 classes (a b c)", ErrModel},
		{"NaN weights", model.Saved{Net: nanNet}, Options{}, "running it on a blank image: row 0: the model's output is not a number (NaN)", ErrModel},
		{"negative workers", good, Options{Workers: -1}, "Options.Workers is negative", nil},
		{"negative timeout", good, Options{WriteTimeout: -time.Second}, "Options.WriteTimeout is negative", nil},
		{"in flight below workers", good, Options{Workers: 4, MaxInFlight: 2}, "MaxInFlight 2 is below Workers 4", nil},
		{"pixels above preparation's limit", good, Options{MaxPixels: dataset.MaxDigitPixels + 1}, "above the limit of image preparation", nil},
		{"repeated class", good, Options{Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "8"}}, `Classes[9] "8" is empty or repeated`, nil},
	}
	for _, c := range cases {
		c.opts.Logger = quiet
		_, err := New(c.saved, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
			continue
		}
		if c.isErr != nil && !errors.Is(err, c.isErr) {
			t.Errorf("%s: %v is not %v", c.name, err, c.isErr)
		}
	}
}

// With every evaluator busy, a request waits QueueTimeout and is answered 503 with Retry-After.
func TestBusy(t *testing.T) {
	s := fixServer(t, Options{Workers: 1, QueueTimeout: 50 * time.Millisecond})
	ts := httptest.NewServer(s)
	defer ts.Close()
	held := <-s.pool
	d := fixDigits(t)[0]
	req, _ := http.NewRequest("POST", ts.URL+"/api/predict", bytes.NewReader(d.body))
	req.Header.Set("Content-Type", d.contentType)
	start := time.Now()
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if e := decodeAs[Error](t, body); res.StatusCode != 503 || e.Code != CodeBusy || res.Header.Get("Retry-After") != "1" || time.Since(start) < 50*time.Millisecond {
		t.Errorf("all evaluators busy: %d %s, Retry-After %q, after %v", res.StatusCode, body, res.Header.Get("Retry-After"), time.Since(start))
	}
	s.pool <- held
	if status, body := post(t, ts.Client(), ts.URL+"/api/predict", d.contentType, d.body); status != 200 {
		t.Errorf("evaluator back: %d %s", status, body)
	}
}

// Serve: a request in flight when the context is cancelled is answered; then Serve returns nil,
// /healthz says 503, and no goroutine is left.
func TestServeShutdownIsGraceful(t *testing.T) {
	s := fixServer(t, Options{})
	before := countGoroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	d := fixDigits(t)[0]
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/predict", pr)
	req.Header.Set("Content-Type", d.contentType)
	client := &http.Client{Transport: &http.Transport{}}
	answered := make(chan error, 1)
	go func() {
		res, err := client.Do(req)
		if err == nil {
			var p Prediction
			err = json.NewDecoder(res.Body).Decode(&p)
			res.Body.Close()
			if err == nil && (res.StatusCode != 200 || p.Class != d.class) {
				err = fmt.Errorf("status %d, class %d", res.StatusCode, p.Class)
			}
		}
		answered <- err
	}()
	pw.Write(d.body[:100])
	for deadline := time.Now().Add(5 * time.Second); len(s.inFlight) == 0; { // its handler reads the body
		if time.Now().After(deadline) {
			t.Fatal("the request did not reach its handler")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}
	pw.Write(d.body[100:])
	pw.Close()
	if err := <-answered; err != nil {
		t.Errorf("the request in flight during shutdown: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(DefaultShutdownTimeout + time.Second):
		t.Fatal("Serve did not return")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), CodeShuttingDown) {
		t.Errorf("/healthz after shutdown: %d %s", rec.Code, rec.Body)
	}
	client.CloseIdleConnections()
	checkGoroutines(t, before)
}

func TestPageURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
		"0.0.0.0:80":     "http://localhost:80/",
		"[::]:9000":      "http://localhost:9000/",
		"[::1]:9000":     "http://[::1]:9000/",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := PageURL(a); got != want {
			t.Errorf("PageURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
