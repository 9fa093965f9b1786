package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// app is the state the HTTP handlers share: the routes once discovered,
// the backends, and whether the process is draining.
type app struct {
	routes   atomic.Pointer[http.Handler] // nil until discovery ends
	openAPI  atomic.Pointer[http.Handler] // serves the routes' description; nil until discovery ends
	backends []*backend
	draining atomic.Bool
}

// ServeHTTP serves the routes, or 503 until they are known.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := a.routes.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	// A google.rpc.Status, in the gateway's field order and compact, like
	// its other error bodies.
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Details []any  `json:"details"`
	}{14, "the gateway is starting: " + errNotReady.Error(), []any{}})
	_, _ = w.Write(body)
}

// healthz answers while the process serves.
func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when the routes are known, the process is not
// draining and every backend is ready; 503 otherwise, with one line per
// problem.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	var problems []string
	switch {
	case a.draining.Load():
		problems = append(problems, "draining")
	case a.routes.Load() == nil:
		problems = append(problems, errNotReady.Error())
	}
	results := make([]error, len(a.backends))
	var wg sync.WaitGroup
	for i, b := range a.backends {
		wg.Go(func() { results[i] = b.ready(r.Context()) })
	}
	wg.Wait()
	for i, err := range results {
		if err != nil {
			problems = append(problems, fmt.Sprintf("backend %s: %v", a.backends[i].cfg.Name, err))
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(problems, "\n"))
		return
	}
	fmt.Fprintln(w, "ok")
}

// adminRoutes adds /healthz, /readyz and, with a registry, /metrics to mux.
func (a *app) adminRoutes(mux *http.ServeMux, reg *prometheus.Registry, logger *slog.Logger) {
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	if reg != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			EnableOpenMetrics: true,
		}))
	}
}

// adminPaths are served by the command itself on the main listener when
// there is no admin listener; no route may take them.
var adminPaths = []string{"/healthz", "/readyz", "/metrics"}

// shutdown stops srv within ctx, and closes it when ctx ends first.
func shutdown(ctx context.Context, srv *http.Server) error {
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
		return err
	}
	return nil
}

// waitOrDone waits for d, or less when ctx ends.
func waitOrDone(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
