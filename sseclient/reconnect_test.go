package sseclient_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sse"
	"github.com/ssegw/ssegw/sseclient"
)

// fastReconnect makes reconnections quick and allows n of them.
func fastReconnect(n int) []sseclient.Option {
	return []sseclient.Option{
		sseclient.WithMaxReconnectionAttempts(n),
		sseclient.WithReconnectionTime(time.Millisecond),
		sseclient.WithMaxReconnectionDelay(5 * time.Millisecond),
	}
}

// TestReconnectAcrossGatewayRestart stops the HTTP server in the middle of
// a resumable stream and starts a new one on the same address: the client
// reconnects with Last-Event-ID and receives every event exactly once.
func TestReconnectAcrossGatewayRestart(t *testing.T) {
	backend := startBackend(t)
	gw, err := gateway.New(t.Context(), backend,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto), gateway.WithRetry(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	handler := rec.wrap(gw)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	first := &http.Server{Handler: handler}
	go first.Serve(lis)
	t.Cleanup(func() { first.Close() })

	var second *http.Server
	var reconnectErrs []error
	var connects []string
	hooks := sseclient.Hooks{
		OnConnect: func(_, lastEventID string, _ int) { connects = append(connects, lastEventID) },
		OnReconnect: func(_ string, attempt int, _ time.Duration, err error) {
			reconnectErrs = append(reconnectErrs, err)
			// The first attempt found no server; start the new one now.
			if attempt == 2 && second == nil {
				lis, err := net.Listen("tcp", addr)
				if err != nil {
					t.Errorf("listening again on %s: %v", addr, err)
					return
				}
				second = &http.Server{Handler: handler}
				go second.Serve(lis)
				t.Cleanup(func() { second.Close() })
			}
		},
	}
	conn, err := sseclient.NewConn("http://"+addr,
		append(fastReconnect(50), sseclient.WithHTTPClient(newHTTPClient(t)), sseclient.WithHooks(hooks))...)
	if err != nil {
		t.Fatal(err)
	}

	const total = 60
	name := "streams/restart"
	stream, err := demov1.NewDemoServiceClient(conn).Sequence(testContext(t),
		&demov1.SequenceRequest{Name: name, LastSeq: total, Interval: durationpb.New(2 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	var got []*demov1.SequenceEvent
	for range 2 * total {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Recv after %d messages: %v", len(got), err)
		}
		got = append(got, msg)
		if len(got) == 20 {
			first.Close()
		}
	}
	if len(got) != total {
		t.Fatalf("received %d messages, want %d", len(got), total)
	}
	for i, msg := range got {
		if want := demo.SequenceEventAt(name, int64(i+1)); !proto.Equal(msg, want) {
			t.Fatalf("message %d = %v, want %v", i, msg, want)
		}
	}
	if second == nil {
		t.Fatal("the client never reconnected")
	}
	if len(reconnectErrs) < 2 || !errors.Is(reconnectErrs[0], sseclient.ErrConnectionLost) {
		t.Errorf("reconnection causes = %v, want the lost connection first", reconnectErrs)
	}
	reqs := rec.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests reached the gateway, want 2", len(reqs))
	}
	id := reqs[1].Header.Get("Last-Event-ID")
	if n, err := strconv.Atoi(id); err != nil || n < 20 || n >= total {
		t.Errorf("the reconnection sent Last-Event-ID %q, want the last id received (20 or later)", id)
	}
	if len(connects) != 2 || connects[0] != "" || connects[1] != id {
		t.Errorf("OnConnect saw last event ids %q", connects)
	}
}

func TestNoContentStopsReconnection(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Last-Event-ID") == "1" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeSSE(w, "id: 1\ndata: {\"symbol\":\"A\"}\n\n")
	})
	c := newClient(t, srv.URL, nil, fastReconnect(5)...)
	events, err := collect(t, c.Events(testContext(t), "/"))
	if err != nil || describe(events) != `[|1|{"symbol":"A"}]` {
		t.Errorf("events %s, error %v", describe(events), err)
	}
	if n := len(srv.Seen.all()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	s, err := sseclient.Subscribe[*demov1.Tick](testContext(t), c, "/")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := recvAll(t, s.Recv)
	if err != io.EOF || len(msgs) != 1 {
		t.Errorf("typed: %v and %v, want one message and io.EOF", msgs, err)
	}
	if n := len(srv.Seen.all()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestFinalResponsesAreNotRetried(t *testing.T) {
	long := strings.Repeat("<p>not an event stream</p>", 100)
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		code        codes.Code
	}{
		{"wrong content type", http.StatusOK, "text/html; charset=utf-8", codes.Unknown},
		{"no content type", http.StatusOK, "", codes.Unknown},
		{"forbidden", http.StatusForbidden, "text/html", codes.PermissionDenied},
		{"not found", http.StatusNotFound, "text/plain", codes.NotFound},
		{"accepted", http.StatusAccepted, "text/event-stream", codes.Unknown},
		{"not implemented", http.StatusNotImplemented, "text/plain", codes.Unimplemented},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", tc.contentType)
				if tc.contentType == "" {
					w.Header()["Content-Type"] = nil
				}
				w.Header().Set("X-Served-By", "test")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, long)
			})
			c := newClient(t, srv.URL, nil, fastReconnect(5)...)
			_, err := collect(t, c.Events(testContext(t), "/stream"))
			re, ok := errors.AsType[*sseclient.ResponseError](err)
			if !ok {
				t.Fatalf("error %v is not a *ResponseError", err)
			}
			if re.StatusCode != tc.status || re.Header.Get("X-Served-By") != "test" || re.Method != http.MethodGet || !strings.HasSuffix(re.URL, "/stream") {
				t.Errorf("ResponseError = %+v", re)
			}
			if len(re.Body) != sseclient.MaxErrorBodyBytes || !strings.HasPrefix(string(re.Body), "<p>not an event stream</p>") {
				t.Errorf("Body = %q (%d bytes), want the first %d bytes", re.Body, len(re.Body), sseclient.MaxErrorBodyBytes)
			}
			if status.Code(err) != tc.code {
				t.Errorf("status.Code = %v, want %v", status.Code(err), tc.code)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tc.status)) {
				t.Errorf("error %q does not give the HTTP status", err)
			}
			if n := len(srv.Seen.all()); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
		})
	}
}

