package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
)

// Serve answers requests on ln with an http.Server set up with the timeouts of the Options, until
// ctx is cancelled. Then it stops accepting connections (and /healthz answers 503), lets the
// requests in flight finish for at most Options.ShutdownTimeout, closes whatever is left and
// returns nil. It returns the error of ln otherwise. ln is closed when Serve returns, and no
// goroutine of the server is left.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    s.opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done: // the listener failed
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("requests still running after the shutdown timeout: their connections are closed",
			"timeout", s.opts.ShutdownTimeout)
		hs.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ListenAndServe listens on addr (host:port; port 0 picks a free one), calls ready with the
// address it listens on (PageURL gives the page's) and serves until ctx is cancelled, as Serve
// does. An address that cannot be listened on (in use, say) is an error.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	return s.Serve(ctx, ln)
}

// PageURL returns the address of the page for a listener's address: http://127.0.0.1:8080/ for
// 127.0.0.1:8080, and http://localhost:PORT/ for a listener on every interface (0.0.0.0 or ::).
func PageURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
