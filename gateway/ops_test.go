package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/sse"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestMetricsMatchWhatWasSent(t *testing.T) {
	conn, _ := startBackend(t)
	reg := prometheus.NewRegistry()
	base := startGateway(t, conn,
		gateway.WithMetrics(reg),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", &ssegwv1.StreamOptions{HeartbeatInterval: durationpb.New(20 * time.Millisecond)}),
	)
	seq := `{method="GET",route="/v1/{name=streams/*}/events"}`
	ticks := `{method="GET",route="/v1/symbols/{symbol}/ticks"}`

	// A stream that ends: 5 events and the end event.
	resp, _ := do(t, "GET", base+"/v1/streams/m/events?last_seq=5&interval=0.001s", nil, "")
	body := &countingReader{r: resp.Body}
	events := 0
	r := sse.NewReader(body)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Event == "" {
			events++
		}
	}
	got := waitMetric(t, reg, `ssegw_streams_ended_total{code="OK",method="GET",reason="end",route="/v1/{name=streams/*}/events"}`, 1)
	for key, want := range map[string]float64{
		"ssegw_events_sent_total" + seq:                 float64(events),
		"ssegw_sent_bytes_total" + seq:                  float64(body.n),
		"ssegw_streams_open" + seq:                      0,
		"ssegw_stream_duration_seconds_count" + seq:     1,
		"ssegw_stream_first_event_seconds_count" + seq:  1,
		"ssegw_heartbeats_sent_total" + seq:             0,
		`ssegw_backend_connection_state{state="READY"}`: 1,
		`ssegw_backend_connection_state{state="IDLE"}`:  0,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if events != 5 {
		t.Errorf("client saw %d events, want 5", events)
	}

	// An idle stream with heartbeats, which the client leaves.
	s := open(t, "GET", base+"/v1/symbols/H/ticks?interval=1h", nil, "", sse.WithCommentEvents(), sse.WithRetryEvents())
	beats := 0
	for beats < 3 {
		if ev := s.next(t); ev.Comment == "ping" {
			beats++
		}
	}
	if got := scrape(t, reg)["ssegw_streams_open"+ticks]; got != 1 {
		t.Errorf("open streams %v while one is open, want 1", got)
	}
	s.cancel()
	got = waitMetric(t, reg, `ssegw_streams_ended_total{code="Canceled",method="GET",reason="client_closed",route="/v1/symbols/{symbol}/ticks"}`, 1)
	if hb := got["ssegw_heartbeats_sent_total"+ticks]; hb < 3 {
		t.Errorf("heartbeats %v, want at least the 3 the client read", hb)
	}
	if open := got["ssegw_streams_open"+ticks]; open != 0 {
		t.Errorf("open streams %v after the client left, want 0", open)
	}

	// A request refused before the stream started.
	resp, _ = do(t, "GET", base+"/examples.demo.v1.DemoService/Fail?code=5&message=x", nil, "")
	resp.Body.Close()
	waitMetric(t, reg, `ssegw_streams_ended_total{code="NotFound",method="GET",reason="refused",route="/examples.demo.v1.DemoService/Fail"}`, 1)
}

func TestMetricsNeedDistinctLabelsPerGateway(t *testing.T) {
	conn, _ := startBackend(t)
	reg := prometheus.NewRegistry()
	newGateway(t, conn, gateway.WithMetrics(prometheus.WrapRegistererWith(prometheus.Labels{"backend": "a"}, reg)))
	newGateway(t, conn, gateway.WithMetrics(prometheus.WrapRegistererWith(prometheus.Labels{"backend": "b"}, reg)))
	_, err := gateway.New(t.Context(), conn, gateway.WithMetrics(prometheus.WrapRegistererWith(prometheus.Labels{"backend": "a"}, reg)))
	if err == nil || !strings.Contains(err.Error(), "constant labels") {
		t.Fatalf("New with the same labels again: %v, want an error", err)
	}
}

