package gateway

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

// Gateway serves the server-streaming methods of a gRPC backend as SSE
// routes. It is an http.Handler; its routes can also be added to an
// existing grpc-gateway ServeMux with Register.
type Gateway struct {
	conn             grpc.ClientConnInterface
	cfg              config
	routes           []*route
	mux              *runtime.ServeMux
	resolver         *typeResolver
	marshal          protojson.MarshalOptions
	marshalStatus    protojson.MarshalOptions
	unmarshalRequest protojson.UnmarshalOptions
	incomingHeaders  []string
	outgoingKeys     []string
	ops              *operations
	cors             *corsPolicy
	gzipWriters      sync.Pool
}

// New builds a Gateway for the backend reached through conn. It finds the
// backend's services with the configured descriptor source (server
// reflection by default, which may call the backend within ctx) and maps
// each server-streaming method to its routes. Unary and client-streaming
// methods are not served.
func New(ctx context.Context, conn grpc.ClientConnInterface, opts ...Option) (*Gateway, error) {
	cfg := newConfig(opts)
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.source == nil {
		cfg.source = reflectionSource{}
	}
	incoming, _ := normalizeHeaderNames(cfg.incomingHeaders)
	outgoing, _ := normalizeHeaderNames(cfg.outgoingMetadata)
	var cors *corsPolicy
	if cfg.cors != nil {
		cors, _ = newCORSPolicy(*cfg.cors)
		cors.proxies = cfg.trustedProxies
	}

	services, err := cfg.source.services(ctx, conn, cfg.services)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	resolver, err := newTypeResolver(services)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g := &Gateway{
		conn:             conn,
		cfg:              cfg,
		resolver:         resolver,
		marshal:          cfg.marshal,
		marshalStatus:    protojson.MarshalOptions{EmitUnpopulated: true, Resolver: resolver},
		unmarshalRequest: requestUnmarshaler(resolver),
		incomingHeaders:  incoming,
		outgoingKeys:     outgoing,
		cors:             cors,
	}
	g.marshal.Multiline, g.marshal.Indent = false, ""
	if g.marshal.Resolver == nil {
		g.marshal.Resolver = resolver
	}

	for _, sd := range services {
		for i := range sd.Methods().Len() {
			md := sd.Methods().Get(i)
			if !md.IsStreamingServer() || md.IsStreamingClient() {
				continue
			}
			m, err := newMethod(md, streamOptionsOf(md, cfg.methodOptions[md.FullName()]), &cfg)
			if err != nil {
				return nil, fmt.Errorf("gateway: %w", err)
			}
			routes, err := routesOf(m, cfg.httpRuleOf(md), cfg.logger)
			if err != nil {
				return nil, fmt.Errorf("gateway: %w", err)
			}
			g.routes = append(g.routes, routes...)
		}
	}
	for name := range cfg.methodOptions {
		if !slices.ContainsFunc(g.routes, func(rt *route) bool { return rt.method.desc.FullName() == name }) {
			return nil, fmt.Errorf("gateway: options given for %s, which is not a served server-streaming method", name)
		}
	}
	g.mux = runtime.NewServeMux(
		runtime.WithErrorHandler(g.muxErrorHandler),
		runtime.WithRoutingErrorHandler(g.routingErrorHandler),
		runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved),
	)
	if err := g.Register(g.mux); err != nil {
		return nil, err
	}
	if err := g.setupOps(conn); err != nil {
		return nil, err
	}
	for _, rt := range g.routes {
		cfg.logger.Debug("route", "http_method", rt.HTTPMethod, "path", rt.Path, "grpc_method", rt.GRPCMethod)
	}
	return g, nil
}

// ServeHTTP serves the gateway's routes. Unknown paths get 404 and known
// paths with another HTTP method 405, both with a JSON google.rpc.Status
// body. The CORS policy, if any, applies first.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.Wrap(g.mux).ServeHTTP(w, r)
}

// Wrap applies the gateway's CORS policy (see WithCORS) in front of next.
// Use it around a ServeMux that the gateway's routes were added to with
// Register, so that preflight requests are answered. Without a policy it
// returns next.
func (g *Gateway) Wrap(next http.Handler) http.Handler {
	if g.cors == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.cors.handle(w, r, g.writeStatus) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Register adds the gateway's routes to mux, so that SSE routes can live
// beside grpc-gateway's REST routes on one mux.
func (g *Gateway) Register(mux *runtime.ServeMux) error {
	for _, rt := range g.routes {
		err := mux.HandlePath(rt.HTTPMethod, rt.Path, func(w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
			g.serve(rt, w, r, pathParams)
		})
		if err != nil {
			return fmt.Errorf("gateway: route %s %s for %s: %w", rt.HTTPMethod, rt.Path, rt.GRPCMethod, err)
		}
	}
	return nil
}

// Routes returns the gateway's routes in the order of the services and
// methods in their descriptors.
func (g *Gateway) Routes() []Route {
	out := make([]Route, len(g.routes))
	for i, rt := range g.routes {
		out[i] = rt.Route
	}
	return out
}
