package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/demo"
)

// shutdownTimeout bounds how long a clean exit waits for requests to end.
const shutdownTimeout = 5 * time.Second

// run starts the gateway and serves until ctx ends. It prints the address
// it listens on (and, with --demo, URLs to try) to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := newLogger(s, stderr)

	target := s.backend
	if s.demo {
		addr, stopBackend, err := startDemoBackend()
		if err != nil {
			return err
		}
		defer stopBackend()
		target = addr
		logger.Info("demo backend started", "address", addr)
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("backend %q: %w", target, err)
	}
	defer conn.Close()

	opts := []gateway.Option{
		gateway.WithLogger(logger),
		gateway.WithHeartbeat(s.heartbeat),
		gateway.WithRetry(s.retry),
		gateway.WithServices(s.services...),
		gateway.WithOutgoingMetadata(s.outgoingMD...),
	}
	if s.incomingHeaders != nil {
		opts = append(opts, gateway.WithIncomingHeaders(s.incomingHeaders...))
	}
	if s.descriptorSet != "" {
		opts = append(opts, gateway.WithDescriptorSetFile(s.descriptorSet))
	}
	discoverCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	gw, err := gateway.New(discoverCtx, conn, opts...)
	cancel()
	if err != nil {
		return err
	}

	var handler http.Handler = gw
	if s.demo {
		handler = demo.Handler(gw)
	}
	lis, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	return serve(ctx, lis, handler, gw.Routes(), s.demo, logger, stdout)
}

// serve serves handler on lis until ctx ends, then ends open streams (their
// clients reconnect) and shuts the server down.
func serve(ctx context.Context, lis net.Listener, handler http.Handler, routes []gateway.Route, isDemo bool, logger *slog.Logger, stdout io.Writer) error {
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return streams },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	base := "http://" + lis.Addr().String()
	fmt.Fprintf(stdout, "ssegw listening on %s\n", base)
	for _, rt := range routes {
		fmt.Fprintf(stdout, "  %-4s %s  ->  %s\n", rt.HTTPMethod, rt.Path, rt.GRPCMethod)
	}
	if isDemo {
		fmt.Fprint(stdout, demo.Tries(base))
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	endStreams()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

func newLogger(s *settings, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.logLevel}
	if s.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// startDemoBackend serves the demo backend on a loopback port.
func startDemoBackend() (addr string, stop func(), err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo backend: %w", err)
	}
	srv := demo.NewServer()
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), srv.Stop, nil
}