func TestAccessLogLineWithoutSecrets(t *testing.T) {
	conn, _ := startBackend(t)
	var logs logBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := startGateway(t, conn,
		gateway.WithLogger(logger),
		gateway.WithAccessLog(logger),
		gateway.WithIncomingHeaders("Authorization", "X-Api-Key"),
		gateway.WithForwardedCookies("session"),
		gateway.WithAccessTokenParam("access_token"))

	header := http.Header{
		"Authorization": {"Bearer SECRET-BEARER"},
		"Cookie":        {"session=SECRET-COOKIE"},
		"X-Api-Key":     {"SECRET-KEY"},
	}
	s := open(t, "GET", base+"/v1/streams/log/events?last_seq=3&interval=0.001s&access_token=SECRET-QUERY", header, "")
	s.rest(t)
	line := logs.waitLines(t, "stream", 1)[0]
	for key, want := range map[string]any{
		"route": "/v1/{name=streams/*}/events", "path": "/v1/streams/log/events", "method": "GET",
		"grpc_method": "/examples.demo.v1.DemoService/Sequence", "status": float64(200), "code": "OK",
		"reason": "end", "events": float64(3), "client": "127.0.0.1",
	} {
		if line[key] != want {
			t.Errorf("access log %s = %v, want %v", key, line[key], want)
		}
	}
	for _, key := range []string{"bytes", "duration", "first_event", "heartbeats"} {
		if _, ok := line[key]; !ok {
			t.Errorf("access log lacks %s: %v", key, line)
		}
	}
	if all := logs.String(); strings.Contains(all, "SECRET") {
		t.Errorf("a secret reached the log:\n%s", all)
	}
}

