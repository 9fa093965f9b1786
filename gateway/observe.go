package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ssegw/ssegw/sse"
)

// endReason says why a stream ended.
type endReason uint8

const (
	reasonNone         endReason = iota // not known yet
	reasonEnd                           // the backend finished: "end" event
	reasonError                         // the backend failed after the stream started: "error" event
	reasonRefused                       // failed before the stream started: HTTP error status
	reasonLimit                         // over a stream limit: 429 or 503
	reasonClientClosed                  // the client went away
	reasonSlowConsumer                  // a write missed its deadline
	reasonDrain                         // ended by Drain, or refused during it
	reasonMaxLifetime                   // ended at the end of its lifetime
	reasonOverflow                      // a subscriber of a shared stream fell behind its queue
	reasonBodyTimeout                   // the request body did not arrive in time: 408
)

func (r endReason) String() string {
	switch r {
	case reasonEnd:
		return "end"
	case reasonError:
		return "error"
	case reasonRefused:
		return "refused"
	case reasonLimit:
		return "limit"
	case reasonClientClosed:
		return "client_closed"
	case reasonSlowConsumer:
		return "slow_consumer"
	case reasonDrain:
		return "drain"
	case reasonMaxLifetime:
		return "max_lifetime"
	case reasonOverflow:
		return "overflow"
	case reasonBodyTimeout:
		return "body_timeout"
	}
	return "unknown"
}

// streamRecord follows one request for a stream, from admission to its
// end, and reports it to metrics, the access log and the trace. Its
// counters are written by the stream's goroutine, and by the heartbeat
// timer under the eventWriter's lock; they are read at the end, after the
// eventWriter is closed.
type streamRecord struct {
	g      *Gateway
	rt     *route
	m      *routeMetrics // nil without metrics
	r      *http.Request
	client string
	start  time.Time

	span     trace.Span
	traceCtx context.Context // carries span, for the backend's metadata

	tracked bool // counted by the gateway's tracker
	limited bool // holds a limiter slot

	ctx      context.Context // the backend call's context, once made
	cancel   context.CancelCauseFunc
	cleanups []func() bool

	committed  bool
	slow       bool // a write missed its deadline; under the eventWriter's lock
	events     int64
	firstEvent time.Duration
	bytes      int64
	heartbeats int64
	httpStatus int
	reason     endReason
	code       codes.Code
	// join says how a subscriber of a shared stream joined it ("live",
	// "replay", "resume"); empty for a stream of its own.
	join     string
	replayed int // events replayed from the shared stream's window

	mw meteredWriter
}

// record starts the record of a request for rt's stream. The returned
// ResponseWriter counts what is written.
func (g *Gateway) record(rt *route, w http.ResponseWriter, r *http.Request) (*streamRecord, http.ResponseWriter) {
	sr := &streamRecord{g: g, rt: rt, m: rt.metrics, r: r, client: g.ops.cfg.clientAddress(r), start: time.Now()}
	sr.mw = meteredWriter{ResponseWriter: w, sr: sr}
	w = &sr.mw

	parent := g.ops.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	sr.traceCtx, sr.span = g.ops.tracer.Start(parent, rt.HTTPMethod+" "+rt.Path,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(sr.start),
		trace.WithAttributes(
			attribute.String("http.request.method", rt.HTTPMethod),
			attribute.String("http.route", rt.Path),
			attribute.String("rpc.system", "grpc"),
			attribute.String("rpc.service", string(rt.method.desc.Parent().FullName())),
			attribute.String("rpc.method", string(rt.method.desc.Name())),
			attribute.String("client.address", sr.client),
		))
	return sr, w
}

// admit counts the stream, and refuses it when the gateway is draining or
// a stream limit is reached: false when the request was answered already.
func (sr *streamRecord) admit(w http.ResponseWriter) bool {
	g := sr.g
	if !g.ops.tracker.enter() {
		sr.reject(w, reasonDrain, status.Error(codes.Unavailable, "the gateway is shutting down; retry"))
		return false
	}
	sr.tracked = true
	if l := g.ops.cfg.limiter; l != nil {
		if err := l.acquire(sr.client); err != nil {
			sr.reject(w, reasonLimit, err)
			return false
		}
		sr.limited = true
	}
	return true
}

