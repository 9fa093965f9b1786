package sseclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sse"
	"github.com/ssegw/ssegw/sseclient"
)

func newClient(t testing.TB, base string, hc *http.Client, opts ...sseclient.Option) *sseclient.Client {
	t.Helper()
	if hc == nil {
		hc = newHTTPClient(t)
	}
	c, err := sseclient.New(base, append([]sseclient.Option{sseclient.WithHTTPClient(hc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// collect gathers the events of an iterator, with its error.
func collect(t testing.TB, seq func(func(sse.Event, error) bool)) ([]sse.Event, error) {
	t.Helper()
	var out []sse.Event
	n := 0
	for ev, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, ev)
		if n++; n > 10_000 {
			t.Fatal("stream did not end")
		}
	}
	return out, nil
}

func describe(events []sse.Event) string {
	var parts []string
	for _, ev := range events {
		s := fmt.Sprintf("[%s|%s|%s", ev.Event, ev.ID, ev.Data)
		if ev.Comment != "" {
			s += "|:" + ev.Comment
		}
		if ev.Retry != 0 {
			s += "|retry=" + ev.Retry.String()
		}
		parts = append(parts, s+"]")
	}
	return strings.Join(parts, " ")
}

func TestEventsFromGateway(t *testing.T) {
	env := startDemo(t)
	c := newClient(t, env.URL, env.HTTP)
	events, err := collect(t, c.Events(testContext(t), "/v1/streams/raw/events?last_seq=3&interval=1ms"))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 {
		t.Fatalf("events: %s", describe(events))
	}
	for i, ev := range events[:3] {
		if ev.ID != strconv.Itoa(i+1) || ev.Event != "" || !strings.Contains(string(ev.Data), `"payload"`) {
			t.Errorf("event %d = %s", i, describe(events[i:i+1]))
		}
	}
	if end := events[3]; end.Event != sseclient.EndEvent || !strings.Contains(string(end.Data), "x-demo-last-seq") {
		t.Errorf("last event = %s, want the end event with trailers", describe(events[3:]))
	}
}

func TestEventsAddressByParts(t *testing.T) {
	env := startDemo(t)
	u, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	c := newClient(t, "", env.HTTP,
		sseclient.WithScheme("http"), sseclient.WithHost("127.0.0.1"), sseclient.WithPort(port),
		sseclient.WithPath("/v1/streams/parts/events"))
	events, err := collect(t, c.Events(testContext(t), "?last_seq=2&interval=1ms"))
	if err != nil || len(events) != 3 {
		t.Fatalf("events %s, error %v", describe(events), err)
	}
	// A full URL replaces the address.
	c = newClient(t, "", env.HTTP)
	events, err = collect(t, c.Events(testContext(t), env.URL+"/v1/streams/full/events?last_seq=1&interval=1ms"))
	if err != nil || len(events) != 2 {
		t.Fatalf("events %s, error %v", describe(events), err)
	}
	// A relative target needs an address.
	if _, err := collect(t, c.Events(testContext(t), "/v1/streams/x/events")); err == nil {
		t.Error("relative target without an address: no error")
	}
}

func TestEventsFilters(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, ": hello\n\nretry: 100\n\nid: 1\ndata: x\n\nevent: end\ndata: {}\n\n")
	})
	for _, tc := range []struct {
		opts []sseclient.Option
		want string
	}{
		{nil, "[|1|x] [end|1|{}]"},
		{[]sseclient.Option{sseclient.WithCommentEvents()}, "[|||:hello] [|1|x] [end|1|{}]"},
		{[]sseclient.Option{sseclient.WithRetryEvents()}, "[|||retry=100ms] [|1|x] [end|1|{}]"},
		{[]sseclient.Option{sseclient.WithCommentEvents(), sseclient.WithRetryEvents()}, "[|||:hello] [|||retry=100ms] [|1|x] [end|1|{}]"},
	} {
		c := newClient(t, srv.URL, nil)
		events, err := collect(t, c.Events(testContext(t), "/", tc.opts...))
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(events); got != tc.want {
			t.Errorf("events = %s, want %s", got, tc.want)
		}
	}
}

func TestEventsMethodHeaderBody(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		body, _ := io.ReadAll(r.Body)
		msg := fmt.Sprintf("%s %s %s %s", r.Method, r.Header.Get("X-Key"), r.Header.Get("Content-Type"), body)
		// The first response drops after one event; the second ends.
		if n == 1 {
			writeSSE(w, "id: 1\ndata: "+msg+"\n\n")
			return
		}
		writeSSE(w, "id: 2\ndata: "+msg+"\n\nevent: end\ndata: {}\n\n")
	})
	c := newClient(t, srv.URL, nil, sseclient.WithHeader("X-Key", "k1"), sseclient.WithReconnectionTime(time.Millisecond), sseclient.WithMaxReconnectionAttempts(1))
	events, err := collect(t, c.Events(testContext(t), "/x", sseclient.WithMethod(http.MethodPut), sseclient.WithBody("text/plain", []byte("hello"))))
	if err != nil {
		t.Fatal(err)
	}
	want := "[|1|PUT k1 text/plain hello] [|2|PUT k1 text/plain hello] [end|2|{}]"
	if got := describe(events); got != want {
		t.Errorf("events = %s\nwant %s", got, want)
	}
	if id := srv.Seen.all()[1].Header.Get("Last-Event-ID"); id != "1" {
		t.Errorf("reconnection sent Last-Event-ID %q, want 1", id)
	}
}