func TestStreamLimitsAnswer429And503WithRetryAfter(t *testing.T) {
	conn, _ := startBackend(t)
	reg := prometheus.NewRegistry()
	base := startGateway(t, conn,
		gateway.WithMetrics(reg),
		gateway.WithStreamLimits(2, 1),
		gateway.WithRetryAfter(1500*time.Millisecond),
		gateway.WithClientAddress(func(r *http.Request) string { return r.Header.Get("X-Client") }))
	path := base + "/v1/symbols/L/ticks?interval=1h"
	as := func(client string) http.Header { return http.Header{"X-Client": {client}} }

	a := open(t, "GET", path, as("a"), "")
	check := func(client string, wantHTTP int, wantCode codes.Code) {
		t.Helper()
		resp, _ := do(t, "GET", path, as(client), "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantHTTP {
			t.Fatalf("client %s: status %d, want %d; body %s", client, resp.StatusCode, wantHTTP, body)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "2" {
			t.Errorf("client %s: Retry-After %q, want 2 (1.5s rounded up)", client, ra)
		}
		if st := decodeStatus(t, body); st.GetCode() != int32(wantCode) {
			t.Errorf("client %s: status %v, want code %v", client, st, wantCode)
		}
	}
	check("a", http.StatusTooManyRequests, codes.ResourceExhausted)
	open(t, "GET", path, as("b"), "")
	check("c", http.StatusServiceUnavailable, codes.Unavailable)

	// A slot freed is a slot to take.
	a.cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, cancel := do(t, "GET", path, as("c"), "")
		if resp.StatusCode == http.StatusOK {
			cancel()
			break
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatal("the slot of the stream that ended was not freed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := scrape(t, reg)
	if n := got[`ssegw_streams_ended_total{code="ResourceExhausted",method="GET",reason="limit",route="/v1/symbols/{symbol}/ticks"}`]; n != 1 {
		t.Errorf("limit ends with ResourceExhausted: %v, want 1", n)
	}
}

func TestForwardedFor(t *testing.T) {
	clientOf := gateway.ForwardedFor(netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"))
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"192.0.2.7:1234", "203.0.113.9", "192.0.2.7"},                          // untrusted peer: its header is ignored
		{"127.0.0.1:1234", "203.0.113.9", "203.0.113.9"},                        // trusted proxy
		{"10.1.2.3:1234", "198.51.100.1, 203.0.113.9, 10.9.9.9", "203.0.113.9"}, // rightmost untrusted
		{"10.1.2.3:1234", "", "10.1.2.3"},                                       // no header
		{"10.1.2.3:1234", "garbage", "10.1.2.3"},                                // unparsable
		{"[::ffff:127.0.0.1]:1", "2001:db8::1", "2001:db8::1"},                  // mapped peer address
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientOf(r); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: client %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestSlowConsumerIsDisconnectedAndBackendCancelled(t *testing.T) {
	conn, rec := startBackend(t)
	reg := prometheus.NewRegistry()
	var logs logBuffer
	const writeTimeout = 300 * time.Millisecond
	base := startGateway(t, conn,
		gateway.WithMetrics(reg),
		gateway.WithAccessLog(slog.New(slog.NewJSONHandler(&logs, nil))),
		gateway.WithWriteTimeout(writeTimeout))

	// A client that asks for a fast stream of large events and never reads.
	addr := strings.TrimPrefix(base, "http://")
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	symbol := strings.Repeat("S", 32<<10)
	fmt.Fprintf(raw, "GET /v1/symbols/%s/ticks?interval=0.001s HTTP/1.1\r\nHost: %s\r\n\r\n", symbol, addr)

	c := rec.next(t)
	select {
	case <-c.ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the backend call was not cancelled")
	}
	line := logs.waitLines(t, "stream", 1)[0]
	if line["reason"] != "slow_consumer" {
		t.Fatalf("access log reason %v, want slow_consumer", line["reason"])
	}
	// Between the last write that got through and the disconnect, the
	// gateway waited for about one write deadline.
	if d, err := time.ParseDuration(fmt.Sprint(line["duration"]) + "ns"); err == nil && d < writeTimeout {
		t.Errorf("stream lasted %v, less than one write deadline", d)
	}
	got := waitMetric(t, reg, `ssegw_slow_consumer_disconnects_total{method="GET",route="/v1/symbols/{symbol}/ticks"}`, 1)
	if n := got[`ssegw_streams_open{method="GET",route="/v1/symbols/{symbol}/ticks"}`]; n != 0 {
		t.Errorf("open streams %v, want 0", n)
	}

	// The gateway closed the connection: reading what is buffered ends.
	_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, bufio.NewReader(raw)); err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Errorf("reading the rest: %v, want the connection closed by the gateway", err)
	}
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "timeout")
}

func TestDrainTellsStreamsToReconnect(t *testing.T) {
	conn, rec := startBackend(t)
	reg := prometheus.NewRegistry()
	const retry = 200 * time.Millisecond
	gw := newGateway(t, conn, gateway.WithMetrics(reg), gateway.WithDrainRetry(retry))
	base := serveHTTP(t, gw)

	const n = 5
	var streams []*stream
	for i := range n {
		s := open(t, "GET", fmt.Sprintf("%s/v1/streams/d%d/events?interval=0.005s", base, i), nil, "", sse.WithRetryEvents())
		s.next(t) // the first retry hint
		rec.next(t)
		streams = append(streams, s)
	}
	if got := gw.OpenStreams(); got != n {
		t.Errorf("OpenStreams %d, want %d", got, n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- gw.Drain(ctx) }()

	for i, s := range streams {
		var last sse.Event
		for _, ev := range s.rest(t) {
			if ev.Event == gateway.EndEvent || ev.Event == gateway.ErrorEvent {
				t.Fatalf("stream %d: %q event, want none so that the client reconnects", i, ev.Event)
			}
			last = ev
		}
		if last.Data != nil || last.Retry < retry/2 || last.Retry >= retry*3/2 {
			t.Errorf("stream %d: last event %+v, want a retry between %v and %v", i, last, retry/2, retry*3/2)
		}
	}
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	resp, _ := do(t, "GET", base+"/v1/streams/late/events", nil, "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("request after Drain: %d, Retry-After %q, body %s; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	got := scrape(t, reg)
	if d := got[`ssegw_streams_ended_total{code="Canceled",method="GET",reason="drain",route="/v1/{name=streams/*}/events"}`]; d != n {
		t.Errorf("drain ends %v, want %d", d, n)
	}
	if rec.count() != n {
		t.Errorf("the backend saw %d calls, want %d (none after the drain)", rec.count(), n)
	}
}

func TestMaxStreamLifetimeRotatesStreams(t *testing.T) {
	conn, rec := startBackend(t)
	const life = 300 * time.Millisecond
	base := startGateway(t, conn, gateway.WithMaxStreamLifetime(life), gateway.WithDrainRetry(50*time.Millisecond))

	start := time.Now()
	s := open(t, "GET", base+"/v1/streams/life/events?interval=0.01s", nil, "", sse.WithRetryEvents())
	c := rec.next(t)
	events := s.rest(t)
	took := time.Since(start)
	if took < life*9/10 || took > life+5*time.Second {
		t.Errorf("stream lasted %v, want about %v", took, life)
	}
	last := events[len(events)-1]
	if last.Data != nil || last.Retry <= 0 {
		t.Errorf("last event %+v, want a retry hint", last)
	}
	if n := len(events); n < 5 {
		t.Errorf("only %d events in the stream's lifetime", n)
	}
	select {
	case <-c.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend call was not cancelled")
	}
}

func TestTraceContextReachesBackend(t *testing.T) {
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	header := http.Header{"Traceparent": {parent}, "Tracestate": {"vendor=opaque"}}

	t.Run("forwarded without a tracer", func(t *testing.T) {
		conn, rec := startBackend(t)
		base := startGateway(t, conn)
		s := open(t, "GET", base+"/v1/streams/tr/events?last_seq=1&interval=0.001s", header, "")
		s.rest(t)
		md := rec.next(t).md
		if got := md.Get("traceparent"); len(got) != 1 || got[0] != parent {
			t.Errorf("traceparent %q, want %q", got, parent)
		}
		if got := md.Get("tracestate"); len(got) != 1 || got[0] != "vendor=opaque" {
			t.Errorf("tracestate %q", got)
		}
	})
	t.Run("a span per stream", func(t *testing.T) {
		conn, rec := startBackend(t)
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		base := startGateway(t, conn, gateway.WithTracerProvider(tp))
		s := open(t, "GET", base+"/v1/streams/tr/events?last_seq=2&interval=0.001s", header, "")
		s.rest(t)
		md := rec.next(t).md

		deadline := time.Now().Add(5 * time.Second)
		for len(spans.Ended()) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		ended := spans.Ended()
		if len(ended) != 1 {
			t.Fatalf("%d spans ended, want 1", len(ended))
		}
		span := ended[0]
		if span.Name() != "GET /v1/{name=streams/*}/events" || span.SpanKind() != trace.SpanKindServer {
			t.Errorf("span %q kind %v", span.Name(), span.SpanKind())
		}
		if got := span.Parent().SpanID().String(); got != "00f067aa0ba902b7" || span.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span is not a child of the request's traceparent: parent %s, trace %s", got, span.SpanContext().TraceID())
		}
		want := fmt.Sprintf("00-%s-%s-01", span.SpanContext().TraceID(), span.SpanContext().SpanID())
		if got := md.Get("traceparent"); len(got) != 1 || got[0] != want {
			t.Errorf("backend traceparent %q, want the span's %q", got, want)
		}
		attrs := map[string]string{}
		for _, kv := range span.Attributes() {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		for k, v := range map[string]string{"ssegw.events": "2", "ssegw.end_reason": "end", "rpc.method": "Sequence", "http.route": "/v1/{name=streams/*}/events"} {
			if attrs[k] != v {
				t.Errorf("span attribute %s = %q, want %q", k, attrs[k], v)
			}
		}
	})
}

func TestMethodHTTPRuleOverridesRoutes(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Ticks",
		&annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/prices/{symbol}"}}))
	s := open(t, "GET", base+"/prices/OVR?count=1&interval=0.001s", nil, "")
	if events := s.rest(t); len(events) != 2 || events[0].Event != "tick" {
		t.Errorf("events %q, want a tick and end", events)
	}
	resp, _ := do(t, "GET", base+"/v1/symbols/OVR/ticks", nil, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the proto's route answered %d, want 404 once overridden", resp.StatusCode)
	}

	_, err := gateway.New(t.Context(), conn, gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Nope",
		&annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/x"}}))
	if err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("New with a rule for an unknown method: %v", err)
	}
}

func TestJoinServesSeveralGateways(t *testing.T) {
	conn, _ := startBackend(t)
	a := newGateway(t, conn)
	b := newGateway(t, conn,
		gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Ticks", &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/b/ticks/{symbol}"}}),
		gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Sequence", &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/b/{name=streams/*}"}}),
		gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Fail", &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/b/fail"}}),
		gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.WatchOrder", &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/b/{name=orders/*}"}}),
		gateway.WithoutUnary())
	h, err := gateway.Join(a, b)
	if err != nil {
		t.Fatal(err)
	}
	base := serveHTTP(t, h)
	for _, path := range []string{"/v1/symbols/J/ticks?count=1&interval=0.001s", "/b/ticks/J?count=1&interval=0.001s"} {
		if events := open(t, "GET", base+path, nil, "").rest(t); len(events) != 2 {
			t.Errorf("%s: events %q", path, events)
		}
	}
	resp, _ := do(t, "GET", base+"/nowhere", nil, "")
	body, _ := io.ReadAll(resp.Body)
	var st struct{ Code int }
	if resp.StatusCode != http.StatusNotFound || json.Unmarshal(body, &st) != nil || st.Code != int(codes.NotFound) {
		t.Errorf("unknown path: %d %s, want 404 with a JSON status", resp.StatusCode, body)
	}
	if _, err := gateway.Join(a, a); err == nil || !strings.Contains(err.Error(), "served for both") {
		t.Errorf("Join of clashing routes: %v", err)
	}
}
