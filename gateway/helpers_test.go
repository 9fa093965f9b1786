package gateway_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sse"
)

// call is what the backend saw of one stream.
type call struct {
	method string
	md     metadata.MD
	ended  chan struct{} // closed when the call's context ends

	mu  sync.Mutex
	req proto.Message // the request message, once received
}

// request returns the request message the backend received.
func (c *call) request() proto.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.req
}

// recordingStream keeps the first message the backend receives.
type recordingStream struct {
	grpc.ServerStream
	c *call
}

func (s recordingStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if msg, ok := m.(proto.Message); ok && err == nil {
		s.c.mu.Lock()
		if s.c.req == nil {
			s.c.req = proto.Clone(msg)
		}
		s.c.mu.Unlock()
	}
	return err
}

// recorder is a stream interceptor that records every call the backend
// receives.
type recorder struct {
	mu    sync.Mutex
	calls []*call
	added chan *call
}

func newRecorder() *recorder { return &recorder{added: make(chan *call, 1000)} }

func (r *recorder) intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if strings.HasPrefix(info.FullMethod, "/grpc.reflection.") {
		return handler(srv, ss)
	}
	md, _ := metadata.FromIncomingContext(ss.Context())
	c := &call{method: info.FullMethod, md: md, ended: make(chan struct{})}
	go func() {
		<-ss.Context().Done()
		close(c.ended)
	}()
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	select {
	case r.added <- c:
	default: // nobody waits for calls in this test
	}
	return handler(srv, recordingStream{ServerStream: ss, c: c})
}

// last returns the most recent call.
func (r *recorder) last(t *testing.T) *call {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		t.Fatal("the backend received no call")
	}
	return r.calls[len(r.calls)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// next waits for the next call the backend receives.
func (r *recorder) next(t *testing.T) *call {
	t.Helper()
	select {
	case c := <-r.added:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the backend received no call")
		return nil
	}
}

// startBackend serves the demo backend on a loopback port and returns a
// connection to it and the recorder of its calls.
func startBackend(t *testing.T) (*grpc.ClientConn, *recorder) {
	t.Helper()
	rec := newRecorder()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := demo.NewServer(grpc.StreamInterceptor(rec.intercept))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return dial(t, lis.Addr().String()), rec
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startGateway builds a gateway for conn and serves it on a loopback port.
func startGateway(t *testing.T, conn grpc.ClientConnInterface, opts ...gateway.Option) string {
	t.Helper()
	return serveHTTP(t, newGateway(t, conn, opts...))
}

// newGateway builds a gateway for conn, for tests that need the Gateway
// itself.
func newGateway(t *testing.T, conn grpc.ClientConnInterface, opts ...gateway.Option) *gateway.Gateway {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gw, err := gateway.New(ctx, conn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

func serveHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}

// stream is an open SSE response.
type stream struct {
	resp   *http.Response
	events *sse.Reader
	cancel context.CancelFunc
}

// open requests url and checks that it starts an SSE stream.
func open(t *testing.T, method, url string, header http.Header, body string, readerOpts ...sse.ReaderOption) *stream {
	t.Helper()
	resp, cancel := do(t, method, url, header, body)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		cancel()
		t.Fatalf("%s %s: status %d, body %s", method, url, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		cancel()
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	return &stream{resp: resp, events: sse.NewReader(resp.Body, readerOpts...), cancel: cancel}
}

// do sends a request that the test's end (or cancel) aborts.
func do(t *testing.T, method, url string, header http.Header, body string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	return resp, func() {
		cancel()
		resp.Body.Close()
	}
}

// next returns the next event, failing the test on error.
func (s *stream) next(t *testing.T) sse.Event {
	t.Helper()
	ev, err := s.events.Next()
	if err != nil {
		t.Fatalf("reading event: %v", err)
	}
	return ev
}

// rest reads events until the stream ends.
func (s *stream) rest(t *testing.T) []sse.Event {
	t.Helper()
	var out []sse.Event
	for range 10_000 {
		ev, err := s.events.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading events: %v", err)
		}
		out = append(out, ev)
	}
	t.Fatal("stream did not end")
	return nil
}
