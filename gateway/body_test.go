package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/sse"
)

// Metric samples of the tests of request bodies.
const (
	bodiesReading    = `ssegw_request_bodies_reading{}`
	bodyBufferBytes  = `ssegw_request_body_buffer_bytes{}`
	watchRoute       = `method="POST",route="/v1/{name=streams/*}/events:watch"`
	sequenceGETRoute = `method="GET",route="/v1/{name=streams/*}/events"`
)

// watchEnds is the sample of ssegw_streams_ended_total for the POST route
// of the demo's Sequence, with this code and reason.
func watchEnds(code, reason string) string {
	return fmt.Sprintf(`ssegw_streams_ended_total{code=%q,method="POST",reason=%q,route="/v1/{name=streams/*}/events:watch"}`, code, reason)
}

// TestStalledBodiesHoldNoStreamSlot: clients that send the headers of a
// POST and one byte of its body, and then nothing, must not take the
// stream slots of a gateway limited to as many streams: other clients get
// every slot, the stalled requests show as bodies being read and not as
// open streams, and a drain ends them at once (503 with Retry-After)
// instead of waiting for them.
func TestStalledBodiesHoldNoStreamSlot(t *testing.T) {
	const slots = 5
	conn, rec := startBackend(t)
	reg := prometheus.NewRegistry()
	var logs logBuffer
	gw := newGateway(t, conn,
		gateway.WithMetrics(reg),
		gateway.WithAccessLog(slog.New(slog.NewJSONHandler(&logs, nil))),
		gateway.WithStreamLimits(slots, 0),
		gateway.WithDrainRetry(200*time.Millisecond),
		// Longer than the test: the drain, not the timeout, ends them.
		gateway.WithBodyReadTimeout(time.Minute))
	base := serveHTTP(t, gw)
	addr := strings.TrimPrefix(base, "http://")

	var stalled []net.Conn
	for i := range slots {
		stalled = append(stalled, stallBody(t, addr, fmt.Sprintf("/v1/streams/p%d/events:watch", i), "Content-Length: 10", "{"))
	}
	// The gateway has the five requests in hand, as bodies being read or
	// as streams.
	deadline := time.Now().Add(5 * time.Second)
	for scrape(t, reg)[bodiesReading] != slots && gw.OpenStreams() != slots {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled requests did not reach the gateway: %v", scrape(t, reg))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := gw.OpenStreams(); n != 0 {
		t.Fatalf("the stalled bodies hold %d of the %d stream slots", n, slots)
	}
	got := scrape(t, reg)
	if got[bodiesReading] != slots || got[`ssegw_streams_open{`+watchRoute+`}`] != 0 {
		t.Errorf("bodies being read %v, open POST streams %v; want %d and 0", got[bodiesReading], got[`ssegw_streams_open{`+watchRoute+`}`], slots)
	}

	// Every slot is free for other clients.
	var streams []*stream
	for i := range slots {
		s := open(t, "GET", fmt.Sprintf("%s/v1/streams/g%d/events?interval=0.01s", base, i), nil, "", sse.WithRetryEvents())
		s.next(t) // the retry hint
		streams = append(streams, s)
	}
	waitMetric(t, reg, `ssegw_streams_open{`+sequenceGETRoute+`}`, slots)

	// The drain ends the streams, and does not wait for the bodies: it
	// answers them.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := gw.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	for i, c := range stalled {
		resp, body := readAnswer(t, c)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("stalled body %d: %s, Retry-After %q, want 503 with Retry-After", i, resp.Status, resp.Header.Get("Retry-After"))
		}
		if st := decodeStatus(t, body); st.GetCode() != int32(codes.Unavailable) {
			t.Errorf("stalled body %d: status %v, want UNAVAILABLE", i, st)
		}
	}
	for i, s := range streams {
		events := s.rest(t)
		if last := events[len(events)-1]; last.Retry == 0 {
			t.Errorf("stream %d: last event %+v, want a retry hint", i, last)
		}
	}
	got = waitMetric(t, reg, watchEnds("Unavailable", "drain"), slots)
	if got[bodiesReading] != 0 || got[bodyBufferBytes] != 0 {
		t.Errorf("after the drain: bodies being read %v, holding %v bytes; want 0 and 0", got[bodiesReading], got[bodyBufferBytes])
	}
	drained := 0
	for _, line := range logs.waitLines(t, "stream", 2*slots) {
		if line["method"] == "POST" && line["reason"] == "drain" && line["status"] == float64(http.StatusServiceUnavailable) {
			drained++
		}
	}
	if drained != slots {
		t.Errorf("%d access log lines of POSTs refused by the drain, want %d:\n%s", drained, slots, logs.String())
	}
	if n := rec.count(); n != slots {
		t.Errorf("the backend saw %d calls, want %d (the GET streams)", n, slots)
	}
}