// reject answers a request the gateway will not serve now with err's
// status and a Retry-After.
func (sr *streamRecord) reject(w http.ResponseWriter, reason endReason, err error) {
	secs := int64(math.Ceil(sr.g.ops.cfg.retryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	sr.reason, sr.code = reason, status.Code(err)
	sr.g.writeStatus(w, err)
}

// context returns the context of the backend call: cancelled when the
// client goes away, when a write fails (with errSlowConsumer or
// errClientGone as the cause), on Drain (errDrain) and at the end of the
// stream's lifetime (errMaxLifetime). end cancels it.
func (sr *streamRecord) context(parent context.Context) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	sr.cancel = cancel
	if d := sr.g.ops.cfg.maxLifetime; d > 0 {
		// Not a context deadline: gRPC would pass it on to the backend,
		// which would fail the call with DeadlineExceeded.
		sr.cleanups = append(sr.cleanups, time.AfterFunc(lifetime(d), func() { cancel(errMaxLifetime) }).Stop)
	}
	sr.cleanups = append(sr.cleanups, context.AfterFunc(sr.g.ops.drainCtx, func() { cancel(errDrain) }))
	sr.ctx = ctx
	return ctx, cancel
}

// traceMetadata adds the W3C trace context of the stream (its span's, or
// the request's when there is no tracer) to md, and returns md.
func (sr *streamRecord) traceMetadata(md metadata.MD) metadata.MD {
	sr.g.ops.propagator.Inject(sr.traceCtx, metadataCarrier(md))
	return md
}

// refuse ends a stream that failed before its response was committed: a
// stream that is told to come back gets 503 with Retry-After, one whose
// client has gone gets nothing, and any other the HTTP status of err.
func (sr *streamRecord) refuse(w http.ResponseWriter, err error) {
	if sr.ctx != nil && sr.ctx.Err() != nil {
		cause := context.Cause(sr.ctx)
		if st := gapStatus(cause, sr.rt.method); st != nil {
			sr.reason, sr.code = reasonRefused, st.Code()
			sr.g.writeStatus(w, st.Err())
			return
		}
		if comeBack(cause) {
			sr.reject(w, sr.causeReason(cause), status.Error(codes.Unavailable, "the gateway is shutting down; retry"))
		}
		return
	}
	sr.reason, sr.code = reasonRefused, statusCode(err)
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable {
		err = sr.g.publicStatus(sr.r.Context(), sr.rt.method, st).Err()
	}
	sr.g.writeStatus(w, err)
}

// interrupted ends a committed stream whose backend call was cancelled by
// the gateway or the client: a stream told to come back gets a short,
// jittered retry hint and is closed without an "end" event, so that its
// client reconnects.
func (sr *streamRecord) interrupted(ew *eventWriter) {
	if comeBack(context.Cause(sr.ctx)) {
		_ = ew.write(&sse.Event{Retry: jitter(sr.g.ops.cfg.drainRetry)})
	}
}

// opened records that the SSE response started.
func (sr *streamRecord) opened() {
	sr.committed = true
	if sr.m != nil {
		sr.m.open.Inc()
	}
}

// sent records one event written for a backend message.
func (sr *streamRecord) sent() {
	sr.events++
	if sr.events == 1 {
		sr.firstEvent = time.Since(sr.start)
		if sr.m != nil {
			sr.m.firstEvent.Observe(sr.firstEvent.Seconds())
		}
	}
	if sr.m != nil {
		sr.m.events.Inc()
	}
}

// heartbeat records one heartbeat; the eventWriter's lock is held.
func (sr *streamRecord) heartbeat() {
	sr.heartbeats++
	if sr.m != nil {
		sr.m.heartbeats.Inc()
	}
}

// finished records how the backend ended a committed stream.
func (sr *streamRecord) finished(err error) {
	if errors.Is(err, io.EOF) {
		sr.reason, sr.code = reasonEnd, codes.OK
		return
	}
	sr.reason, sr.code = reasonError, status.Code(err)
}

// causeReason maps the cause of a cancelled backend call to why the stream
// ended.
func (sr *streamRecord) causeReason(cause error) endReason {
	switch {
	case errors.Is(cause, errDrain):
		return reasonDrain
	case errors.Is(cause, errMaxLifetime):
		return reasonMaxLifetime
	case errors.Is(cause, errSlowConsumer):
		return reasonSlowConsumer
	}
	return reasonClientClosed
}

// end releases what the stream held and reports it. It runs after the
// eventWriter is closed, and cancels the backend call.
func (sr *streamRecord) end() {
	if sr.reason == reasonNone {
		sr.reason, sr.code = reasonClientClosed, codes.Canceled
		switch {
		case sr.ctx != nil && comeBack(context.Cause(sr.ctx)):
			sr.reason = sr.causeReason(context.Cause(sr.ctx))
		case sr.slow:
			// The server may have cancelled the request before the
			// eventWriter cancelled the call with its own cause.
			sr.reason = reasonSlowConsumer
		case sr.ctx != nil && sr.ctx.Err() != nil:
			sr.reason = sr.causeReason(context.Cause(sr.ctx))
		}
	}
	if sr.cancel != nil {
		sr.cancel(context.Canceled)
	}
	for _, cleanup := range sr.cleanups {
		cleanup()
	}
	if sr.limited {
		sr.g.ops.cfg.limiter.release(sr.client)
	}
	if sr.tracked {
		sr.g.ops.tracker.leave()
	}
	if sr.httpStatus == 0 {
		sr.httpStatus = http.StatusOK
	}
	duration := time.Since(sr.start)

	if m := sr.m; m != nil {
		// Counted as ended before it stops counting as open, so that a
		// scrape never misses it in both.
		m.ends.WithLabelValues(sr.reason.String(), sr.code.String()).Inc()
		if sr.reason == reasonSlowConsumer {
			m.slow.Inc()
		}
		m.duration.Observe(duration.Seconds())
		if sr.committed {
			m.open.Dec()
		}
	}

	sr.span.SetAttributes(
		attribute.Int("http.response.status_code", sr.httpStatus),
		attribute.Int("rpc.grpc.status_code", int(sr.code)),
		attribute.String("ssegw.end_reason", sr.reason.String()),
		attribute.Int64("ssegw.events", sr.events),
		attribute.Int64("ssegw.bytes", sr.bytes),
		attribute.Int64("ssegw.heartbeats", sr.heartbeats),
	)
	switch sr.reason {
	case reasonError, reasonRefused, reasonSlowConsumer, reasonBodyTimeout:
		sr.span.SetStatus(otelcodes.Error, sr.reason.String()+": "+sr.code.String())
	}
	sr.span.End()

	if l := sr.g.ops.cfg.accessLog; l != nil {
		attrs := []slog.Attr{
			slog.String("method", sr.rt.HTTPMethod),
			slog.String("route", sr.rt.Path),
			slog.String("path", sr.r.URL.EscapedPath()),
			slog.String("grpc_method", sr.rt.GRPCMethod),
			slog.String("client", sr.client),
			slog.Int("status", sr.httpStatus),
			slog.String("code", sr.code.String()),
			slog.String("reason", sr.reason.String()),
			slog.Int64("events", sr.events),
			slog.Int64("bytes", sr.bytes),
			slog.Int64("heartbeats", sr.heartbeats),
			slog.Duration("duration", duration),
		}
		if sr.events > 0 {
			attrs = append(attrs, slog.Duration("first_event", sr.firstEvent))
		}
		if sr.join != "" {
			attrs = append(attrs, slog.String("shared", sr.join), slog.Int("replayed", sr.replayed))
		}
		if sc := sr.span.SpanContext(); sc.HasTraceID() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
		}
		l.LogAttrs(context.Background(), slog.LevelInfo, "stream", attrs...)
	}
}

