package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Defaults of the operational options.
const (
	DefaultWriteTimeout = 30 * time.Second
	DefaultDrainRetry   = time.Second
	DefaultRetryAfter   = 2 * time.Second
)

// opsConfig holds the options that concern running a gateway rather than
// mapping methods: metrics, logs, tracing, limits, drain and route
// overrides.
type opsConfig struct {
	registerer     prometheus.Registerer
	accessLog      *slog.Logger
	tracerProvider trace.TracerProvider
	limiter        *Limiter
	clientAddress  func(*http.Request) string
	retryAfter     time.Duration
	writeTimeout   time.Duration
	maxLifetime    time.Duration
	drainRetry     time.Duration
	httpRules      map[protoreflect.FullName]*annotations.HttpRule
	// bodyReadTimeout and maxBodyBuffer bound the reading of request
	// bodies (body.go).
	bodyReadTimeout time.Duration
	maxBodyBuffer   int64
}

func defaultOpsConfig() opsConfig {
	return opsConfig{
		clientAddress: RemoteAddress,
		retryAfter:    DefaultRetryAfter,
		writeTimeout:  DefaultWriteTimeout,
		drainRetry:    DefaultDrainRetry,
		httpRules:     map[protoreflect.FullName]*annotations.HttpRule{},

		bodyReadTimeout: DefaultBodyReadTimeout,
		maxBodyBuffer:   DefaultMaxBodyBufferBytes,
	}
}

// operations is the state a Gateway keeps for metrics, limits, drain and
// tracing.
type operations struct {
	cfg        opsConfig
	metrics    *metrics // nil without WithMetrics
	tracer     trace.Tracer
	propagator propagation.TraceContext
	tracker    streamTracker
	bodies     bodyBuffers
	// drainCtx is cancelled by Drain; every open stream watches it.
	drainCtx context.Context
	drain    context.CancelFunc
}

// setupOps checks the HTTP rule overrides and prepares metrics for every
// route (New has checked the other operational options). It runs at the end of New, once the routes are known, so
// that a failing New registers no metrics.
func (g *Gateway) setupOps(conn grpc.ClientConnInterface) error {
	cfg := g.cfg.ops
	for name := range cfg.httpRules {
		if !slices.ContainsFunc(g.routes, func(rt *route) bool { return rt.method.desc.FullName() == name }) {
			return fmt.Errorf("gateway: HTTP rule given for %s, which is not a served method", name)
		}
	}
	tp := cfg.tracerProvider
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	ops := &operations{
		cfg:    cfg,
		tracer: tp.Tracer("github.com/ssegw/ssegw/gateway"),
	}
	ops.drainCtx, ops.drain = context.WithCancel(context.Background())
	ops.bodies.max = cfg.maxBodyBuffer
	if cfg.registerer != nil {
		unregisterShared, err := g.registerShareMetrics(cfg.registerer)
		if err != nil {
			return fmt.Errorf("gateway: metrics: %w", err)
		}
		m, err := newMetrics(cfg.registerer, conn)
		if err != nil {
			unregisterShared()
			return fmt.Errorf("gateway: metrics: %w", err)
		}
		ops.metrics = m
		for _, rt := range g.routes {
			if rt.Unary {
				rt.unaryMetrics = m.unary.forRoute(rt)
			} else {
				rt.metrics = m.forRoute(rt)
			}
		}
	}
	g.ops = ops
	return nil
}

// WithMetrics registers the gateway's Prometheus metrics with reg: open
// streams, events, bytes and heartbeats sent, stream ends by reason and
// gRPC code, stream duration and time to first event, slow-consumer
// disconnects, request bodies being read and the bytes they hold, unary
// calls by gRPC code, in flight, their duration and bytes, and, when the
// backend connection is a *grpc.ClientConn, its connectivity state. See
// docs/operations.md for the list.
//
// The metric names are fixed, so two gateways registering with one
// registry need distinct constant labels, such as
// prometheus.WrapRegistererWith(prometheus.Labels{"backend": name}, reg).
func WithMetrics(reg prometheus.Registerer) Option {
	return func(c *config) { c.ops.registerer = reg }
}

// WithAccessLog logs one line at level Info to l when a stream ends: the
// route, the client address, the HTTP status, the gRPC code, why the stream
// ended, the events, bytes and heartbeats sent, the duration and the time
// to the first event. A unary call logs a line "unary" with the route, the
// client address, the HTTP status, the gRPC code, the bytes and the
// duration. Request headers, cookies and the query string are
// never logged, since they may carry credentials. By default nothing is
// logged.
func WithAccessLog(l *slog.Logger) Option {
	return func(c *config) { c.ops.accessLog = l }
}

// WithTracerProvider makes a span for every stream and every unary call
// with a tracer of tp,
// as a child of the W3C traceparent of the request, and passes the span's
// context to the backend. Without it, the request's traceparent and
// tracestate are still forwarded to the backend unchanged.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.ops.tracerProvider = tp }
}

// WithWriteTimeout sets the deadline of each write to a client (default
// 30s). A client that does not take an event (or a heartbeat) within it is
// a slow consumer: its stream ends and its backend call is cancelled. Zero
// disables the deadline.
//
// A write only waits once the socket's send buffer is full, which
// heartbeats of a few bytes take minutes to fill: on a quiet stream, a
// client that vanished without closing its connection is noticed sooner
// when the listener sets a TCP user timeout (TCP_USER_TIMEOUT on Linux),
// as cmd/gateway does with this same duration.
func WithWriteTimeout(d time.Duration) Option {
	return func(c *config) { c.ops.writeTimeout = d }
}

// WithMaxStreamLifetime ends streams after at most d, telling their clients
// to reconnect as a drain does, so that long-lived connections are spread
// again over the replicas. Each stream's lifetime is chosen at random
// between 90% and 100% of d, so that streams opened together are not all
// rotated together. Zero (the default) means no limit.
func WithMaxStreamLifetime(d time.Duration) Option {
	return func(c *config) { c.ops.maxLifetime = d }
}

// WithDrainRetry sets the reconnection delay the gateway announces to a
// stream it ends on purpose, on Drain or at the end of its maximum
// lifetime: each stream gets a "retry:" chosen at random between d/2 and
// 3d/2 (default 1s), so that clients do not all reconnect at once.
func WithDrainRetry(d time.Duration) Option {
	return func(c *config) { c.ops.drainRetry = d }
}

// WithRetryAfter sets the Retry-After of 429 and 503 answers to requests
// over a stream limit or arriving during a drain (default 2s). It is sent
// in whole seconds, rounded up.
func WithRetryAfter(d time.Duration) Option {
	return func(c *config) { c.ops.retryAfter = d }
}

// WithMethodHTTPRule replaces the google.api.http rule of one method, named
// by its full name ("pkg.Service.Method"), for backends whose protos cannot
// carry the routes the gateway should serve. Its patterns (GET and POST
// for a server-streaming method, every verb for a unary one), body,
// response_body and additional bindings are used as if the proto declared
// them.
func WithMethodHTTPRule(method string, rule *annotations.HttpRule) Option {
	return func(c *config) { c.ops.httpRules[protoreflect.FullName(method)] = proto.CloneOf(rule) }
}

// httpRuleOf returns the HTTP rule of md: the one given with
// WithMethodHTTPRule, or the method's own.
func (c *config) httpRuleOf(md protoreflect.MethodDescriptor) *annotations.HttpRule {
	if rule, ok := c.ops.httpRules[md.FullName()]; ok {
		return rule
	}
	return httpRuleOf(md)
}
