package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ssegw/ssegw/internal/openapi"
)

// OpenAPIInfo describes the API as a whole in an OpenAPI document.
type OpenAPIInfo struct {
	// Title is the API's title (default "ssegw").
	Title string
	// Version is the version of the document (default "0").
	Version string
	// Description describes the API (CommonMark).
	Description string
	// Servers are the API's base URLs, such as "https://api.example.com".
	// Without any, the document says "/": the origin it is served from.
	Servers []string
}

// OpenAPI returns an OpenAPI 3.2 document, as indented JSON, that describes
// the routes of the gateways: each route's path and query parameters, its
// request body, its error responses (a JSON google.rpc.Status), and for a
// stream a text/event-stream response whose itemSchema describes each
// event, with the schemas of the messages as the gateway writes them (the
// first gateway's marshal options apply). Descriptions come from the
// comments of the .proto sources when the descriptors carry them (server
// reflection of a server built from protoc-generated code does not;
// descriptor sets from `buf build` do).
func OpenAPI(info OpenAPIInfo, gateways ...*Gateway) ([]byte, error) {
	if len(gateways) == 0 {
		return nil, errors.New("gateway: OpenAPI needs at least one gateway")
	}
	var routes []openapi.Route
	for _, g := range gateways {
		for _, rt := range g.routes {
			routes = append(routes, rt.openAPI())
		}
	}
	first := gateways[0]
	opts := []openapi.Option{
		openapi.WithMarshalOptions(first.cfg.marshal),
		openapi.WithLastEventIDParam(first.cfg.lastEventIDParam),
		openapi.WithRequestParam(first.cfg.requestParam),
	}
	if first.cfg.tokenParam != "" {
		opts = append(opts, openapi.WithAccessTokenParam(first.cfg.tokenParam))
	}
	desc := openapi.Info{Title: info.Title, Version: info.Version, Description: info.Description}
	for _, url := range info.Servers {
		desc.Servers = append(desc.Servers, openapi.Server{URL: url})
	}
	doc, err := openapi.Build(desc, routes, opts...)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return doc, nil
}

// OpenAPI returns the OpenAPI 3.2 document of g's routes; see [OpenAPI].
func (g *Gateway) OpenAPI(info OpenAPIInfo) ([]byte, error) {
	return OpenAPI(info, g)
}

// WithOpenAPI serves the gateway's OpenAPI 3.2 document (see [OpenAPI]) at
// GET path, such as "/openapi.json", beside its routes. A document that
// cannot be built, such as one of a route it cannot describe, does not
// stop the gateway: the error is logged and the path answers 500 (see
// [OpenAPIErrorHandler]).
func WithOpenAPI(path string, info OpenAPIInfo) Option {
	return func(c *config) {
		c.openAPIPath = path
		c.openAPIInfo = info
	}
}

// OpenAPIHandler serves a document made by [OpenAPI] as application/json.
func OpenAPIHandler(doc []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(doc)
	})
}

// OpenAPIErrorHandler answers requests for an OpenAPI document that could
// not be built, because of err: 500, with a JSON google.rpc.Status (code
// INTERNAL) whose message says so and why. The routes do not depend on
// their document: a gateway serves them all the same.
func OpenAPIErrorHandler(err error) http.Handler {
	st := status.New(codes.Internal, "the OpenAPI document could not be built: "+err.Error())
	body, merr := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(st.Proto())
	if merr != nil {
		body = []byte(`{"code":13,"message":"the OpenAPI document could not be built","details":[]}`)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(body)
	})
}

// serveOpenAPI adds the route of WithOpenAPI to the gateway's mux. A
// document that cannot be built is logged, once, and answered with
// OpenAPIErrorHandler: the routes are served without it.
func (g *Gateway) serveOpenAPI() error {
	path := g.cfg.openAPIPath
	if path == "" {
		return nil
	}
	if slices.ContainsFunc(g.routes, func(rt *route) bool { return rt.HTTPMethod == http.MethodGet && rt.Path == path }) {
		return fmt.Errorf("gateway: the OpenAPI document's path %s is a route's path", path)
	}
	var h http.Handler
	if doc, err := g.OpenAPI(g.cfg.openAPIInfo); err != nil {
		g.cfg.logger.Error("the OpenAPI document could not be built: its path answers 500, the routes are served", "path", path, "error", err)
		h = OpenAPIErrorHandler(err)
	} else {
		h = OpenAPIHandler(doc)
	}
	if err := g.mux.HandlePath(http.MethodGet, path, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		h.ServeHTTP(w, r)
	}); err != nil {
		return fmt.Errorf("gateway: OpenAPI document at %s: %w", path, err)
	}
	return nil
}

// openAPI describes rt for the OpenAPI document.
func (rt *route) openAPI() openapi.Route {
	m := rt.method
	if rt.Unary {
		return openapi.Route{Method: rt.HTTPMethod, Path: rt.Path, Body: rt.Body, ResponseBody: rt.ResponseBody, Desc: m.desc}
	}
	st := &openapi.Stream{Event: m.event, HeartbeatEvent: m.heartbeatEvent}
	if m.id != nil {
		st.IDField = m.id.String()
	}
	if m.resume != nil {
		st.ResumeField = m.resume.String()
	}
	if s := m.shape; s != nil {
		st.Shape = openapi.Shape{
			EventOneof:    s.opts.GetEventOneof(),
			EventField:    s.opts.GetEventField(),
			DataField:     s.opts.GetDataField(),
			Sentinel:      s.opts.GetSentinel(),
			SentinelEvent: s.opts.GetSentinelEvent(),
		}
	}
	return openapi.Route{Method: rt.HTTPMethod, Path: rt.Path, Body: rt.Body, Desc: m.desc, Stream: st}
}