// statusCode is the gRPC code of an error as writeStatus reports it.
func statusCode(err error) codes.Code {
	if hse, ok := errors.AsType[*runtime.HTTPStatusError](err); ok {
		err = hse.Err
	}
	return status.Code(err)
}

// meteredWriter counts the bytes and records the status of a stream's
// response. Flushes and deadlines reach the underlying ResponseWriter
// through Unwrap.
type meteredWriter struct {
	http.ResponseWriter
	sr *streamRecord
}

// WriteHeader records the status and passes it on.
func (mw *meteredWriter) WriteHeader(code int) {
	if mw.sr.httpStatus == 0 {
		mw.sr.httpStatus = code
	}
	mw.ResponseWriter.WriteHeader(code)
}

// Write counts p and passes it on.
func (mw *meteredWriter) Write(p []byte) (int, error) {
	if mw.sr.httpStatus == 0 {
		mw.sr.httpStatus = http.StatusOK
	}
	n, err := mw.ResponseWriter.Write(p)
	mw.sr.bytes += int64(n)
	if mw.sr.m != nil {
		mw.sr.m.bytes.Add(float64(n))
	}
	return n, err
}

// FlushError flushes the underlying ResponseWriter, for
// http.ResponseController.
func (mw *meteredWriter) FlushError() error {
	return http.NewResponseController(mw.ResponseWriter).Flush()
}

// Flush implements http.Flusher for writers that look for it.
func (mw *meteredWriter) Flush() { _ = mw.FlushError() }

// Unwrap returns the underlying ResponseWriter, for
// http.ResponseController.
func (mw *meteredWriter) Unwrap() http.ResponseWriter { return mw.ResponseWriter }

// metadataCarrier lets a propagator write to gRPC metadata.
type metadataCarrier metadata.MD

// Get implements propagation.TextMapCarrier.
func (c metadataCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set implements propagation.TextMapCarrier.
func (c metadataCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

// Keys implements propagation.TextMapCarrier.
func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
