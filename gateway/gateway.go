package gateway

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ssegw/ssegw/internal/descriptors"
	"github.com/ssegw/ssegw/internal/fanout"
	"github.com/ssegw/ssegw/internal/pbjson"
)

// Gateway serves the server-streaming methods of a gRPC backend as SSE
// routes, and its unary methods as JSON. It is an http.Handler; its routes
// can also be added to an existing grpc-gateway ServeMux with Register.
type Gateway struct {
	conn            grpc.ClientConnInterface
	cfg             config
	routes          []*route
	mux             *runtime.ServeMux
	resolver        *typeResolver
	events          *pbjson.Encoder // messages as event data
	statuses        *pbjson.Encoder // google.rpc.Status as JSON
	backendCodec    grpc.CallOption // keeps received messages as wire bytes
	incomingHeaders []string
	outgoingKeys    []string
	ops             *operations
	cors            *corsPolicy
	allow           allowIndex
	gzipWriters     sync.Pool
	// hub holds the shared streams of the methods that share them.
	hub *fanout.Hub
	// private numbers the shared streams that a subscriber has to
	// itself, so that no other joins them.
	private atomic.Uint64
}

// New builds a Gateway for the backend reached through conn. It finds the
// backend's services with the configured descriptor source (server
// reflection by default, which may call the backend within ctx) and maps
// each server-streaming method, and each unary method unless
// WithoutUnary, to its routes. Client-streaming and bidirectional methods
// are not served.
func New(ctx context.Context, conn grpc.ClientConnInterface, opts ...Option) (*Gateway, error) {
	cfg := newConfig(opts)
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.source == nil {
		cfg.source = descriptors.Reflection()
	}
	incoming, _ := normalizeHeaderNames(cfg.incomingHeaders)
	outgoing, _ := normalizeHeaderNames(cfg.outgoingMetadata)
	var cors *corsPolicy
	if cfg.cors != nil {
		cors, _ = newCORSPolicy(*cfg.cors)
		cors.proxies = cfg.trustedProxies
	}

	found, err := cfg.source.Load(ctx, conn, cfg.services)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", sourceError(err))
	}
	services, resolver := found.Services, found.Types
	marshal := cfg.marshal
	if marshal.Resolver == nil {
		marshal.Resolver = resolver
	}
	g := &Gateway{
		conn:            conn,
		cfg:             cfg,
		resolver:        resolver,
		events:          pbjson.NewEncoder(marshal),
		statuses:        pbjson.NewEncoder(protojson.MarshalOptions{EmitUnpopulated: true, Resolver: resolver}),
		backendCodec:    newFrameCodec().callOption(),
		incomingHeaders: incoming,
		outgoingKeys:    outgoing,
		cors:            cors,
	}

	for _, sd := range services {
		for i := range sd.Methods().Len() {
			md := sd.Methods().Get(i)
			switch {
			case md.IsStreamingClient():
				cfg.logger.Debug("not serving a client-streaming or bidirectional method", "method", md.FullName())
				continue
			case !md.IsStreamingServer():
				if cfg.unary.off {
					continue
				}
				um := newUnaryMethod(md)
				g.setEncoder(um)
				routes, err := unaryRoutesOf(um, cfg.httpRuleOf(md), cfg.requestOptions(resolver))
				if err != nil {
					return nil, fmt.Errorf("gateway: %w", err)
				}
				g.routes = append(g.routes, routes...)
				continue
			}
			m, err := newMethod(md, cfg.streamOptions(md), &cfg)
			if err != nil {
				return nil, fmt.Errorf("gateway: %w", err)
			}
			if err := g.setEncoder(m); err != nil {
				return nil, fmt.Errorf("gateway: %w", err)
			}
			routes, err := routesOf(m, cfg.httpRuleOf(md), cfg.logger, cfg.requestOptions(resolver))
			if err != nil {
				return nil, fmt.Errorf("gateway: %w", err)
			}
			g.routes = append(g.routes, routes...)
		}
	}
	for name := range cfg.methodOptions {
		if !slices.ContainsFunc(g.routes, func(rt *route) bool { return !rt.Unary && rt.method.desc.FullName() == name }) {
			return nil, fmt.Errorf("gateway: options given for %s, which is not a served server-streaming method", name)
		}
	}
	if err := g.setupSharing(); err != nil {
		return nil, err
	}
	if g.allow, err = newAllowIndex(g.routes); err != nil {
		return nil, err
	}
	if g.cors != nil {
		g.cors = g.cors.withMethods(g.routes)
	}
	g.mux = runtime.NewServeMux(
		runtime.WithErrorHandler(g.muxErrorHandler),
		runtime.WithRoutingErrorHandler(g.routingErrorHandler),
		runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved),
		// A form POST to a GET route is a 405, not a GET (grpc-gateway's
		// fallback for long URLs).
		runtime.WithDisablePathLengthFallback(),
	)
	if err := g.Register(g.mux); err != nil {
		return nil, err
	}
	if err := g.serveOpenAPI(); err != nil {
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
	return g.wrap(next, g.cors)
}

// wrap applies the CORS policy cors, if any, in front of next.
func (g *Gateway) wrap(next http.Handler, cors *corsPolicy) http.Handler {
	if cors == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cors.handle(w, r, g.writeStatus) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Register adds the gateway's routes to mux, so that SSE routes can live
// beside grpc-gateway's REST routes on one mux.
func (g *Gateway) Register(mux *runtime.ServeMux) error {
	for _, rt := range g.routes {
		serve := g.serve
		switch {
		case rt.Unary:
			serve = g.serveUnary
		case rt.method.share != nil:
			serve = g.serveShared
		}
		err := mux.HandlePath(rt.HTTPMethod, rt.Path, func(w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
			serve(rt, w, r, pathParams)
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