// TestStalledBodyIsAnswered408: a body that does not arrive within the
// body read timeout is answered 408 with a DEADLINE_EXCEEDED status, no
// sooner and not much later, over HTTP/1.1 (with a Content-Length or
// chunked, and then the connection is closed) and over HTTP/2; the access
// log and the metrics say so, and the backend sees no call.
func TestStalledBodyIsAnswered408(t *testing.T) {
	const timeout = 500 * time.Millisecond
	// Generous, for a loaded machine under the race detector.
	const slack = 5 * time.Second
	conn, rec := startBackend(t)
	reg := prometheus.NewRegistry()
	var logs logBuffer
	gw := newGateway(t, conn,
		gateway.WithMetrics(reg),
		gateway.WithAccessLog(slog.New(slog.NewJSONHandler(&logs, nil))),
		gateway.WithBodyReadTimeout(timeout))
	addr := serveH2C(t, gw)

	check := func(t *testing.T, status int, body []byte, took time.Duration) {
		t.Helper()
		if status != http.StatusRequestTimeout {
			t.Errorf("status %d, want 408; body %s", status, body)
		}
		if st := decodeStatus(t, body); st.GetCode() != int32(codes.DeadlineExceeded) || !strings.Contains(st.GetMessage(), "500ms") {
			t.Errorf("status %v, want DEADLINE_EXCEEDED naming the timeout", st)
		}
		if took < timeout || took > timeout+slack {
			t.Errorf("answered after %v, want between %v and %v", took, timeout, timeout+slack)
		}
	}
	for _, tc := range []struct{ name, framing, first string }{
		{"HTTP/1.1 with Content-Length", "Content-Length: 100", `{"lastSeq":`},
		{"HTTP/1.1 chunked", "Transfer-Encoding: chunked", "b\r\n{\"lastSeq\":\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c := stallBody(t, addr, "/v1/streams/slow/events:watch", tc.framing, tc.first)
			resp, body := readAnswer(t, c)
			check(t, resp.StatusCode, body, time.Since(start))
		})
	}
	t.Run("HTTP/2", func(t *testing.T) {
		var h2c http.Protocols
		h2c.SetUnencryptedHTTP2(true)
		transport := &http.Transport{Protocols: &h2c}
		defer transport.CloseIdleConnections()
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() { _, _ = pw.Write([]byte(`{"lastSeq":`)) }()
		ctx, cancel := context.WithTimeout(t.Context(), timeout+slack)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/v1/streams/slow/events:watch", pr)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		took := time.Since(start)
		body, _ := io.ReadAll(resp.Body)
		if resp.ProtoMajor != 2 {
			t.Errorf("protocol %s, want HTTP/2", resp.Proto)
		}
		check(t, resp.StatusCode, body, took)
	})

	got := waitMetric(t, reg, watchEnds("DeadlineExceeded", "body_timeout"), 3)
	if got[bodiesReading] != 0 || got[bodyBufferBytes] != 0 {
		t.Errorf("bodies being read %v, holding %v bytes; want 0 and 0", got[bodiesReading], got[bodyBufferBytes])
	}
	for _, line := range logs.waitLines(t, "stream", 3) {
		if line["reason"] != "body_timeout" || line["status"] != float64(http.StatusRequestTimeout) || line["code"] != "DeadlineExceeded" {
			t.Errorf("access log line %v, want reason body_timeout, status 408, code DeadlineExceeded", line)
		}
	}
	if n := rec.count(); n != 0 {
		t.Errorf("the backend saw %d calls, want none", n)
	}
}

// TestStreamOutlivesTheBodyReadTimeout: the body read timeout bounds the
// body alone. A stream whose body came at once goes on well past it, to
// its end event, over HTTP/1.1 (where the server keeps reading the
// connection, and a read deadline left behind would end the stream) and
// over HTTP/2.
func TestStreamOutlivesTheBodyReadTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	conn, _ := startBackend(t)
	addr := serveH2C(t, newGateway(t, conn, gateway.WithBodyReadTimeout(timeout)))
	// 30 events 20ms apart: the stream lasts more than five times the
	// timeout.
	const body = `{"lastSeq":"30","interval":"0.02s"}`
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	h2 := &http.Transport{Protocols: &h2c}
	t.Cleanup(h2.CloseIdleConnections)
	for _, tc := range []struct {
		name      string
		transport http.RoundTripper
		major     int
	}{
		{"HTTP/1.1", http.DefaultTransport, 1},
		{"HTTP/2", h2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/v1/streams/long/events:watch", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			start := time.Now()
			resp, err := tc.transport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.ProtoMajor != tc.major {
				t.Fatalf("%s %s, want HTTP/%d 200", resp.Proto, resp.Status, tc.major)
			}
			s := &stream{resp: resp, events: sse.NewReader(resp.Body), cancel: cancel}
			events := s.rest(t)
			if n := len(events); n != 31 || events[n-1].Event != gateway.EndEvent {
				t.Fatalf("%d events, the last %+v; want 30 and an end event", n, events[n-1])
			}
			if took := time.Since(start); took < 3*timeout {
				t.Errorf("the stream took %v, want it to outlast the body read timeout", took)
			}
		})
	}
}

