// Package serve puts a trained digit classifier behind HTTP: a page to draw a digit on and watch
// the network answer, and a JSON API. The mnist command's "serve" runs it; a Go program can mount
// it like any http.Handler:
//
//	saved, err := model.Load("digits.model")
//	...
//	srv, err := serve.New(saved, serve.Options{})
//	...
//	http.Handle("/digits/", http.StripPrefix("/digits", srv))
//
// (the page uses relative addresses, so it works under a prefix), or run it with its own timeouts
// and graceful shutdown: srv.Serve(ctx, listener).
//
// # Endpoints
//
//	GET  /             the drawing page (one self-contained HTML file: no network needed)
//	POST /api/predict  an image (Content-Type image/png, image/jpeg or image/gif) or
//	                   {"pixels": [784 numbers from 0 to 1]} (Content-Type application/json)
//	                   -> a Prediction
//	GET  /api/model    -> a ModelInfo: the network, its training command and test accuracy, the limits
//	GET  /healthz      -> 200 {"status": "ok"} once New has returned; 503 while Serve shuts down
//
// An image is prepared as MNIST's digits were (package dataset: grey levels, a dark digit on light
// paper inverted, cropped to the ink, scaled to fit 20x20, centred by its centre of mass in 28x28),
// and the Prediction carries that 28x28 image back, so that a learner sees what the network saw.
// JSON pixels are taken as an already prepared image, row after row, 0 for background and 1 for ink.
//
// # Errors
//
// A request that cannot be answered gets an Error as JSON with a stable code. What the client got
// wrong is 4xx, never 5xx: an unknown path 404, a wrong method 405, a Content-Type that is neither
// an accepted image type nor application/json 415, an empty or unreadable body or one that is not a
// PNG, JPEG or GIF image 400, a body over Options.MaxBodyBytes 413, an image whose header announces
// more than Options.MaxPixels pixels 413 (checked before any pixel is decoded: no decompression
// bombs), an image without a digit (blank or uniform) 422, JSON that does not parse 400, and
// pixels that are not 784 finite numbers in [0, 1] (or all zero) 422. A 503 says the server is busy
// (Retry-After: 1). A 500 is the model's fault or a bug: the model's outputs were not finite
// numbers (then no class is reported), or an internal error.
//
// # Concurrency and memory
//
// An inference graph and its machine must not run twice at once, so New builds a pool of
// Options.Workers evaluators sharing the model's weights (read only). A prediction takes one for
// decoding, preparing and running the image, so at most Workers images are decoded at once, each at
// most MaxPixels pixels; at most MaxInFlight requests hold a body (at most MaxBodyBytes) in memory.
// Requests beyond those wait, at most QueueTimeout. Every request is logged as one log/slog line
// with its method, path, status and duration (and error code).
package serve
