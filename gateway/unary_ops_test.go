package gateway_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ssegw/ssegw/gateway"
)

// TestUnaryMetadata: allowlisted request headers, cookies and the access
// token reach the backend as metadata, as for streams; the backend's
// allowlisted header and trailer metadata come back as response headers
// with their own names (binary values in base64), on a response and on an
// error alike, and other metadata does not.
func TestUnaryMetadata(t *testing.T) {
	srv, conn := startKitchenSink(t)
	base := startGateway(t, conn,
		gateway.WithIncomingHeaders("Authorization", "X-Tenant", "X-Blob-Bin"),
		gateway.WithForwardedCookies("session"),
		gateway.WithAccessTokenParam("access_token"),
		gateway.WithOutgoingMetadata("x-header", "x-trailer", "x-both"))

	t.Run("incoming", func(t *testing.T) {
		header := http.Header{
			"X-Tenant":   {"acme"},
			"X-Blob-Bin": {base64.StdEncoding.EncodeToString([]byte{0, 1, 2})},
			"X-Other":    {"dropped"},
			"Cookie":     {"session=s3cret; other=nope"},
		}
		resp := callUnary(t, "GET", base+"/v1/items/m?access_token=t0k3n", header, "")
		if resp.status != http.StatusOK {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
		md := srv.Backend.Calls()[len(srv.Backend.Calls())-1].Metadata
		for key, want := range map[string]string{"x-tenant": "acme", "x-blob-bin": "\x00\x01\x02", "cookie": "session=s3cret", "authorization": "Bearer t0k3n"} {
			if got := md.Get(key); len(got) != 1 || got[0] != want {
				t.Errorf("metadata %s = %q, want %q", key, got, want)
			}
		}
		if got := md.Get("x-other"); len(got) != 0 {
			t.Errorf("a header off the allowlist reached the backend: %q", got)
		}
	})
	t.Run("outgoing", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			fail   string
			status int
		}{
			{"response", "", http.StatusOK},
			{"error", `,"failCode":9,"failMessage":"no"`, http.StatusBadRequest},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := `{"headerMetadata":{"x-header":"h","x-both":"1","x-secret":"s"},"trailerMetadata":{"x-trailer":"t","x-both":"2","x-secret-too":"s"}` + tc.fail + `}`
				resp := callUnary(t, "POST", base+"/v1/answer", jsonHeader(), body)
				if resp.status != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
				}
				h := resp.header
				if h.Get("X-Header") != "h" || h.Get("X-Trailer") != "t" || strings.Join(h.Values("X-Both"), ",") != "1,2" {
					t.Errorf("headers %v: want the allowlisted header and trailer metadata", h)
				}
				if h.Get("X-Secret") != "" || h.Get("X-Secret-Too") != "" {
					t.Errorf("metadata off the allowlist reached the client: %v", h)
				}
			})
		}
	})
}

// TestUnaryCORS: a cross-origin page may call PUT, DELETE, PATCH and
// custom methods: the preflight allows the HTTP methods of the routes,
// and refuses others.
func TestUnaryCORS(t *testing.T) {
	_, conn := startKitchenSink(t)
	const origin = "https://app.example.com"
	base := startGateway(t, conn, gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{origin}, ExposedHeaders: []string{"X-Header"}}))
	for _, method := range []string{"PUT", "DELETE", "PATCH", "SEARCH", "GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			resp := callUnary(t, "OPTIONS", base+"/v1/items/1", http.Header{
				"Origin":                         {origin},
				"Access-Control-Request-Method":  {method},
				"Access-Control-Request-Headers": {"content-type"},
			}, "")
			allowed := strings.Split(resp.header.Get("Access-Control-Allow-Methods"), ", ")
			if resp.status != http.StatusNoContent || resp.header.Get("Access-Control-Allow-Origin") != origin || !slices.Contains(allowed, method) {
				t.Errorf("preflight: %d %v", resp.status, resp.header)
			}
		})
	}
	t.Run("a method no route has", func(t *testing.T) {
		resp := callUnary(t, "OPTIONS", base+"/v1/items/1", http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"PROPFIND"}}, "")
		if resp.status != http.StatusForbidden || resp.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight: %d %v, want 403 without CORS headers", resp.status, resp.header)
		}
	})
	t.Run("the call", func(t *testing.T) {
		header := jsonHeader()
		header.Set("Origin", origin)
		resp := callUnary(t, "PATCH", base+"/v1/items/1", header, `{"int32Value":1}`)
		if resp.status != http.StatusOK || resp.header.Get("Access-Control-Allow-Origin") != origin || resp.header.Get("Access-Control-Expose-Headers") != "X-Header" {
			t.Errorf("call: %d %v", resp.status, resp.header)
		}
	})
}

