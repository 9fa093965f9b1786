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
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/config"
	"github.com/ssegw/ssegw/internal/demo"
)

// run starts the gateway and serves until ctx ends (on SIGTERM or SIGINT),
// then drains. It prints the address it listens on, the routes and, with
// --demo, URLs to try, to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runEnv(ctx, args, os.LookupEnv, stdout, stderr)
}

func runEnv(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	cmd, err := parseArgs(args, lookupEnv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if cmd.version {
		fmt.Fprintln(stdout, versionString())
		return nil
	}
	cfg := cmd.cfg
	logger := newLogger(cfg.Log, stderr)
	if cmd.printConfig {
		// As loaded, before the demo adds its backend, so that it loads
		// back with --config.
		if err := printConfig(stdout, cfg); err != nil {
			return err
		}
	}

	if cfg.Demo {
		addr, stopBackend, err := startDemoBackend()
		if err != nil {
			return err
		}
		defer stopBackend()
		logger.Info("demo backend started", "address", addr)
		b := config.Backend{Name: "demo", Target: addr, DiscoveryTimeout: 30 * time.Second, Keepalive: config.DefaultKeepalive()}
		cfg.Backends = []config.Backend{b}
	}

	shared := sharedOptions{logger: logger}
	if cfg.Metrics.Enabled {
		shared.registry = newRegistry()
	}
	tp, err := newTracerProvider(ctx, cfg.Tracing)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	if tp != nil {
		shared.tracerProvider = tp
		defer func() {
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tp.Shutdown(flushCtx); err != nil {
				logger.Warn("flushing spans", "error", err)
			}
		}()
	}
	shared.limiter = gateway.NewLimiter(cfg.Limits.MaxStreams, cfg.Limits.MaxStreamsPerClient)
	shared.trustedProxies, _ = cfg.TrustedProxies()

	a := &app{}
	for _, bc := range cfg.Backends {
		b, err := dialBackend(bc, logger)
		if err != nil {
			return err
		}
		defer b.conn.Close()
		a.backends = append(a.backends, b)
	}

	if cmd.printConfig {
		gws, err := discoverAll(ctx, cfg, a.backends, shared)
		if err != nil {
			fmt.Fprintf(stdout, "# routes: unknown, the backends' services could not be discovered:\n#   %s\n", strings.ReplaceAll(err.Error(), "\n", "\n#   "))
			return err
		}
		fmt.Fprintln(stdout, "# routes")
		printRoutes(stdout, a.backends, gws, "#   ")
		return nil
	}
	if cmd.printOpenAPI {
		gws, err := discoverAll(ctx, cfg, a.backends, shared)
		if err != nil {
			return err
		}
		return printOpenAPI(stdout, cfg, gws)
	}
	return serve(ctx, cfg, a, shared, logger, stdout)
}

// serve listens, discovers the backends' services, serves them until ctx
// ends, and then drains.
func serve(ctx context.Context, cfg *config.Config, a *app, shared sharedOptions, logger *slog.Logger, stdout io.Writer) error {
	lis, err := listen(ctx, cfg.Listen, cfg.Limits.WriteTimeout)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	var adminSrv *http.Server
	var adminLis net.Listener
	var adminMux *http.ServeMux
	if cfg.AdminListen == "" {
		a.adminRoutes(mux, shared.registry, logger)
	} else {
		adminLis, err = net.Listen("tcp", cfg.AdminListen)
		if err != nil {
			lis.Close()
			return fmt.Errorf("admin_listen: %w", err)
		}
		adminMux = http.NewServeMux()
		a.adminRoutes(adminMux, shared.registry, logger)
		adminSrv = &http.Server{Handler: adminMux, ReadHeaderTimeout: cfg.Limits.ReadHeaderTimeout, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	}
	a.openAPIRoutes(cfg, mux, adminMux)
	mux.Handle("/", a)

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.Limits.ReadHeaderTimeout,
		MaxHeaderBytes:    cfg.Limits.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		Protocols:         new(http.Protocols),
		// Lets the gateways tell clients that stopped taking data from
		// clients that left, when the TCP user timeout closes a connection.
		ConnContext: gateway.ConnContext,
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(true)
	srv.Protocols.SetUnencryptedHTTP2(cfg.H2C)
	scheme := "http"
	if cfg.TLS.CertFile != "" {
		files, err := loadCertFiles(cfg.TLS.CertFile, cfg.TLS.KeyFile, logger)
		if err != nil {
			lis.Close()
			if adminLis != nil {
				adminLis.Close()
			}
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = serverTLS(files)
		scheme = "https"
	}

	served := make(chan error, 2)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(lis, "", "")
		} else {
			served <- srv.Serve(lis)
		}
	}()
	if adminSrv != nil {
		go func() { served <- adminSrv.Serve(adminLis) }()
	}
	stopServers := func() {
		_ = srv.Close()
		if adminSrv != nil {
			_ = adminSrv.Close()
		}
	}

	gws, err := discoverAll(ctx, cfg, a.backends, shared)
	if err == nil {
		err = checkAdminPaths(cfg, gws)
	}
	if err != nil {
		stopServers()
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	var handler http.Handler
	if len(gws) == 1 {
		handler = gws[0]
	} else if handler, err = gateway.Join(gws...); err != nil {
		stopServers()
		return err
	}
	if cfg.Demo {
		handler = demo.Handler(handler)
	}
	a.routes.Store(&handler)

	base := scheme + "://" + lis.Addr().String()
	if cfg.OpenAPI.Enabled {
		h := openAPIHandler(cfg, gws, listenURL(scheme, lis.Addr().String()), logger)
		a.openAPI.Store(&h)
	}
	fmt.Fprintf(stdout, "ssegw listening on %s\n", base)
	if adminLis != nil {
		fmt.Fprintf(stdout, "  health and metrics on http://%s\n", adminLis.Addr())
	}
	switch {
	case openAPIOnMain(cfg):
		fmt.Fprintf(stdout, "  OpenAPI description at %s%s\n", base, openAPIPath)
	case cfg.OpenAPI.Enabled:
		fmt.Fprintf(stdout, "  OpenAPI description at http://%s%s\n", adminLis.Addr(), openAPIPath)
	}
	printRoutes(stdout, a.backends, gws, "  ")
	if cfg.Demo {
		fmt.Fprint(stdout, demo.Tries(base))
	}
	logger.Info("serving", "address", base, "backends", len(gws))

	select {
	case err := <-served:
		stopServers()
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	return drain(cfg, a, srv, adminSrv, gws, logger)
}

// flushTimeout bounds the wait, after the drain timeout, for the streams
// whose connections were closed to end and log.
const flushTimeout = 5 * time.Second

// drain shuts down gracefully: /readyz fails at once; after drain.delay
// the listener stops accepting, every open stream is told to reconnect
// elsewhere, and the process waits up to drain.timeout for them to end.
func drain(cfg *config.Config, a *app, srv, adminSrv *http.Server, gws []*gateway.Gateway, logger *slog.Logger) error {
	a.draining.Store(true)
	open := 0
	for _, gw := range gws {
		open += gw.OpenStreams()
	}
	logger.Info("draining", "open_streams", open, "delay", cfg.Drain.Delay, "timeout", cfg.Drain.Timeout)
	waitOrDone(context.Background(), cfg.Drain.Delay)

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Drain.Timeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	var wg sync.WaitGroup
	for _, gw := range gws {
		wg.Go(func() {
			if err := gw.Drain(ctx); err != nil {
				logger.Warn("drain", "error", err)
			}
		})
	}
	wg.Wait()
	if err := <-shut; err != nil {
		logger.Warn("closing connections that outlived the drain timeout", "error", err)
		_ = srv.Close()
		// Their streams end now: wait for them, so that their access log
		// lines are written before the process exits.
		flushCtx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		defer cancel()
		for _, gw := range gws {
			if err := gw.Drain(flushCtx); err != nil {
				logger.Warn("streams still open after their connections closed", "error", err)
			}
		}
	}
	if adminSrv != nil {
		adminCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = shutdown(adminCtx, adminSrv)
	}
	logger.Info("drained", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// discoverAll builds the gateway of every backend, concurrently.
func discoverAll(ctx context.Context, cfg *config.Config, backends []*backend, shared sharedOptions) ([]*gateway.Gateway, error) {
	gws := make([]*gateway.Gateway, len(backends))
	errs := make([]error, len(backends))
	var wg sync.WaitGroup
	for i, b := range backends {
		opts, err := gatewayOptions(cfg, b.cfg, shared)
		if err != nil {
			return nil, err
		}
		wg.Go(func() { gws[i], errs[i] = b.discover(ctx, opts) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return gws, nil
}

// checkAdminPaths refuses routes that would hide /healthz, /readyz,
// /metrics or /openapi.json on the main listener.
func checkAdminPaths(cfg *config.Config, gws []*gateway.Gateway) error {
	var taken []string
	if cfg.AdminListen == "" {
		taken = append(taken, adminPaths...)
	}
	if openAPIOnMain(cfg) {
		taken = append(taken, openAPIPath)
	}
	for _, gw := range gws {
		for _, rt := range gw.Routes() {
			if slices.Contains(taken, rt.Path) {
				return fmt.Errorf("route %s %s of %s takes a path the gateway serves itself; set admin_listen", rt.HTTPMethod, rt.Path, rt.GRPCMethod)
			}
		}
	}
	return nil
}

// printRoutes writes the route table.
func printRoutes(w io.Writer, backends []*backend, gws []*gateway.Gateway, indent string) {
	for i, gw := range gws {
		for _, rt := range gw.Routes() {
			kind := ""
			if rt.Unary {
				kind = "unary, "
			}
			fmt.Fprintf(w, "%s%-4s %s  ->  %s  (%sbackend %s)\n", indent, rt.HTTPMethod, rt.Path, rt.GRPCMethod, kind, backends[i].cfg.Name)
		}
	}
}

// printConfig writes the effective configuration as YAML, which can serve
// as a config file; the route table follows as comments once discovered.
func printConfig(w io.Writer, cfg *config.Config) error {
	out, err := cfg.YAML()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "# effective configuration\n%s", out)
	return err
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