func TestTransientResponsesAreRetried(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"code":14,"message":"warming up"}`)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			writeSSE(w, "id: 1\ndata: x\n\nevent: end\ndata: {}\n\n")
		}
	})
	var causes []error
	hooks := sseclient.Hooks{OnReconnect: func(_ string, _ int, _ time.Duration, err error) { causes = append(causes, err) }}
	c := newClient(t, srv.URL, nil, append(fastReconnect(5), sseclient.WithHooks(hooks))...)
	events, err := collect(t, c.Events(testContext(t), "/"))
	if err != nil || len(events) != 2 {
		t.Fatalf("events %s, error %v", describe(events), err)
	}
	if len(causes) != 2 || status.Code(causes[0]) != codes.Unavailable || status.Convert(causes[0]).Message() != "warming up" ||
		status.Code(causes[1]) != codes.ResourceExhausted {
		t.Errorf("reconnection causes = %v", causes)
	}
}

func TestServerRetryIsHonoured(t *testing.T) {
	const retry = 50 * time.Millisecond
	const reconnectionTime = 20 * time.Second
	var mu sync.Mutex
	var firstEnded time.Time
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			writeSSE(w, "retry: 50\n\nid: 1\ndata: a\n\n")
			mu.Lock()
			firstEnded = time.Now()
			mu.Unlock()
			return
		}
		writeSSE(w, "id: 2\ndata: b\n\nevent: end\ndata: {}\n\n")
	})
	var delays []time.Duration
	hooks := sseclient.Hooks{OnReconnect: func(_ string, _ int, d time.Duration, _ error) { delays = append(delays, d) }}
	c := newClient(t, srv.URL, nil, sseclient.WithMaxReconnectionAttempts(3),
		sseclient.WithReconnectionTime(reconnectionTime), sseclient.WithHooks(hooks))
	events, err := collect(t, c.Events(testContext(t), "/"))
	if err != nil || describe(events) != "[|1|a] [|2|b] [end|2|{}]" {
		t.Fatalf("events %s, error %v", describe(events), err)
	}
	reqs := srv.Seen.all()
	mu.Lock()
	gap := reqs[1].At.Sub(firstEnded)
	mu.Unlock()
	if gap < retry || gap > reconnectionTime/4 {
		t.Errorf("reconnected %v after the drop; want the server's retry (%v), not the reconnection time (%v)", gap, retry, reconnectionTime)
	}
	if len(delays) != 1 || delays[0] < retry || delays[0] > retry+retry/5 {
		t.Errorf("reconnection delays %v, want one of %v plus at most a fifth", delays, retry)
	}
}

func TestReadTimeoutReconnects(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			writeSSE(w, "id: 1\ndata: a\n\n")
			// Go silent, no events and no heartbeats, until the client
			// goes away.
			<-r.Context().Done()
			return
		}
		writeSSE(w, "id: 2\ndata: b\n\nevent: end\ndata: {}\n\n")
	})
	var causes []error
	hooks := sseclient.Hooks{OnReconnect: func(_ string, _ int, _ time.Duration, err error) { causes = append(causes, err) }}
	c := newClient(t, srv.URL, nil, append(fastReconnect(2), sseclient.WithReadTimeout(readTimeout), sseclient.WithHooks(hooks))...)
	start := time.Now()
	events, err := collect(t, c.Events(testContext(t), "/"))
	if err != nil || describe(events) != "[|1|a] [|2|b] [end|2|{}]" {
		t.Fatalf("events %s, error %v", describe(events), err)
	}
	if elapsed := time.Since(start); elapsed < readTimeout {
		t.Errorf("reconnected after %v, before the read timeout", elapsed)
	}
	if len(causes) != 1 || !errors.Is(causes[0], sseclient.ErrReadTimeout) {
		t.Errorf("reconnection causes = %v, want one read timeout", causes)
	}
	reqs := srv.Seen.all()
	if len(reqs) != 2 || reqs[1].Header.Get("Last-Event-ID") != "1" {
		t.Fatalf("requests %+v", reqs)
	}
	select {
	case <-reqs[0].Done:
	case <-time.After(waitTimeout):
		t.Error("the silent request was not closed")
	}
}

// TestHeartbeatsKeepTheConnection checks that the gateway's heartbeat
// comments count as data for the read timeout: a stream that carries
// nothing else stays on its first connection for twice the read timeout.
func TestHeartbeatsKeepTheConnection(t *testing.T) {
	const heartbeat, readTimeout = 20 * time.Millisecond, 250 * time.Millisecond
	env := startDemo(t, gateway.WithHeartbeat(heartbeat))
	// The read timeout also bounds the wait for the response. Let the
	// gateway connect to its backend first, and the HTTP client to the
	// gateway, so that the stream below measures heartbeats, not setup.
	warm := newClient(t, env.URL, env.HTTP)
	if _, err := collect(t, warm.Events(testContext(t), "/v1/symbols/ACME/ticks?interval=1ms&count=1")); err != nil {
		t.Fatal(err)
	}
	// The hooks run in this goroutine, which reads the stream.
	var connectedAt time.Time
	connects := 0
	var causes []error
	hooks := sseclient.Hooks{
		OnConnect:   func(string, string, int) { connects, connectedAt = connects+1, time.Now() },
		OnReconnect: func(_ string, _ int, _ time.Duration, err error) { causes = append(causes, err) },
	}
	c := newClient(t, env.URL, env.HTTP, append(fastReconnect(3), sseclient.WithReadTimeout(readTimeout), sseclient.WithHooks(hooks))...)
	pings := 0
	for ev, err := range c.Events(testContext(t), "/v1/symbols/ACME/ticks?interval=1h", sseclient.WithCommentEvents()) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Comment == "ping" {
			pings++
		}
		if time.Since(connectedAt) > 2*readTimeout {
			break
		}
	}
	if connects != 1 || len(causes) != 0 {
		t.Errorf("%d connections, reconnection causes %v; want one connection: heartbeats should keep it", connects, causes)
	}
	if pings < 2 {
		t.Errorf("%d heartbeats over twice the read timeout", pings)
	}
}

func TestMaxReconnectionAttempts(t *testing.T) {
	// Nothing listens on a port that was just closed.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()

	var attempts []int
	var gaveUp []string
	hooks := sseclient.Hooks{
		OnReconnect: func(_ string, attempt int, _ time.Duration, _ error) { attempts = append(attempts, attempt) },
		OnGiveUp:    func(_ string, n int, err error) { gaveUp = append(gaveUp, fmt.Sprint(n, ": ", err)) },
	}
	c := newClient(t, "http://"+addr, nil, append(fastReconnect(3), sseclient.WithHooks(hooks))...)
	_, err = collect(t, c.Events(testContext(t), "/events"))
	if !errors.Is(err, sseclient.ErrMaxReconnectionAttempts) || !strings.Contains(err.Error(), "(3)") {
		t.Errorf("error = %v, want ErrMaxReconnectionAttempts after 3 attempts", err)
	}
	if fmt.Sprint(attempts) != "[1 2 3]" || len(gaveUp) != 1 || !strings.HasPrefix(gaveUp[0], "3: ") {
		t.Errorf("reconnect hooks %v, give-up hooks %v", attempts, gaveUp)
	}

	// Without reconnection, the first failure is returned as it is.
	c = newClient(t, "http://"+addr, nil)
	if _, err := collect(t, c.Events(testContext(t), "/events")); err == nil || errors.Is(err, sseclient.ErrMaxReconnectionAttempts) {
		t.Errorf("error without reconnection = %v", err)
	}

	// Through a typed stream, the give-up keeps the server's status.
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"code":14,"message":"backend down","details":[]}`)
	})
	_, err = sseclient.Subscribe[*demov1.Tick](testContext(t), newClient(t, srv.URL, nil, fastReconnect(2)...), "/")
	if st := status.Convert(err); st.Code() != codes.Unavailable || st.Message() != "backend down" {
		t.Errorf("typed give-up = %v, want Unavailable: backend down", err)
	}
	if _, ok := errors.AsType[*sseclient.ResponseError](err); !ok || !errors.Is(err, sseclient.ErrMaxReconnectionAttempts) {
		t.Errorf("typed give-up %v does not wrap the ResponseError and ErrMaxReconnectionAttempts", err)
	}
	if n := len(srv.Seen.all()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestAttemptsCountPerOutage(t *testing.T) {
	// Every connection delivers one event and drops: with one attempt
	// allowed per outage, the stream still gets through six drops.
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n > 6 {
			writeSSE(w, "event: end\ndata: {}\n\n")
			return
		}
		writeSSE(w, fmt.Sprintf("id: %d\ndata: %d\n\n", n, n))
	})
	c := newClient(t, srv.URL, nil, fastReconnect(1)...)
	events, err := collect(t, c.Events(testContext(t), "/"))
	if err != nil || len(events) != 7 {
		t.Fatalf("events %s, error %v", describe(events), err)
	}
}