// TestWithoutUnary: with unary serving off, unary routes answer 404 and
// streams are served as before.
func TestWithoutUnary(t *testing.T) {
	srv, conn := startKitchenSink(t)
	base := startGateway(t, conn, gateway.WithoutUnary())
	before := len(srv.Backend.Calls())
	for _, tc := range []struct{ method, target string }{
		{"GET", "/v1/items/a"}, {"POST", "/v1/items"}, {"POST", "/kitchensink.v1.KitchenSink/Touch"}, {"DELETE", "/v1/items/a"},
	} {
		if resp := callUnary(t, tc.method, base+tc.target, jsonHeader(), "{}"); resp.status != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", tc.method, tc.target, resp.status)
		}
	}
	if n := len(srv.Backend.Calls()) - before; n != 0 {
		t.Errorf("the backend received %d calls", n)
	}
	events := open(t, "GET", base+"/kitchensink.v1.KitchenSink/Plain?name=p", nil, "").rest(t)
	if len(events) != 2 || events[1].Event != gateway.EndEvent {
		t.Errorf("stream events %q", events)
	}
}

// TestUnaryDrain: Drain waits for a unary call in flight, which is
// answered, and refuses new calls with 503 and Retry-After.
func TestUnaryDrain(t *testing.T) {
	srv, conn := startKitchenSink(t)
	gw := newGateway(t, conn, gateway.WithRetryAfter(3*time.Second))
	var written atomic.Bool // the answer of the call in flight was written
	base := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw.ServeHTTP(&flagWriter{ResponseWriter: w, written: &written}, r)
	}))

	answered := make(chan unaryResponse, 1)
	go func() {
		answered <- callUnary(t, "POST", base+"/v1/answer", jsonHeader(), `{"delay":"0.3s","messages":[{"stringValue":"done"}]}`)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Backend.Calls()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the call did not reach the backend")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := gw.OpenStreams(); got != 1 {
		t.Errorf("OpenStreams %d during a unary call, want 1", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := gw.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if !written.Load() {
		t.Fatal("Drain returned before the call in flight was answered")
	}
	if resp := <-answered; resp.status != http.StatusOK || !sameJSON(resp.body, []byte(`{"stringValue":"done"}`)) {
		t.Errorf("the call in flight: %d %s", resp.status, resp.body)
	}
	resp := callUnary(t, "POST", base+"/v1/items", jsonHeader(), "{}")
	if resp.status != http.StatusServiceUnavailable || resp.header.Get("Retry-After") != "3" {
		t.Errorf("a call after Drain: %d, Retry-After %q; want 503 with Retry-After 3", resp.status, resp.header.Get("Retry-After"))
	}
}

// flagWriter sets written once a body has been written through it.
type flagWriter struct {
	http.ResponseWriter
	written *atomic.Bool
}

func (w *flagWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.written.Store(true)
	return n, err
}

func (w *flagWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestUnaryObservability: a unary call is counted in the unary metrics,
// logged in one access line without secrets, and traced in a span whose
// context reaches the backend.
func TestUnaryObservability(t *testing.T) {
	srv, conn := startKitchenSink(t)
	reg := prometheus.NewRegistry()
	var logs logBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	base := startGateway(t, conn, gateway.WithMetrics(reg), gateway.WithAccessLog(logger), gateway.WithTracerProvider(tp),
		gateway.WithAccessTokenParam("access_token"))

	ok := callUnary(t, "GET", base+"/v1/items/o?access_token=SECRET", http.Header{"Authorization": {"Bearer SECRET"}}, "")
	failed := callUnary(t, "POST", base+"/v1/answer", jsonHeader(), `{"failCode":5}`)
	if ok.status != http.StatusOK || failed.status != http.StatusNotFound {
		t.Fatalf("statuses %d and %d", ok.status, failed.status)
	}

	// In flight until the record of each call has ended, which it counts
	// last.
	waitMetric(t, reg, `ssegw_unary_calls_in_flight{method="GET",route="/v1/items/{string_value}"}`, 0)
	got := waitMetric(t, reg, `ssegw_unary_calls_in_flight{method="POST",route="/v1/answer"}`, 0)
	if got[`ssegw_unary_calls_total{code="NotFound",method="POST",route="/v1/answer"}`] != 1 {
		t.Errorf("calls %v", got)
	}
	for key, want := range map[string]float64{
		`ssegw_unary_calls_total{code="OK",method="GET",route="/v1/items/{string_value}"}`:           1,
		`ssegw_unary_calls_in_flight{method="GET",route="/v1/items/{string_value}"}`:                 0,
		`ssegw_unary_call_duration_seconds_count{method="GET",route="/v1/items/{string_value}"}`:     1,
		`ssegw_unary_sent_bytes_total{method="GET",route="/v1/items/{string_value}"}`:                float64(len(ok.body)),
		`ssegw_unary_sent_bytes_total{method="POST",route="/v1/answer"}`:                             float64(len(failed.body)),
		`ssegw_streams_ended_total{code="OK",method="GET",reason="end",route="/v1/everything"}`:      0,
		`ssegw_unary_calls_in_flight{method="POST",route="/kitchensink.v1.KitchenSink/Touch"}`:       0,
		`ssegw_unary_call_duration_seconds_count{method="POST",route="/v1/answer"}`:                  1,
		`ssegw_unary_calls_total{code="OK",method="POST",route="/kitchensink.v1.KitchenSink/Touch"}`: 0,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	for key := range got {
		if strings.HasPrefix(key, "ssegw_streams_open") && strings.Contains(key, "/v1/items") {
			t.Errorf("a unary route has stream metrics: %s", key)
		}
	}

	// The lines, and the spans, in the order the calls were answered:
	// the first call's record may end after the second's.
	lines := logs.waitLines(t, "unary", 2)
	if lines[0]["method"] != "GET" {
		lines[0], lines[1] = lines[1], lines[0]
	}
	for i, want := range []map[string]any{
		{"method": "GET", "route": "/v1/items/{string_value}", "path": "/v1/items/o", "grpc_method": "/kitchensink.v1.KitchenSink/Get", "status": float64(200), "code": "OK", "bytes": float64(len(ok.body))},
		{"method": "POST", "route": "/v1/answer", "grpc_method": "/kitchensink.v1.KitchenSink/Answer", "status": float64(404), "code": "NotFound"},
	} {
		for key, v := range want {
			if lines[i][key] != v {
				t.Errorf("access line %d: %s = %v, want %v", i, key, lines[i][key], v)
			}
		}
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("a secret reached the log:\n%s", logs.String())
	}

	deadline := time.Now().Add(5 * time.Second)
	for len(spans.Ended()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	ended := spans.Ended()
	if len(ended) != 2 {
		t.Fatalf("%d spans ended, want 2", len(ended))
	}
	if ended[0].Name() != "GET /v1/items/{string_value}" {
		ended[0], ended[1] = ended[1], ended[0]
	}
	span := ended[0]
	if span.Name() != "GET /v1/items/{string_value}" || span.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v", span.Name(), span.SpanKind())
	}
	md := srv.Backend.Calls()[0].Metadata
	if want := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"; strings.Join(md.Get("traceparent"), ",") != want {
		t.Errorf("backend traceparent %q, want the span's %q", md.Get("traceparent"), want)
	}
	if ended[1].Status().Code.String() != "Unset" {
		t.Errorf("a 404 marks the span %v; only server errors do", ended[1].Status())
	}
}
