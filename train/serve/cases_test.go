package serve

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
)

// badCase is a request the server must refuse with exactly this status and code.
type badCase struct {
	name    string
	method  string // POST when empty
	path    string // /api/predict when empty
	ct      string // the Content-Type ("" for none)
	body    []byte
	chunked bool   // send without Content-Length
	status  int    // the status wanted
	code    string // the Error code wanted
	msg     string // a part of the Error message wanted
}

// request returns the case as a request to base (http://host:port).
func (c badCase) request(t testing.TB, base string) *http.Request {
	t.Helper()
	method, path := c.method, c.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/api/predict"
	}
	var body = bytes.NewReader(c.body)
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.chunked {
		req.ContentLength = -1
		req.Body = readerOnly{body}
		req.GetBody = nil
	}
	if c.ct != "" {
		req.Header.Set("Content-Type", c.ct)
	}
	return req
}

// readerOnly hides the Len method of a bytes.Reader, so that the request is sent chunked.
type readerOnly struct{ r *bytes.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r readerOnly) Close() error               { return nil }

// forgedPNG returns the 33 bytes of a PNG's signature and header announcing a w x h RGBA image,
// and nothing else: a decompression bomb's first bytes.
func forgedPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 6 // 8 bits, RGBA
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// badCases returns one request of every kind the server must refuse, for a server with the given
// MaxBodyBytes and MaxPixels.
func badCases(t testing.TB, maxBody int64, maxPixels int) []badCase {
	t.Helper()
	digits := fixDigits(t)
	goodPNG := digits[0].body
	zeros := repeat("0", 784)
	dot := with(zeros, 400, "1")
	// A real image one row taller than the limit allows, and a header announcing 2.5 gigapixels.
	side := 1
	for side*side <= maxPixels {
		side *= 2
	}
	tall := encodePNG(t, uniform(side, maxPixels/side+1, 255))
	return []badCase{
		{name: "unknown path", method: "GET", path: "/api/nope", status: 404, code: CodeNotFound, msg: `"/api/nope"`},
		{name: "unknown path POST", path: "/predict", ct: "image/png", body: goodPNG, status: 404, code: CodeNotFound},
		{name: "GET predict", method: "GET", status: 405, code: CodeMethodNotAllowed, msg: "allowed: POST"},
		{name: "PUT predict", method: "PUT", ct: "image/png", body: goodPNG, status: 405, code: CodeMethodNotAllowed},
		{name: "POST page", path: "/", ct: "image/png", body: goodPNG, status: 405, code: CodeMethodNotAllowed, msg: "allowed: GET, HEAD"},
		{name: "DELETE model", method: "DELETE", path: "/api/model", status: 405, code: CodeMethodNotAllowed},
		{name: "no Content-Type", body: goodPNG, status: 415, code: CodeUnsupportedType, msg: "no Content-Type"},
		{name: "text/plain", ct: "text/plain", body: goodPNG, status: 415, code: CodeUnsupportedType, msg: `"text/plain"`},
		{name: "form", ct: "application/x-www-form-urlencoded", body: []byte("pixels=1"), status: 415, code: CodeUnsupportedType},
		{name: "bad Content-Type", ct: "image/", body: goodPNG, status: 415, code: CodeUnsupportedType},
		{name: "empty image", ct: "image/png", status: 400, code: CodeEmptyBody},
		{name: "empty JSON", ct: "application/json", chunked: true, status: 400, code: CodeEmptyBody},
		{name: "not an image", ct: "image/png", body: []byte("hello, this is text"), status: 400, code: CodeNotAnImage, msg: "not a PNG, JPEG or GIF"},
		{name: "truncated header", ct: "image/png", body: goodPNG[:20], status: 400, code: CodeNotAnImage, msg: "header"},
		{name: "truncated pixels", ct: "image/png", body: goodPNG[:len(goodPNG)/2], status: 400, code: CodeBadImage, msg: "decoding the png image"},
		{name: "body over the limit", ct: "image/png", body: bytes.Repeat([]byte{0}, int(maxBody)+1), status: 413, code: CodeBodyTooLarge},
		{name: "chunked body over the limit", ct: "application/json", chunked: true, body: bytes.Repeat([]byte(" "), int(maxBody)+1), status: 413, code: CodeBodyTooLarge},
		{name: "image over the pixel limit", ct: "image/png", body: tall, status: 413, code: CodeImageTooLarge, msg: "more than the limit"},
		{name: "decompression bomb header", ct: "image/png", body: forgedPNG(50000, 50000), status: 413, code: CodeImageTooLarge, msg: "50000x50000"},
		{name: "zero-width image", ct: "image/png", body: forgedPNG(0, 10), status: 400, code: CodeNotAnImage},
		{name: "blank white image", ct: "image/png", body: encodePNG(t, uniform(100, 100, 255)), status: 422, code: CodeBlankImage, msg: "no ink"},
		{name: "blank grey JPEG", ct: "image/jpeg", body: encodeJPEG(t, uniform(64, 64, 128)), status: 422, code: CodeBlankImage, msg: "no ink"},
		{name: "bad JSON", ct: "application/json", body: []byte(`{"pixels": [0, 1`), status: 400, code: CodeBadJSON, msg: "it ends too early"},
		{name: "bad JSON token", ct: "application/json", body: []byte(`{"pixels": [0, 1,, 2]}`), status: 400, code: CodeBadJSON, msg: "invalid character ','"},
		{name: "NaN literal", ct: "application/json", body: pixelsJSON(with(dot, 3, "NaN")), status: 400, code: CodeBadJSON},
		{name: "data after the object", ct: "application/json", body: append(pixelsJSON(dot), "{}"...), status: 400, code: CodeBadJSON, msg: "more data"},
		{name: "JSON array", ct: "application/json", body: []byte(`[0, 1]`), status: 422, code: CodeBadPixels, msg: "not a JSON object"},
		{name: "no pixels", ct: "application/json", body: []byte(`{}`), status: 422, code: CodeBadPixels, msg: `no "pixels"`},
		{name: "unknown field", ct: "application/json", body: []byte(`{"pixel": [0]}`), status: 422, code: CodeBadPixels, msg: `unknown field "pixel"`},
		{name: "pixels twice", ct: "application/json", body: []byte(`{"pixels": [` + strings.Join(dot, ",") + `], "pixels": [1]}`), status: 422, code: CodeBadPixels, msg: "twice"},
		{name: "pixels null", ct: "application/json", body: []byte(`{"pixels": null}`), status: 422, code: CodeBadPixels, msg: "got null"},
		{name: "783 pixels", ct: "application/json", body: pixelsJSON(dot[:783]), status: 422, code: CodeBadPixels, msg: "783 values, want 784"},
		{name: "785 pixels", ct: "application/json", body: pixelsJSON(append(dot, "0")), status: 422, code: CodeBadPixels, msg: "more than 784"},
		{name: "no pixel", ct: "application/json", body: pixelsJSON(nil), status: 422, code: CodeBadPixels, msg: "0 values"},
		{name: "pixel above 1", ct: "application/json", body: pixelsJSON(with(dot, 7, "1.5")), status: 422, code: CodeBadPixels, msg: "pixels[7]: 1.5 is outside [0, 1]"},
		{name: "negative pixel", ct: "application/json", body: pixelsJSON(with(dot, 0, "-0.25")), status: 422, code: CodeBadPixels, msg: "pixels[0]: -0.25 is outside"},
		{name: "pixel 255", ct: "application/json", body: pixelsJSON(with(dot, 9, "255")), status: 422, code: CodeBadPixels, msg: "pixels[9]: 255"},
		{name: "infinite pixel", ct: "application/json", body: pixelsJSON(with(dot, 5, "1e999")), status: 422, code: CodeBadPixels, msg: "pixels[5]: 1e999 is not a finite number"},
		{name: "string pixel", ct: "application/json", body: pixelsJSON(with(dot, 2, `"0.5"`)), status: 422, code: CodeBadPixels, msg: `pixels[2]: want a number from 0 to 1, got the string "0.5"`},
		{name: "nested rows", ct: "application/json", body: []byte(`{"pixels": [[0, 1]]}`), status: 422, code: CodeBadPixels, msg: "pixels[0]: want a number from 0 to 1, got an array"},
		{name: "all-zero pixels", ct: "application/json", body: pixelsJSON(zeros), status: 422, code: CodeBlankImage, msg: "all 784 values are 0"},
	}
}