// TestManyStalledBodiesStayWithinTheBodyBuffers: 200 clients each declare
// a body of 1 MiB, send about 1 MB of it and stall. The buffers of the
// bodies being read stay within the body buffer limit (32 MiB by default),
// the others are answered 503 with Retry-After, the heap grows by about
// that much and not by 200 MB, and meanwhile a small POST body and a GET
// stream are still served.
func TestManyStalledBodiesStayWithinTheBodyBuffers(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 200 MB over loopback")
	}
	const clients, declared, sent = 200, 1 << 20, 1_000_000
	conn, _ := startBackend(t)
	reg := prometheus.NewRegistry()
	gw := newGateway(t, conn, gateway.WithMetrics(reg), gateway.WithBodyReadTimeout(time.Minute))
	base := serveHTTP(t, gw)
	addr := strings.TrimPrefix(base, "http://")
	heapBefore := liveHeap()

	payload := bytes.Repeat([]byte(" "), sent)
	var clientsDone sync.WaitGroup
	answers := make(chan *http.Response, clients) // nil: none before the connection ended
	conns := make([]net.Conn, clients)
	for i := range conns {
		c := stallBody(t, addr, fmt.Sprintf("/v1/streams/m%d/events:watch", i), fmt.Sprintf("Content-Length: %d", declared), "")
		conns[i] = c
		clientsDone.Go(func() { _, _ = c.Write(payload) })
		clientsDone.Go(func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				resp = nil
			} else {
				resp.Body.Close()
			}
			answers <- resp
		})
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		clientsDone.Wait()
	}()

	// Every body is either being read, its buffer full, or refused.
	limited := watchEnds("Unavailable", "limit")
	deadline := time.Now().Add(20 * time.Second)
	var got map[string]float64
	for {
		got = scrape(t, reg)
		reading := got[bodiesReading]
		if reading+got[limited] == clients && got[bodyBufferBytes] == reading*declared {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bodies being read %v, refused %v, holding %v bytes: not settled", reading, got[limited], got[bodyBufferBytes])
		}
		time.Sleep(20 * time.Millisecond)
	}
	heapDuring := liveHeap()
	reading := got[bodiesReading]
	grew := float64(int64(heapDuring)-int64(heapBefore)) / (1 << 20)
	t.Logf("%d stalled bodies of ~1 MB: %v being read, %v refused; body buffers %.1f MiB; live heap grew by %.1f MiB",
		clients, reading, got[limited], got[bodyBufferBytes]/(1<<20), grew)
	if got[bodyBufferBytes]-reading*4096 > gateway.DefaultMaxBodyBufferBytes {
		t.Errorf("body buffers hold %v bytes, more than the limit of %d and 4 KiB each", got[bodyBufferBytes], gateway.DefaultMaxBodyBufferBytes)
	}
	if reading == 0 {
		t.Errorf("no body is being read: the buffers should take some")
	}
	if limit := float64(gateway.DefaultMaxBodyBufferBytes)/(1<<20) + 8; grew > limit {
		t.Errorf("the live heap grew by %.1f MiB, want at most %.0f MiB", grew, limit)
	}

	// The refused were answered, and told when to come back.
	for range int(got[limited]) {
		select {
		case resp := <-answers:
			if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("answer %+v, want 503 with Retry-After", resp)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a refused client got no answer")
		}
	}

	// Small bodies are still read, and streams served.
	s := open(t, "POST", base+"/v1/streams/small/events:watch", http.Header{"Content-Type": {"application/json"}}, `{"lastSeq":"2","interval":"0.001s"}`)
	if events := s.rest(t); len(events) != 3 {
		t.Errorf("small POST body: events %+v, want 2 and an end event", events)
	}
	open(t, "GET", base+"/v1/streams/get/events?lastSeq=1&interval=0.001s", nil, "").rest(t)

	for _, c := range conns {
		c.Close()
	}
	got = waitMetric(t, reg, bodiesReading, 0)
	if got[bodyBufferBytes] != 0 {
		t.Errorf("body buffers hold %v bytes after the clients left, want 0", got[bodyBufferBytes])
	}
}

// stallBody opens a connection to addr and sends the headers of a POST of
// a JSON body to path, framed as framing says (a Content-Length or
// Transfer-Encoding header), then first, and then nothing.
func stallBody(t *testing.T, addr, path, framing, first string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n\r\n%s", path, addr, framing, first); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAnswer reads the response on c and its body, and then checks that
// the gateway closes the connection.
func readAnswer(t *testing.T, c net.Conn) (*http.Response, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Errorf("after the answer: %v, want the connection closed", err)
	}
	return resp, body
}

// serveH2C serves h on loopback over HTTP/1.1 and cleartext HTTP/2 with
// prior knowledge, and returns its address.
func serveH2C(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewUnstartedServer(h)
	hs.Config.Protocols = new(http.Protocols)
	hs.Config.Protocols.SetHTTP1(true)
	hs.Config.Protocols.SetUnencryptedHTTP2(true)
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.Listener.Addr().String()
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