func TestStreamsWithoutIDs(t *testing.T) {
	handler := func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			// Drops before delivering anything: safe to retry.
			writeSSE(w, ": hello\n\n")
		case 2:
			writeSSE(w, "data: {\"symbol\":\"a\"}\n\n")
		default:
			writeSSE(w, "data: {\"symbol\":\"b\"}\n\nevent: end\ndata: {}\n\n")
		}
	}

	srv := startSSEServer(t, handler)
	c := newClient(t, srv.URL, nil, fastReconnect(3)...)
	events, err := collect(t, c.Events(testContext(t), "/"))
	if err != nil || describe(events) != `[||{"symbol":"a"}]` {
		t.Errorf("events %s, error %v; want a, then the end without reconnection", describe(events), err)
	}
	if n := len(srv.Seen.all()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	srv = startSSEServer(t, handler)
	s, err := sseclient.Subscribe[*demov1.Tick](testContext(t), newClient(t, srv.URL, nil, fastReconnect(3)...), "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvAll(t, s.Recv); status.Code(err) != codes.Unavailable || !errors.Is(err, sseclient.ErrConnectionLost) {
		t.Errorf("typed stream without ids = %v, want Unavailable wrapping ErrConnectionLost", err)
	}

	srv = startSSEServer(t, handler)
	c = newClient(t, srv.URL, nil, append(fastReconnect(3), sseclient.WithReconnectWithoutID())...)
	events, err = collect(t, c.Events(testContext(t), "/"))
	if err != nil || describe(events) != `[||{"symbol":"a"}] [||{"symbol":"b"}] [end||{}]` {
		t.Errorf("with WithReconnectWithoutID: events %s, error %v", describe(events), err)
	}
	for _, r := range srv.Seen.all() {
		if _, ok := r.Header["Last-Event-Id"]; ok {
			t.Errorf("a request sent Last-Event-ID %q without an id", r.Header.Get("Last-Event-ID"))
		}
	}
}

// TestEventTooLargeWrapped checks that the reader's limit error reaches
// the caller wrapped, with the stream's URL; TestMaxEventSize checks that
// it is not retried.
func TestEventTooLargeWrapped(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "data: "+strings.Repeat("y", 300)+"\n\n")
	})
	_, err := collect(t, newClient(t, srv.URL, nil, sseclient.WithMaxEventSize(100)).Events(testContext(t), "/"))
	if !errors.Is(err, sse.ErrEventTooLarge) || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error = %v", err)
	}
}

// TestEmptyConnectionsDoNotResetAttempts: a server that accepts and closes
// at once, without an event, cannot keep the client reconnecting forever.
func TestEmptyConnectionsDoNotResetAttempts(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "retry: 1\n\n: nothing to say\n\n")
	})
	c := newClient(t, srv.URL, nil, fastReconnect(3)...)
	_, err := collect(t, c.Events(testContext(t), "/"))
	if !errors.Is(err, sseclient.ErrMaxReconnectionAttempts) || !errors.Is(err, sseclient.ErrConnectionLost) {
		t.Errorf("error = %v, want a give-up after lost connections", err)
	}
	if n := len(srv.Seen.all()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}
