package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorgonet/train"
)

var servingRe = regexp.MustCompile(`^Serving (\S+) on (127\.0\.0\.1:\d+): open (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)$`)

// mnist serve end to end: a trained model serves the page and reads the four test digits; SIGINT
// or SIGTERM stops it with status 0 within a few seconds.
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains a model")
	}
	dir := t.TempDir()
	modelFile := filepath.Join(dir, "digits.model")
	if _, stderr, status := runMnist(t, dir, "train", "--quiet", "--train-limit", "6000", "--epochs", "2", "--save", modelFile); status != 0 {
		t.Fatalf("training: status %d: %s", status, stderr)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		cmd, lines, stderr := startMnist(t, dir, "serve", "--model", modelFile, "--addr", "127.0.0.1:0")
		if !lines.Scan() {
			t.Fatalf("no output; stderr: %s", stderr)
		}
		m := servingRe.FindStringSubmatch(lines.Text())
		if m == nil || m[1] != modelFile || !strings.HasSuffix(m[3], m[2]+"/") {
			t.Fatalf("first line %q, want %s", lines.Text(), servingRe)
		}
		url := m[3]
		if res, err := http.Get(url + "healthz"); err != nil || res.StatusCode != 200 {
			t.Fatalf("GET /healthz: %v %v", res, err)
		}
		for name, want := range map[string]int{"digit2.png": 2, "digit3-drawn.png": 3, "digit4.png": 4, "digit7.png": 7} {
			f, err := os.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.Post(url+"api/predict", "image/png", f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			var p struct{ Class int }
			err = json.NewDecoder(res.Body).Decode(&p)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || p.Class != want {
				t.Errorf("%s: status %d, class %d, want %d (%v)", name, res.StatusCode, p.Class, want, err)
			}
		}
		start := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		var rest []string
		go func() { // read stdout to its end before Wait closes it
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			done <- cmd.Wait()
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("after %v: %v; stderr:\n%s", sig, err, stderr)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("still running 10 s after %v", sig)
		}
		if want := []string{"Stopped (" + train.SignalName(sig) + ")."}; !slices.Equal(rest, want) {
			t.Errorf("stdout after the first line: %q, want %q", rest, want)
		}
		t.Logf("%v: stopped in %v", sig, time.Since(start).Round(time.Millisecond))
		// One log line per request: the health check and four predictions.
		if n := strings.Count(stderr.String(), "msg=request method="); n != 5 || !strings.Contains(stderr.String(), "path=/api/predict status=200") {
			t.Errorf("%d request lines in the log, want 5:\n%s", n, stderr)
		}
	}
}

// What mnist serve refuses, with one line and status 2 (usage) or 1 (runtime).
func TestServeRefuses(t *testing.T) {
	dir := t.TempDir()
	damaged := filepath.Join(dir, "damaged.model")
	if err := os.WriteFile(damaged, []byte("gorgonet-model\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.model")
	m32 := filepath.Join(dir, "32.model")
	for file, data := range map[string][]string{small: nil, m32: {"--data", dataDir(t, 32, nil)}} {
		if _, stderr, status := runMnist(t, dir, quickWith(append(data, "--save", file)...)...); status != 0 {
			t.Fatalf("training: %s", stderr)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	runCases(t, dir, []badCase{
		{[]string{"serve"}, 2, []string{"--model-file FILE is required"}},
		{[]string{"serve", "--model", filepath.Join(dir, "none.model")}, 2, []string{"none.model: no such file"}},
		{[]string{"serve", "--model", damaged}, 1, []string{"damaged.model"}},
		{[]string{"serve", "--model", m32}, 1, []string{"--model-file " + m32, "takes 1024 inputs, not a 28x28 image"}},
		{[]string{"serve", "--model", small, "--addr", "localhost"}, 2, []string{`--addr "localhost": want HOST:PORT`}},
		{[]string{"serve", "--model", small, "--addr", busy}, 1, []string{"--addr " + busy, "address already in use"}},
		{[]string{"serve", "--model", small, "extra"}, 2, []string{`unexpected argument "extra"`}},
		{[]string{"serve", "--model", small, "--port", "1"}, 2, []string{"unknown flag: --port"}},
	})
}
