package serve

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"
)

// The defaults of Options, in one place. A zero field of Options takes the default below.
const (
	// DefaultMaxBodyBytes bounds a request body (4 MiB): a larger one is answered 413.
	DefaultMaxBodyBytes = 4 << 20
	// DefaultMaxPixels bounds an image's width x height (4 megapixels, 2048 x 2048), read from
	// the file's header before any pixel is decoded: a larger image is answered 413. Decoding
	// takes up to 8 bytes per pixel (16-bit PNG), so this bounds the memory of one decode to 32
	// MiB. It can be raised up to dataset.MaxDigitPixels (50 megapixels).
	DefaultMaxPixels = 4 << 20
	// DefaultQueueTimeout is how long a prediction waits for a free evaluator before it is
	// answered 503 with Retry-After: 1.
	DefaultQueueTimeout = 10 * time.Second
	// DefaultReadHeaderTimeout, DefaultReadTimeout, DefaultWriteTimeout and DefaultIdleTimeout
	// are the http.Server timeouts Serve sets: a client has 5 s to send its headers and 30 s for
	// the whole request, the answer must be written within 30 s of the request being read, and an
	// idle keep-alive connection is closed after 2 minutes.
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	// DefaultShutdownTimeout is how long Serve lets in-flight requests finish once its context is
	// cancelled, before it closes the remaining connections.
	DefaultShutdownTimeout = 5 * time.Second
	// DefaultMaxHeaderBytes bounds the request line and headers (64 KiB).
	DefaultMaxHeaderBytes = 64 << 10
)

// Options tunes a Server. The zero value gives the defaults listed with each field (and, as
// constants, above); negative values are refused by New.
type Options struct {
	// Workers is the number of evaluators, each an inference graph with its own machine sharing
	// the model's weights: at most this many images are decoded, prepared and run at once (the
	// others wait, at most QueueTimeout). Default: runtime.GOMAXPROCS(0).
	Workers int
	// MaxInFlight bounds the predictions holding a request body in memory at once, so that the
	// bodies take at most MaxInFlight x MaxBodyBytes. Default: 4 x Workers.
	MaxInFlight int
	// MaxBodyBytes bounds a request body. Default: DefaultMaxBodyBytes (4 MiB).
	MaxBodyBytes int64
	// MaxPixels bounds an image's width x height, at most dataset.MaxDigitPixels. Default:
	// DefaultMaxPixels (4 megapixels).
	MaxPixels int
	// QueueTimeout bounds the wait for a free evaluator. Default: DefaultQueueTimeout (10 s).
	QueueTimeout time.Duration
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout and MaxHeaderBytes are those of
	// the http.Server that Serve runs (see the Default constants). A Server mounted in a program's
	// own http.Server uses that server's settings instead.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
	// ShutdownTimeout bounds the graceful part of Serve's shutdown. Default:
	// DefaultShutdownTimeout (5 s).
	ShutdownTimeout time.Duration
	// Classes names the model's outputs, in order; the page and the API show these names.
	// Default: the digits "0" to "9". Its length must be the model's number of outputs.
	Classes []string
	// Logger receives one line per request (method, path, status, duration) and the server's
	// own errors. Default: slog.Default().
	Logger *slog.Logger
}

// withDefaults returns o with every zero field set to its default, or an error naming the first
// field that is out of range.
func (o Options) withDefaults() (Options, error) {
	type check struct {
		name string
		neg  bool
	}
	for _, c := range []check{
		{"Workers", o.Workers < 0}, {"MaxInFlight", o.MaxInFlight < 0},
		{"MaxBodyBytes", o.MaxBodyBytes < 0}, {"MaxPixels", o.MaxPixels < 0},
		{"QueueTimeout", o.QueueTimeout < 0}, {"ReadHeaderTimeout", o.ReadHeaderTimeout < 0},
		{"ReadTimeout", o.ReadTimeout < 0}, {"WriteTimeout", o.WriteTimeout < 0},
		{"IdleTimeout", o.IdleTimeout < 0}, {"MaxHeaderBytes", o.MaxHeaderBytes < 0},
		{"ShutdownTimeout", o.ShutdownTimeout < 0},
	} {
		if c.neg {
			return o, fmt.Errorf("serve: Options.%s is negative", c.name)
		}
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 4 * o.Workers
	}
	if o.MaxInFlight < o.Workers {
		return o, fmt.Errorf("serve: Options.MaxInFlight %d is below Workers %d", o.MaxInFlight, o.Workers)
	}
	o.MaxBodyBytes = orDefault(o.MaxBodyBytes, DefaultMaxBodyBytes)
	o.MaxPixels = orDefault(o.MaxPixels, DefaultMaxPixels)
	if o.MaxPixels > maxDigitPixels {
		return o, fmt.Errorf("serve: Options.MaxPixels %d is above the limit of image preparation (%d)", o.MaxPixels, maxDigitPixels)
	}
	o.QueueTimeout = orDefault(o.QueueTimeout, DefaultQueueTimeout)
	o.ReadHeaderTimeout = orDefault(o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	o.ReadTimeout = orDefault(o.ReadTimeout, DefaultReadTimeout)
	o.WriteTimeout = orDefault(o.WriteTimeout, DefaultWriteTimeout)
	o.IdleTimeout = orDefault(o.IdleTimeout, DefaultIdleTimeout)
	o.MaxHeaderBytes = orDefault(o.MaxHeaderBytes, DefaultMaxHeaderBytes)
	o.ShutdownTimeout = orDefault(o.ShutdownTimeout, DefaultShutdownTimeout)
	if o.Classes == nil {
		o.Classes = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	}
	seen := map[string]bool{}
	for i, c := range o.Classes {
		if c == "" || seen[c] {
			return o, fmt.Errorf("serve: Options.Classes[%d] %q is empty or repeated", i, c)
		}
		seen[c] = true
	}
	o.Classes = append([]string(nil), o.Classes...)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
