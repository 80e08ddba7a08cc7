package serve

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"gorgonet/model"
	"image"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

//go:embed page.html
var page []byte

// predictFunc returns the prediction of each input row (Inputs values in [0,1]), decided by
// model.Predict as every gorgonet command decides. One predictFunc must not be called by two
// goroutines at once.
type predictFunc func(rows [][]float64) ([]model.Prediction, error)

// modelInfo is what the server shows of a model.
type modelInfo struct {
	Description     string
	Parameters      int
	Inputs, Outputs int
	Command         string
	Epochs          int
	TestAccuracy    *float64
	Meta            map[string]string
}

// Server answers the drawing page and the JSON API for one model; see the package documentation
// for the endpoints. It is an http.Handler, safe for concurrent use; Serve runs it in an
// http.Server with the timeouts of its Options. Make one with New.
type Server struct {
	opts     Options
	info     modelInfo
	log      *slog.Logger
	pool     chan predictFunc                   // the idle evaluators
	prepare  func(image.Image) ([]uint8, error) // a picture to the 28x28 grey levels the network receives
	inFlight chan struct{}                      // a token per prediction holding a request body
	draining atomic.Bool                        // set by Serve when shutting down: /healthz answers 503
}

// newServer checks the model against opts, builds opts.Workers evaluators with newPredict and
// runs each once on a blank image.
func newServer(info modelInfo, newPredict func() predictFunc, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if info.Inputs != digitSize*digitSize {
		return nil, fmt.Errorf("%w: %s takes %d inputs, not a %dx%d image (%d)",
			ErrModel, info.Description, info.Inputs, digitSize, digitSize, digitSize*digitSize)
	}
	if info.Outputs != len(opts.Classes) {
		return nil, fmt.Errorf("%w: %s has %d outputs, and there are %d classes (%s)",
			ErrModel, info.Description, info.Outputs, len(opts.Classes), strings.Join(opts.Classes, " "))
	}
	s := &Server{
		opts:     opts,
		info:     info,
		log:      opts.Logger,
		pool:     make(chan predictFunc, opts.Workers),
		inFlight: make(chan struct{}, opts.MaxInFlight),
	}
	blank := [][]float64{make([]float64, info.Inputs)}
	for range opts.Workers {
		p := newPredict()
		if _, err := p(blank); err != nil { // a NaN output is model.ErrNonFiniteOutput
			return nil, fmt.Errorf("%w: %s: running it on a blank image: %v", ErrModel, info.Description, err)
		}
		s.pool <- p
	}
	return s, nil
}

// ServeHTTP routes a request and logs one line for it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if rec.status == 0 {
				writeError(rec, &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"})
			}
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start))}
		if rec.code != "" {
			attrs = append(attrs, slog.String("code", rec.code))
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	}()
	w = rec
	w.Header().Set("X-Content-Type-Options", "nosniff")
	methods, handler := s.route(r.URL.Path)
	switch {
	case handler == nil:
		writeError(w, &Error{Status: http.StatusNotFound, Code: CodeNotFound,
			Message: fmt.Sprintf("no such page %q: the endpoints are GET /, POST /api/predict, GET /api/model and GET /healthz", r.URL.Path)})
	case !slices.Contains(methods, r.Method):
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Message: fmt.Sprintf("%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, strings.Join(methods, ", "))})
	default:
		handler(w, r)
	}
}

// route returns the methods allowed on path and its handler (nil for an unknown path).
func (s *Server) route(path string) ([]string, http.HandlerFunc) {
	get := []string{http.MethodGet, http.MethodHead}
	switch path {
	case "/":
		return get, s.servePage
	case "/api/predict":
		return []string{http.MethodPost}, s.servePredict
	case "/api/model":
		return get, s.serveModel
	case "/healthz":
		return get, s.serveHealth
	}
	return nil, nil
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(page)
}

// ModelInfo is the answer of GET /api/model.
type ModelInfo struct {
	// Description is the network on one line, as the training command prints it
	// ("mlp 784-256-10 relu loss=crossentropy dropout=0.2 float32").
	Description string `json:"description"`
	Parameters  int    `json:"parameters"` // number of weights and biases
	Inputs      int    `json:"inputs"`     // 784: a 28x28 image
	// Classes names the outputs, in order: the labels of Prediction.Probabilities.
	Classes []string `json:"classes"`
	// Command, Epochs and TestAccuracy are what the model file says of its training (empty, 0 and
	// null when it does not say); Meta is all of its metadata.
	Command      string            `json:"command,omitempty"`
	Epochs       int               `json:"epochs,omitempty"`
	TestAccuracy *float64          `json:"test_accuracy"`
	Meta         map[string]string `json:"meta"`
	Limits       Limits            `json:"limits"`
}

// Limits are the bounds a request to POST /api/predict must keep.
type Limits struct {
	MaxBodyBytes int64    `json:"max_body_bytes"` // a larger body is answered 413 body_too_large
	MaxPixels    int      `json:"max_pixels"`     // a wider x higher image is answered 413 image_too_large
	ImageTypes   []string `json:"image_types"`    // the image Content-Types accepted
	PixelCount   int      `json:"pixel_count"`    // the number of values of {"pixels": [...]}
}

func (s *Server) serveModel(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, ModelInfo{
		Description:  s.info.Description,
		Parameters:   s.info.Parameters,
		Inputs:       s.info.Inputs,
		Classes:      s.opts.Classes,
		Command:      s.info.Command,
		Epochs:       s.info.Epochs,
		TestAccuracy: s.info.TestAccuracy,
		Meta:         s.info.Meta,
		Limits: Limits{MaxBodyBytes: s.opts.MaxBodyBytes, MaxPixels: s.opts.MaxPixels,
			ImageTypes: imageTypes, PixelCount: s.info.Inputs},
	})
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeError(w, &Error{Status: http.StatusServiceUnavailable, Code: CodeShuttingDown, Message: "the server is shutting down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// writeJSON writes v as the JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only values of this package are written: a bug
		panic(fmt.Sprintf("serve: encoding the answer: %v", err))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// recorder keeps the status and error code of an answer for the log line.
type recorder struct {
	http.ResponseWriter
	status int
	code   string
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
