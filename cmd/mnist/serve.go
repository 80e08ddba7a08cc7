package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/spf13/pflag"

	"gorgonet/cmd/internal/cli"
	"gorgonet/train"
	"gorgonet/train/serve"
)

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("mnist serve", pflag.ContinueOnError)
	file := modelFileFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port; :8080 listens on every interface)")
	if err := cli.ParseCommand(fs, args, stdout, "mnist serve --model-file FILE [--addr HOST:PORT]\n\n"+
		"Serves a page to draw a digit on and watch the model read it, and a JSON API\n"+
		"(POST /api/predict, GET /api/model, GET /healthz), until Ctrl-C or SIGTERM.", false); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return cli.Usagef("--addr %q: want HOST:PORT, such as 127.0.0.1:8080", *addr)
	}
	saved, err := loadModel(*file)
	if err != nil {
		return err
	}
	srv, err := serve.New(saved, serve.Options{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		return fmt.Errorf("--model-file %s: %w", *file, err)
	}
	ctx, stop := train.SignalContext(context.Background())
	err = srv.ListenAndServe(ctx, *addr, func(a net.Addr) {
		fmt.Fprintf(stdout, "Serving %s on %s: open %s (Ctrl-C to stop)\n", *file, a, serve.PageURL(a))
	})
	if sig := stop(); sig != nil && err == nil {
		fmt.Fprintf(stdout, "Stopped (%s).\n", train.SignalName(sig))
	}
	if err != nil {
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	return nil
}
