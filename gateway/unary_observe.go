package gateway

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// unaryRecord follows one unary call, from admission to its answer, and
// reports it to metrics, the access log and the trace, as a streamRecord
// does for a stream. Unary calls count for Drain (which waits for them and
// refuses new ones) but not against the stream limits.
type unaryRecord struct {
	g      *Gateway
	rt     *route
	m      *unaryRouteMetrics // nil without metrics
	r      *http.Request
	client string
	start  time.Time

	span     trace.Span
	traceCtx context.Context

	tracked bool
	code    codes.Code
	uw      unaryWriter
}

// admitUnary starts the record of a unary call of rt, and refuses it
// while the gateway drains. The returned ResponseWriter records the status
// and the bytes of the answer; admitted is false when the request was
// answered already.
func (g *Gateway) admitUnary(rt *route, w http.ResponseWriter, r *http.Request) (ur *unaryRecord, _ http.ResponseWriter, admitted bool) {
	ur = &unaryRecord{g: g, rt: rt, m: rt.unaryMetrics, r: r, client: g.ops.cfg.clientAddress(r), start: time.Now()}
	ur.uw = unaryWriter{ResponseWriter: w}
	w = &ur.uw
	if ur.m != nil {
		ur.m.inFlight.Inc()
	}

	parent := g.ops.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ur.traceCtx, ur.span = g.ops.tracer.Start(parent, rt.HTTPMethod+" "+rt.Path,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(ur.start),
		trace.WithAttributes(
			attribute.String("http.request.method", rt.HTTPMethod),
			attribute.String("http.route", rt.Path),
			attribute.String("rpc.system", "grpc"),
			attribute.String("rpc.service", string(rt.method.desc.Parent().FullName())),
			attribute.String("rpc.method", string(rt.method.desc.Name())),
			attribute.String("client.address", ur.client),
		))

	if !g.ops.tracker.enter() {
		secs := int64(math.Ceil(g.ops.cfg.retryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
		ur.fail(w, status.Error(codes.Unavailable, "the gateway is shutting down; retry"))
		return ur, w, false
	}
	ur.tracked = true
	return ur, w, true
}

// traceMetadata adds the W3C trace context of the call to md, and returns
// md.
func (ur *unaryRecord) traceMetadata(md metadata.MD) metadata.MD {
	ur.g.ops.propagator.Inject(ur.traceCtx, metadataCarrier(md))
	return md
}

// fail answers with err's status, as JSON, and records its code.
func (ur *unaryRecord) fail(w http.ResponseWriter, err error) {
	ur.code = statusCode(err)
	ur.g.writeStatus(w, err)
}

// respond writes the response body of a call that succeeded, within the
// write timeout.
func (ur *unaryRecord) respond(w http.ResponseWriter, body []byte) {
	ur.code = codes.OK
	rc := http.NewResponseController(w)
	if d := ur.g.ops.cfg.writeTimeout; d > 0 {
		if rc.SetWriteDeadline(time.Now().Add(d)) == nil {
			defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// end reports the call: metrics, span and access log.
func (ur *unaryRecord) end() {
	if ur.tracked {
		ur.g.ops.tracker.leave()
	}
	if ur.r.Context().Err() != nil && ur.code != codes.OK {
		ur.code = codes.Canceled // the client went away first
	}
	httpStatus := ur.uw.status
	if httpStatus == 0 {
		httpStatus = http.StatusOK
	}
	duration := time.Since(ur.start)
	if m := ur.m; m != nil {
		m.calls.WithLabelValues(ur.code.String()).Inc()
		m.duration.Observe(duration.Seconds())
		m.bytes.Add(float64(ur.uw.bytes))
		m.inFlight.Dec()
	}

	ur.span.SetAttributes(
		attribute.Int("http.response.status_code", httpStatus),
		attribute.Int("rpc.grpc.status_code", int(ur.code)),
		attribute.Int64("ssegw.bytes", ur.uw.bytes),
	)
	if httpStatus >= 500 {
		ur.span.SetStatus(otelcodes.Error, ur.code.String())
	}
	ur.span.End()

	if l := ur.g.ops.cfg.accessLog; l != nil {
		attrs := []slog.Attr{
			slog.String("method", ur.rt.HTTPMethod),
			slog.String("route", ur.rt.Path),
			slog.String("path", ur.r.URL.EscapedPath()),
			slog.String("grpc_method", ur.rt.GRPCMethod),
			slog.String("client", ur.client),
			slog.Int("status", httpStatus),
			slog.String("code", ur.code.String()),
			slog.Int64("bytes", ur.uw.bytes),
			slog.Duration("duration", duration),
		}
		if sc := ur.span.SpanContext(); sc.HasTraceID() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
		}
		l.LogAttrs(context.Background(), slog.LevelInfo, "unary", attrs...)
	}
}

// unaryWriter records the status and counts the bytes of a unary answer.
// Deadlines reach the underlying ResponseWriter through Unwrap.
type unaryWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status and passes it on.
func (uw *unaryWriter) WriteHeader(code int) {
	if uw.status == 0 {
		uw.status = code
	}
	uw.ResponseWriter.WriteHeader(code)
}

// Write counts p and passes it on.
func (uw *unaryWriter) Write(p []byte) (int, error) {
	if uw.status == 0 {
		uw.status = http.StatusOK
	}
	n, err := uw.ResponseWriter.Write(p)
	uw.bytes += int64(n)
	return n, err
}

// Unwrap returns the underlying ResponseWriter, for
// http.ResponseController.
func (uw *unaryWriter) Unwrap() http.ResponseWriter { return uw.ResponseWriter }
