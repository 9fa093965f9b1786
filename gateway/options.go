package gateway

import (
	"log/slog"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/descriptors"
)

// Defaults of the options.
const (
	DefaultHeartbeat         = 15 * time.Second
	DefaultRetry             = 2 * time.Second
	DefaultHeaderTimeout     = time.Second
	DefaultLastEventIDParam  = "lastEventID"
	DefaultRequestParam      = "request"
	DefaultMaxRequestBytes   = 1 << 20
	DefaultMaxLastEventIDLen = 1024
)

// Option configures a Gateway.
type Option func(*config)

type config struct {
	source           descriptors.Source
	services         []string
	methodOptions    map[protoreflect.FullName]*ssegwv1.StreamOptions
	sharing          map[protoreflect.FullName]*ssegwv1.Sharing
	heartbeat        time.Duration
	heartbeatEvent   string
	retry            time.Duration
	headerTimeout    time.Duration
	incomingHeaders  []string
	outgoingMetadata []string
	marshal          protojson.MarshalOptions
	logger           *slog.Logger
	lastEventIDParam string
	requestParam     string
	maxRequestBytes  int64
	cors             *CORS
	trustedProxies   proxies
	cookies          []string
	tokenParam       string
	compress         bool
	// ignoreUnknownParams lets query parameters that name no request
	// field through (grpc-gateway's behaviour) instead of refusing them.
	ignoreUnknownParams bool
	ops                 opsConfig
	unary               unaryConfig
	// openAPIPath, when set, serves the OpenAPI document there.
	openAPIPath string
	openAPIInfo OpenAPIInfo
}

func defaultConfig() config {
	return config{
		heartbeat:        DefaultHeartbeat,
		retry:            DefaultRetry,
		headerTimeout:    DefaultHeaderTimeout,
		incomingHeaders:  []string{"Authorization"},
		logger:           slog.New(slog.DiscardHandler),
		lastEventIDParam: DefaultLastEventIDParam,
		requestParam:     DefaultRequestParam,
		maxRequestBytes:  DefaultMaxRequestBytes,
		methodOptions:    map[protoreflect.FullName]*ssegwv1.StreamOptions{},
		sharing:          map[protoreflect.FullName]*ssegwv1.Sharing{},
		ops:              defaultOpsConfig(),
	}
}

// WithServices restricts the gateway to the named services (full names such
// as "examples.demo.v1.DemoService"). By default every service the
// descriptor source offers is served, except gRPC's reflection and health
// services. A named service that cannot be found is an error.
func WithServices(names ...string) Option {
	return func(c *config) { c.services = append(c.services, names...) }
}

// WithMethodOptions sets the stream options of one method, named by its
// full name ("pkg.Service.Method"), for backends whose protos cannot carry
// the ssegw.v1.stream option: its event name, id and resume fields,
// heartbeat, sharing and the shape of its events. Fields set here replace
// those of the proto option (those of shape one by one, share as a whole,
// as WithSharing does); unset fields keep them.
func WithMethodOptions(method string, opts *ssegwv1.StreamOptions) Option {
	return func(c *config) {
		c.methodOptions[protoreflect.FullName(method)] = proto.CloneOf(opts)
	}
}

// WithHeartbeat sets how long a stream may stay idle before a heartbeat is
// written (default 15s). Heartbeats keep proxies from closing quiet
// connections and let clients notice dead ones. Zero disables them; the
// method option heartbeat_interval overrides it.
func WithHeartbeat(period time.Duration) Option {
	return func(c *config) { c.heartbeat = period }
}

// WithHeartbeatEvent makes heartbeats events with this name and empty data,
// instead of the default ": ping" comments, which EventSource ignores.
func WithHeartbeatEvent(name string) Option {
	return func(c *config) { c.heartbeatEvent = name }
}

// WithRetry sets the reconnection delay announced to clients with a
// "retry:" field when a stream starts (default 2s). Zero sends none.
func WithRetry(d time.Duration) Option {
	return func(c *config) { c.retry = d }
}

// WithHeaderTimeout bounds how long the gateway waits for the backend's
// response headers before it commits the SSE response anyway (default 1s).
// Until it commits, a backend error becomes an HTTP error status.
func WithHeaderTimeout(d time.Duration) Option {
	return func(c *config) { c.headerTimeout = d }
}

// WithIncomingHeaders sets the HTTP request headers that are forwarded to
// the backend as gRPC metadata (default: Authorization). Names are matched
// case-insensitively and forwarded in lower case. Reserved names (grpc-*,
// hop-by-hop headers, Host, Content-Type, TE) are refused by New.
func WithIncomingHeaders(names ...string) Option {
	return func(c *config) { c.incomingHeaders = names }
}

// WithOutgoingMetadata sets the backend header and trailer metadata keys
// that reach the client (default: none). Header metadata becomes response
// headers; trailer metadata is carried in the "end" and "error" events of
// a stream, and becomes response headers too for a unary call, whose
// answer is complete before it is written. Values of binary keys ("-bin")
// are base64-encoded.
func WithOutgoingMetadata(keys ...string) Option {
	return func(c *config) { c.outgoingMetadata = keys }
}

// WithMarshalOptions sets how messages become event data and unary
// response bodies, with protojson's options: UseProtoNames,
// UseEnumNumbers, EmitUnpopulated, EmitDefaultValues, AllowPartial and
// Resolver (by default, the types of the backend's descriptors, then those
// linked into the program) mean what they mean to protojson. The JSON is
// always compact, on one line: Multiline and Indent are ignored.
func WithMarshalOptions(o protojson.MarshalOptions) Option {
	return func(c *config) { c.marshal = o }
}

// WithLogger sets the logger (default: none).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithLastEventIDParam names the query parameter that carries a last event
// id for clients that cannot set the Last-Event-ID header (default
// "lastEventID"). The header wins when both are present, since a browser
// reconnecting to a URL with this parameter sends its newer id there.
func WithLastEventIDParam(name string) Option {
	return func(c *config) { c.lastEventIDParam = name }
}

// WithRequestParam names the query parameter that carries the whole request
// message as protojson (default "request"), for requests that query
// parameters cannot express, such as repeated messages. The POST body,
// path variables and other query parameters are applied on top of it. A
// route with body "*" refuses it: the request goes in the body there.
func WithRequestParam(name string) Option {
	return func(c *config) { c.requestParam = name }
}

// WithUnknownQueryParams ignores query parameters that name no field of
// the request message, that name a field the path or the body binds, or
// that a route with body "*" does not read, as grpc-gateway does, instead
// of answering 400. Use it for clients that add parameters of their own,
// such as cache busters.
func WithUnknownQueryParams() Option {
	return func(c *config) { c.ignoreUnknownParams = true }
}

// WithMaxRequestBytes bounds the size of a request body (413 over it) and
// of the request query parameter (400 over it), default 1 MiB. The
// parameter is in the URL, which the http.Server's MaxHeaderBytes bounds
// first (1 MiB by default, with the headers; 64 KiB in cmd/gateway),
// answering 431 itself.
func WithMaxRequestBytes(n int64) Option {
	return func(c *config) { c.maxRequestBytes = n }
}
