package serve_test

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"

	"gorgonet/model"
	"gorgonet/train/serve"
)

// A program mounts the server under a prefix of its own mux. (A real program loads a trained
// model with model.Load; this one builds an untrained network so that the example runs alone.)
func ExampleNew() {
	net, err := model.New(model.MLP(784, []int{32}, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		panic(err)
	}
	srv, err := serve.New(model.Saved{Net: net}, serve.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/digits/", http.StripPrefix("/digits", srv))

	for _, path := range []string{"/digits/healthz", "/digits/api/nope"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// 200 {"status":"ok"}
	// 404 {"status":404,"code":"not_found","error":"no such page \"/api/nope\": the endpoints are GET /, POST /api/predict, GET /api/model and GET /healthz"}
}

// Every refused request is answered with a JSON Error: a status, a stable code and a message.
func ExampleError() {
	net, err := model.New(model.Perceptron(784, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		panic(err)
	}
	srv, err := serve.New(model.Saved{Net: net}, serve.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	for _, body := range []string{`{"pixels": [0.5, 0.25]}`, `{"pixels": [2]}`, `{"pixels": [`} {
		req := httptest.NewRequest("POST", "/api/predict", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		fmt.Print(string(b))
	}
	// Output:
	// {"status":422,"code":"bad_pixels","error":"pixels: 2 values, want 784 (a 28x28 image, row after row)"}
	// {"status":422,"code":"bad_pixels","error":"pixels[0]: 2 is outside [0, 1]"}
	// {"status":400,"code":"bad_json","error":"the body is not valid JSON: it ends too early"}
}
