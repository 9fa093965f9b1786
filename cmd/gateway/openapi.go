package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/config"
)

// openAPIPath is where the command serves the OpenAPI description of its
// routes.
const openAPIPath = "/openapi.json"

// openAPIRoutes adds GET /openapi.json beside /healthz and /metrics (to
// admin, or to main without an admin listener), and to main as well when
// asked. admin is nil without an admin listener.
func (a *app) openAPIRoutes(cfg *config.Config, main, admin *http.ServeMux) {
	if !cfg.OpenAPI.Enabled {
		return
	}
	if admin != nil {
		admin.HandleFunc("GET "+openAPIPath, a.serveOpenAPI)
	}
	if openAPIOnMain(cfg) {
		main.HandleFunc("GET "+openAPIPath, a.serveOpenAPI)
	}
}

// openAPIOnMain reports whether the main listener serves /openapi.json.
func openAPIOnMain(cfg *config.Config) bool {
	return cfg.OpenAPI.Enabled && (cfg.AdminListen == "" || cfg.OpenAPI.OnListen)
}

// serveOpenAPI answers with the description once the routes are known, and
// 503 until then.
func (a *app) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := a.openAPI.Load()
	if h == nil {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "the routes are not known yet: "+errNotReady.Error(), http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// openAPIHandler builds the description of the routes of gws and returns
// the handler that serves it. A description that cannot be built does not
// stop the gateway, whose routes do not depend on it: the error is logged
// once, and the handler answers 500 with a JSON status that says why.
func openAPIHandler(cfg *config.Config, gws []*gateway.Gateway, base string, logger *slog.Logger) http.Handler {
	doc, err := openAPIDocument(cfg, gws, base)
	if err != nil {
		logger.Error("the OpenAPI description could not be built: "+openAPIPath+" answers 500, the routes are served", "error", err)
		return gateway.OpenAPIErrorHandler(err)
	}
	return gateway.OpenAPIHandler(doc)
}

// openAPIDocument describes the routes of gws. base is the URL the main
// listener serves, the API's server unless openapi.servers says otherwise.
func openAPIDocument(cfg *config.Config, gws []*gateway.Gateway, base string) ([]byte, error) {
	info := gateway.OpenAPIInfo{
		Title:   cfg.OpenAPI.Title,
		Version: cfg.OpenAPI.Version,
		Servers: cfg.OpenAPI.Servers,
	}
	if info.Title == "" {
		info.Title = "ssegw"
		if cfg.Demo {
			info.Title = "ssegw demo"
		}
	}
	if info.Version == "" {
		info.Version = buildVersion()
	}
	if len(info.Servers) == 0 {
		info.Servers = []string{base}
	}
	return gateway.OpenAPI(info, gws...)
}

// listenURL is the URL of a listen address, with "localhost" for an
// unspecified host.
func listenURL(scheme, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// buildVersion is the module version of the binary, or "devel".
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// printOpenAPI writes the description of the routes of gws.
func printOpenAPI(w io.Writer, cfg *config.Config, gws []*gateway.Gateway) error {
	scheme := "http"
	if cfg.TLS.CertFile != "" {
		scheme = "https"
	}
	doc, err := openAPIDocument(cfg, gws, listenURL(scheme, cfg.Listen))
	if err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	_, err = w.Write(doc)
	return err
}
