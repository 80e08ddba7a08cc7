package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// The model the tests serve: the default architecture (784-256-10, ReLU) trained for 2 epochs on
// the first 6,000 MNIST training images, in about a second. It reaches about 0.92 on the test
// set and reads the four digits of cmd/mnist/testdata with a probability above 0.9 each (seed 1);
// the tests only need them right.
var (
	fixOnce  sync.Once
	fixSaved model.Saved
	fixErr   error
)

// fixModel returns the trained model; it is trained once per test binary and never changed.
func fixModel(t testing.TB) model.Saved {
	t.Helper()
	fixOnce.Do(func() {
		var dir string
		var trainSet, testSet *dataset.Set
		if dir, fixErr = dataset.BundledDir(); fixErr != nil {
			return
		}
		if trainSet, testSet, fixErr = dataset.LoadMNIST(dir); fixErr != nil {
			return
		}
		net := fixNet(t, model.MLP(784, []int{256}, 10))
		tr, err := train.NewTrainer(net, train.Config{Epochs: 2, BatchSize: 50, Seed: 1})
		if err != nil {
			fixErr = err
			return
		}
		if fixErr = tr.Fit(context.Background(), trainSet.Limit(6000), nil); fixErr != nil {
			return
		}
		r, err := train.NewEvaluator(net).Evaluate(testSet)
		if err != nil {
			fixErr = err
			return
		}
		fixSaved = model.Saved{Net: net, Meta: map[string]string{
			"command":       "mnist train --train-limit 6000 --epochs 2 --batch-size 50 --dropout 0",
			"epochs":        "2",
			"test_accuracy": strconv.FormatFloat(r.Accuracy, 'f', 4, 64),
		}}
	})
	if fixErr != nil {
		t.Fatalf("training the test model: %v", fixErr)
	}
	return fixSaved
}

// fixNet builds an untrained network (seed 1).
func fixNet(t testing.TB, cfg model.Config) *model.Network {
	net, err := model.New(cfg, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatalf("model.New: %v", err)
	}
	return net
}

// quiet is a logger that drops everything.
var quiet = slog.New(slog.DiscardHandler)

// fixServer returns a Server of the trained model with opts (its Logger quiet unless set).
func fixServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := New(fixModel(t), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// digit is a test image and the class it shows.
type digit struct {
	name        string
	contentType string
	body        []byte
	class       int
}

// fixDigits returns the four digits of cmd/mnist/testdata as PNG files, and each also encoded as
// JPEG and as GIF.
func fixDigits(t testing.TB) []digit {
	t.Helper()
	files := map[string]int{"digit2.png": 2, "digit3-drawn.png": 3, "digit4.png": 4, "digit7.png": 7}
	var out []digit
	for _, name := range []string{"digit2.png", "digit3-drawn.png", "digit4.png", "digit7.png"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "cmd", "mnist", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var j, g bytes.Buffer
		if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		if err := gif.Encode(&g, img, nil); err != nil {
			t.Fatal(err)
		}
		c := files[name]
		out = append(out, digit{name, "image/png", b, c},
			digit{name + " as JPEG", "image/jpeg", j.Bytes(), c},
			digit{name + " as GIF", "image/gif", g.Bytes(), c})
	}
	return out
}

// encodePNG encodes img or stops the test.
func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// encodeJPEG encodes img at quality 90 or stops the test.
func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uniform returns a w x h grey image of one level.
func uniform(w, h int, level uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = level
	}
	return img
}

// pixelsJSON returns {"pixels": values} with each value written as given.
func pixelsJSON(values []string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"pixels": [`)
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// repeat returns n copies of v.
func repeat(v string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// with returns values with values[i] replaced by v.
func with(values []string, i int, v string) []string {
	out := append([]string(nil), values...)
	out[i] = v
	return out
}

// post sends body to url with the Content-Type ct ("" for none) and returns the status and the
// body of the answer.
func post(t testing.TB, client *http.Client, url, ct string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return do(t, client, req)
}

func do(t testing.TB, client *http.Client, req *http.Request) (int, []byte) {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return res.StatusCode, b
}

// decodeAs decodes a JSON answer into v or stops the test.
func decodeAs[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("answer %.200q: %v", b, err)
	}
	return v
}

// countGoroutines returns the number of goroutines now.
func countGoroutines() int { return runtime.NumGoroutine() }

// checkGoroutines fails the test when, within 5 seconds, the number of goroutines has not come
// back to before, and shows the stacks of all of them.
func checkGoroutines(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines left, %d before:\n%s", n, before, buf)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
