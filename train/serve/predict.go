package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"gorgonet/model"
	"image"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	// The decoders of the accepted image types.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
)

// imageTypes are the Content-Types of the images POST /api/predict accepts, and imageFormats the
// names image.DecodeConfig gives them. The body's own format decides how it is decoded: a PNG
// sent as image/jpeg is read as a PNG.
var (
	imageTypes   = []string{"image/png", "image/jpeg", "image/gif"}
	imageFormats = []string{"png", "jpeg", "gif"}
)

// Prediction is the answer of POST /api/predict.
type Prediction struct {
	Class       int     `json:"class"`       // the most probable class (the digit, for MNIST)
	Label       string  `json:"label"`       // its name: Classes[Class]
	Probability float64 `json:"probability"` // its probability
	// Probabilities holds one probability per class, in the order of Classes; they sum to 1.
	Probabilities []float64 `json:"probabilities"`
	Top           []Ranked  `json:"top"`     // the three most probable classes, most probable first
	Classes       []string  `json:"classes"` // the names of the classes (Options.Classes)
	// Pixels is the image the network received, Width x Height values row after row, from 0
	// (background) to 1 (ink): for an image, the result of MNIST's preparation; for
	// {"pixels": [...]}, those values.
	Pixels []float64 `json:"pixels"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
}

// Ranked is a class and its probability.
type Ranked struct {
	Class       int     `json:"class"`
	Label       string  `json:"label"`
	Probability float64 `json:"probability"`
}

func (s *Server) servePredict(w http.ResponseWriter, r *http.Request) {
	p, err := s.predict(r)
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) && e.Status >= 500 {
			s.log.Error("prediction failed", "code", e.Code, "error", e.Message)
		}
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// predict reads, checks and answers one prediction request; its errors are *Error.
func (s *Server) predict(r *http.Request) (*Prediction, error) {
	isJSON, err := mediaKind(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, s.tooLarge()
	}
	release, err := acquire(r.Context(), s.inFlight, s.opts.QueueTimeout)
	if err != nil {
		return nil, err
	}
	defer release()
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}

	if isJSON {
		pixels, err := parsePixels(body, s.info.Inputs)
		if err != nil {
			return nil, err
		}
		predict, release, err := s.evaluator(r.Context())
		if err != nil {
			return nil, err
		}
		defer release()
		return s.answer(predict, pixels)
	}
	// Decoding is bounded by the evaluators too, so that at most Workers images are in memory
	// decoded at once.
	predict, release, err := s.evaluator(r.Context())
	if err != nil {
		return nil, err
	}
	defer release()
	grey, err := s.decodeImage(body)
	if err != nil {
		return nil, err
	}
	pixels := make([]float64, len(grey))
	for i, v := range grey {
		pixels[i] = float64(v) * (1.0 / 255) // as dataset.Fill scales MNIST's pixels
	}
	return s.answer(predict, pixels)
}

// mediaKind tells a JSON body from an image by the Content-Type header.
func mediaKind(contentType string) (isJSON bool, err error) {
	mt, _, perr := mime.ParseMediaType(contentType)
	switch {
	case perr == nil && mt == "application/json":
		return true, nil
	case perr == nil && slices.Contains(imageTypes, mt):
		return false, nil
	}
	got := fmt.Sprintf("Content-Type %q", contentType)
	if contentType == "" {
		got = "no Content-Type"
	}
	return false, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType,
		fmt.Sprintf("%s: send an image as image/png, image/jpeg or image/gif, or pixels as application/json", got))
}

func (s *Server) tooLarge() *Error {
	return errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
		fmt.Sprintf("the body is larger than the limit of %d bytes", s.opts.MaxBodyBytes))
}

// readBody reads the whole body, at most MaxBodyBytes of it.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 {
		buf.Grow(int(n))
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, s.opts.MaxBodyBytes+1))
	switch {
	case err != nil:
		return nil, errorf(http.StatusBadRequest, CodeUnreadableBody, fmt.Sprintf("reading the body: %v", err))
	case int64(buf.Len()) > s.opts.MaxBodyBytes:
		return nil, s.tooLarge()
	case buf.Len() == 0:
		return nil, errorf(http.StatusBadRequest, CodeEmptyBody, "the body is empty: send an image or {\"pixels\": [...]}")
	}
	return buf.Bytes(), nil
}

// acquire takes a token from sem, waiting at most timeout; release gives it back.
func acquire[T any](ctx context.Context, sem chan T, timeout time.Duration) (release func(), err error) {
	var tok T
	select {
	case sem <- tok:
		return func() { <-sem }, nil
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case sem <- tok:
		return func() { <-sem }, nil
	case <-t.C:
		return nil, errorf(http.StatusServiceUnavailable, CodeBusy, fmt.Sprintf("the server is busy: no room within %v; try again", timeout))
	case <-ctx.Done():
		return nil, errorf(http.StatusServiceUnavailable, CodeBusy, "the request was cancelled while waiting: "+ctx.Err().Error())
	}
}

// evaluator takes an idle evaluator from the pool, waiting at most QueueTimeout.
func (s *Server) evaluator(ctx context.Context) (predictFunc, func(), error) {
	get := func(p predictFunc) (predictFunc, func(), error) { return p, func() { s.pool <- p }, nil }
	select {
	case p := <-s.pool:
		return get(p)
	default:
	}
	t := time.NewTimer(s.opts.QueueTimeout)
	defer t.Stop()
	select {
	case p := <-s.pool:
		return get(p)
	case <-t.C:
		return nil, nil, errorf(http.StatusServiceUnavailable, CodeBusy,
			fmt.Sprintf("the server is busy: no evaluator free within %v; try again", s.opts.QueueTimeout))
	case <-ctx.Done():
		return nil, nil, errorf(http.StatusServiceUnavailable, CodeBusy, "the request was cancelled while waiting: "+ctx.Err().Error())
	}
}

// decodeImage checks the image's header (format, then size, before any pixel is decoded),
// decodes it and prepares it like an MNIST digit.
func (s *Server) decodeImage(body []byte) ([]uint8, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	switch {
	case errors.Is(err, image.ErrFormat):
		return nil, errorf(http.StatusBadRequest, CodeNotAnImage, "the body is not a PNG, JPEG or GIF image")
	case err != nil:
		return nil, errorf(http.StatusBadRequest, CodeNotAnImage, fmt.Sprintf("the body is not a readable image: its header: %v", err))
	case !slices.Contains(imageFormats, format):
		return nil, errorf(http.StatusBadRequest, CodeNotAnImage, fmt.Sprintf("the body is a %s image, not PNG, JPEG or GIF", format))
	case cfg.Width <= 0 || cfg.Height <= 0:
		return nil, errorf(http.StatusBadRequest, CodeBadImage, fmt.Sprintf("the %s image is %dx%d pixels: it has none", format, cfg.Width, cfg.Height))
	case cfg.Width > s.opts.MaxPixels/cfg.Height:
		return nil, errorf(http.StatusRequestEntityTooLarge, CodeImageTooLarge,
			fmt.Sprintf("the %s image is %dx%d pixels, more than the limit of %d pixels", format, cfg.Width, cfg.Height, s.opts.MaxPixels))
	}
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, CodeBadImage, fmt.Sprintf("decoding the %s image: %v", format, err))
	}
	grey, err := s.prepare(img)
	if err != nil {
		// The image is decoded and within the limits, so preparation fails only when it finds
		// no digit.
		return nil, errorf(http.StatusUnprocessableEntity, CodeBlankImage, err.Error())
	}
	return grey, nil
}

// parsePixels reads {"pixels": [n numbers in 0..1]} token by token, so that a body of a million
// numbers is refused at the (n+1)th without being held in memory. Bad JSON is a CodeBadJSON error,
// valid JSON of the wrong shape a CodeBadPixels one.
func parsePixels(body []byte, n int) ([]float64, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	badJSON := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("it ends too early")
		}
		return errorf(http.StatusBadRequest, CodeBadJSON, fmt.Sprintf("the body is not valid JSON: %v", err))
	}
	bad := func(format string, args ...any) error {
		return errorf(http.StatusUnprocessableEntity, CodeBadPixels, fmt.Sprintf(format, args...))
	}
	want := fmt.Sprintf(`want {"pixels": [%d numbers from 0 to 1]}`, n)
	tok, err := dec.Token()
	if err != nil {
		return nil, badJSON(err)
	}
	if tok != json.Delim('{') {
		return nil, bad("the body is not a JSON object: %s", want)
	}
	var pixels []float64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, badJSON(err)
		}
		if key := tok.(string); key != "pixels" { // object keys are always strings
			return nil, bad("unknown field %q: %s", key, want)
		}
		if pixels != nil {
			return nil, bad(`"pixels" is given twice`)
		}
		if pixels, err = parseArray(dec, n, bad, badJSON); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, badJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, badJSON(err)
		}
		return nil, badJSON(errors.New("more data after the object"))
	}
	if pixels == nil {
		return nil, bad(`no "pixels": %s`, want)
	}
	if len(pixels) != n {
		return nil, bad("pixels: %d values, want %d (a %dx%d image, row after row)", len(pixels), n, digitSize, digitSize)
	}
	if !slices.ContainsFunc(pixels, func(v float64) bool { return v != 0 }) {
		return nil, errorf(http.StatusUnprocessableEntity, CodeBlankImage, fmt.Sprintf("pixels: all %d values are 0: there is no digit", n))
	}
	return pixels, nil
}

// parseArray reads the value of "pixels": an array of at most n numbers, each finite and in [0,1].
func parseArray(dec *json.Decoder, n int, bad func(string, ...any) error, badJSON func(error) error) ([]float64, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, badJSON(err)
	}
	if tok != json.Delim('[') {
		return nil, bad("pixels: want an array of %d numbers, got %s", n, describeToken(tok))
	}
	pixels := make([]float64, 0, n)
	for i := 0; dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			return nil, badJSON(err)
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, bad("pixels[%d]: want a number from 0 to 1, got %s", i, describeToken(tok))
		}
		if i == n {
			return nil, bad("pixels: more than %d values (a %dx%d image, row after row)", n, digitSize, digitSize)
		}
		v, err := strconv.ParseFloat(string(num), 64)
		if err != nil || math.IsInf(v, 0) {
			return nil, bad("pixels[%d]: %s is not a finite number", i, num)
		}
		if v < 0 || v > 1 {
			return nil, bad("pixels[%d]: %s is outside [0, 1]", i, num)
		}
		pixels = append(pixels, v)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, badJSON(err)
	}
	return pixels, nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return fmt.Sprintf("the string %q", v)
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(tok)
}

// answer runs the network on pixels (the Inputs values it receives) and ranks the classes. A
// prediction whose outputs are not finite numbers is an error, never a class.
func (s *Server) answer(predict predictFunc, pixels []float64) (*Prediction, error) {
	out, err := predict([][]float64{pixels})
	if errors.Is(err, model.ErrNonFiniteOutput) {
		return nil, errorf(http.StatusInternalServerError, CodeNonFiniteOutput,
			"the model's output is not a number for this image: no class is reported (its weights may have diverged)")
	}
	if err != nil {
		return nil, fmt.Errorf("running the network: %w", err)
	}
	m := out[0]
	p := &Prediction{
		Class: m.Class, Label: s.opts.Classes[m.Class], Probability: m.Prob,
		Probabilities: m.Probs, Classes: s.opts.Classes, Pixels: pixels, Width: digitSize, Height: digitSize,
	}
	for _, c := range m.Top(3) { // most probable first, ties in class order, as 'mnist predict' ranks them
		p.Top = append(p.Top, Ranked{Class: c, Label: s.opts.Classes[c], Probability: m.ProbOf(c)})
	}
	return p, nil
}
