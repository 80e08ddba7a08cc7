package serve

import (
	"errors"
	"net/http"
)

// Error is the answer to a request that could not be served, as JSON:
//
//	{"status": 413, "code": "body_too_large", "error": "the body is larger than the limit of 4194304 bytes"}
//
// Code is one of the Code constants and is stable; Message says what was wrong in words and may
// change. A request the client got wrong is answered 4xx, never 5xx.
type Error struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

// The codes of Error, with the status each is answered with.
const (
	CodeNotFound         = "not_found"              // 404: no such path
	CodeMethodNotAllowed = "method_not_allowed"     // 405: the Allow header lists the methods
	CodeUnsupportedType  = "unsupported_media_type" // 415: Content-Type is not an image type nor application/json
	CodeEmptyBody        = "empty_body"             // 400
	CodeUnreadableBody   = "unreadable_body"        // 400: the body could not be read (the client stopped sending, or too slowly)
	CodeBodyTooLarge     = "body_too_large"         // 413: more than Options.MaxBodyBytes
	CodeNotAnImage       = "not_an_image"           // 400: not a PNG, JPEG or GIF file
	CodeBadImage         = "bad_image"              // 400: a PNG, JPEG or GIF header, but the pixels cannot be decoded
	CodeImageTooLarge    = "image_too_large"        // 413: width x height above Options.MaxPixels (checked before decoding)
	CodeBlankImage       = "blank_image"            // 422: no digit to see (blank or uniform image, or all-zero pixels)
	CodeBadJSON          = "bad_json"               // 400: the body is not valid JSON
	CodeBadPixels        = "bad_pixels"             // 422: valid JSON, but not {"pixels": [784 finite numbers in 0..1]}
	CodeBusy             = "busy"                   // 503: no evaluator free within Options.QueueTimeout (Retry-After: 1)
	CodeShuttingDown     = "shutting_down"          // 503: /healthz while Serve shuts down
	CodeNonFiniteOutput  = "non_finite_output"      // 500: the model's outputs are NaN or infinite: no class is reported
	CodeInternal         = "internal"               // 500: a bug; the log has the details
)

// writeError answers err, an *Error or (a bug) anything else, which is answered 500.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error: " + err.Error()}
	}
	if r, ok := w.(*recorder); ok {
		r.code = e.Code
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.Status, e)
}

func errorf(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}