func TestOpen(t *testing.T) {
	env := startDemo(t)
	c := newClient(t, env.URL, env.HTTP)
	s, err := c.Open(testContext(t), "/v1/streams/open/events?last_seq=2&interval=1ms", sseclient.WithLastEventID("5"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ct := s.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	if s.LastEventID() != "5" {
		t.Errorf("LastEventID before reading = %q, want 5", s.LastEventID())
	}
	// last_seq (2) is below the resume point (5): the stream ends at once.
	ev, err := s.Next()
	if err != nil || ev.Event != sseclient.EndEvent {
		t.Fatalf("Next = %s, %v; want the end event", describe([]sse.Event{ev}), err)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("Next after end = %v, want io.EOF", err)
	}
	s.Close()
	if _, err := s.Next(); !errors.Is(err, sseclient.ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}

	// Open reports a failed response.
	_, err = c.Open(testContext(t), "/v1/nowhere")
	if re, ok := errors.AsType[*sseclient.ResponseError](err); !ok || re.StatusCode != http.StatusNotFound || status.Code(err) != codes.NotFound {
		t.Errorf("Open of an unknown path = %v, want a 404 ResponseError", err)
	}
}

func TestMaxEventSize(t *testing.T) {
	big := strings.Repeat("x", 2048)
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "id: 1\ndata: {\"name\":\"streams/a\"}\n\nid: 2\ndata: {\"name\":\""+big+"\"}\n\nevent: end\ndata: {}\n\n")
	})
	opts := []sseclient.Option{sseclient.WithMaxEventSize(1024), sseclient.WithMaxReconnectionAttempts(3), sseclient.WithReconnectionTime(time.Millisecond)}
	c := newClient(t, srv.URL, nil, opts...)

	events, err := collect(t, c.Events(testContext(t), "/"))
	if !errors.Is(err, sse.ErrEventTooLarge) || len(events) != 1 {
		t.Fatalf("raw: %d events, error %v; want 1 and ErrEventTooLarge", len(events), err)
	}
	if !strings.Contains(err.Error(), "1024") {
		t.Errorf("error %q does not state the limit", err)
	}

	s, err := sseclient.Subscribe[*demov1.SequenceEvent](testContext(t), c, "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv()
	if status.Code(err) != codes.ResourceExhausted || !errors.Is(err, sse.ErrEventTooLarge) {
		t.Errorf("typed: %v, want ResourceExhausted wrapping ErrEventTooLarge", err)
	}
	if n := len(srv.Seen.all()); n != 2 {
		t.Errorf("%d requests, want 2 (no reconnection after an oversize event)", n)
	}
}

// TestCancelClosesServerRequest checks that cancelling the context ends
// the request on the server at once, for the gRPC and the raw level.
func TestCancelClosesServerRequest(t *testing.T) {
	env := startDemo(t)
	conn := newConn(t, env)

	ctx, cancel := context.WithCancel(testContext(t))
	stream, err := demov1.NewDemoServiceClient(conn).Ticks(ctx, &demov1.TicksRequest{Symbol: "ACME", Interval: nil})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	seen := env.Seen.next(t)
	cancel()
	select {
	case <-seen.Done:
	case <-time.After(waitTimeout):
		t.Fatal("the server's request context did not end after cancel")
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled || !errors.Is(err, context.Canceled) {
		t.Errorf("Recv after cancel = %v, want Canceled", err)
	}

	// The raw level, cancelled while it waits in Next.
	ctx, cancel = context.WithCancel(testContext(t))
	defer cancel()
	c := newClient(t, env.URL, env.HTTP)
	done := make(chan error, 1)
	go func() {
		for _, err := range c.Events(ctx, "/v1/symbols/ACME/ticks?interval=1h") {
			done <- err
			return
		}
		done <- nil
	}()
	seen = env.Seen.next(t)
	cancel()
	select {
	case <-seen.Done:
	case <-time.After(waitTimeout):
		t.Fatal("the server's request context did not end after cancel")
	}
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("iterator error = %v, want context.Canceled", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the iterator did not return after cancel")
	}
}

func TestCloseInterruptsNext(t *testing.T) {
	env := startDemo(t)
	c := newClient(t, env.URL, env.HTTP)
	s, err := c.Open(testContext(t), "/v1/symbols/ACME/ticks?interval=1h")
	if err != nil {
		t.Fatal(err)
	}
	seen := env.Seen.next(t)
	done := make(chan error, 1)
	go func() {
		_, err := s.Next()
		done <- err
	}()
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, sseclient.ErrClosed) {
			t.Errorf("Next = %v, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Close did not interrupt Next")
	}
	select {
	case <-seen.Done:
	case <-time.After(waitTimeout):
		t.Fatal("the server's request did not end after Close")
	}
}

// TestCompressedStream reads a gzipped stream: events arrive one by one,
// not when the stream ends.
func TestCompressedStream(t *testing.T) {
	env := startDemo(t, gateway.WithCompression())
	s, err := sseclient.Subscribe[*demov1.Tick](testContext(t), newClient(t, env.URL, env.HTTP), "/v1/symbols/ACME/ticks?interval=5ms")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		tick, err := s.Recv()
		if err != nil || tick.GetNumber() != int64(i+1) {
			t.Fatalf("tick %d: %v, %v", i, tick, err)
		}
	}
	if ae := env.Seen.all()[0].Header.Get("Accept-Encoding"); !strings.Contains(ae, "gzip") {
		t.Errorf("Accept-Encoding = %q, want gzip", ae)
	}
}
