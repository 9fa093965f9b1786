package sseclient_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
)

// waitTimeout bounds every wait of the tests.
const waitTimeout = 10 * time.Second

// testContext returns a context that ends with the test, or after
// waitTimeout.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startBackend starts the demo gRPC backend on a loopback port and returns
// a gRPC connection to it.
func startBackend(t testing.TB) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := demo.NewServer()
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// demoEnv is the demo backend behind a gateway served over loopback HTTP.
type demoEnv struct {
	URL     string           // the gateway's base URL
	Backend *grpc.ClientConn // direct connection to the backend
	Gateway *gateway.Gateway
	HTTP    *http.Client // a client with a transport of its own
	Seen    *recorder    // requests that reached the gateway
}

// startDemo starts the demo backend and a gateway in front of it, with
// the demo's metadata forwarded and a short retry hint.
func startDemo(t testing.TB, opts ...gateway.Option) *demoEnv {
	t.Helper()
	backend := startBackend(t)
	opts = append([]gateway.Option{
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithOutgoingMetadata("x-demo-method", "x-demo-last-seq"),
		gateway.WithRetry(20 * time.Millisecond),
	}, opts...)
	gw, err := gateway.New(t.Context(), backend, opts...)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	srv := httptest.NewServer(rec.wrap(gw))
	t.Cleanup(srv.Close)
	return &demoEnv{URL: srv.URL, Backend: backend, Gateway: gw, HTTP: newHTTPClient(t), Seen: rec}
}

// newHTTPClient returns a client whose idle connections are closed when
// the test ends, so that they do not count as leaked goroutines.
func newHTTPClient(t testing.TB) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// seenRequest is a request as a server received it.
type seenRequest struct {
	N      int // its number, from 1, in the order the server received requests
	Method string
	URL    string
	Header http.Header
	Body   string
	At     time.Time
	// Done is closed when the request's context ends: the client went
	// away or the handler returned.
	Done <-chan struct{}
}

// recorder keeps the requests a handler received.
type recorder struct {
	mu   sync.Mutex
	reqs []*seenRequest
	ch   chan *seenRequest
}

func newRecorder() *recorder { return &recorder{ch: make(chan *seenRequest, 100)} }

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		next.ServeHTTP(w, r)
	})
}

func (rec *recorder) add(r *http.Request) *seenRequest {
	sr := &seenRequest{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), At: time.Now(), Done: r.Context().Done()}
	// Numbered, kept and announced in one order.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, sr)
	sr.N = len(rec.reqs)
	select {
	case rec.ch <- sr:
	default:
	}
	return sr
}

// all returns the requests received so far.
func (rec *recorder) all() []*seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]*seenRequest(nil), rec.reqs...)
}

// next waits for the next request.
func (rec *recorder) next(t testing.TB) *seenRequest {
	t.Helper()
	select {
	case sr := <-rec.ch:
		return sr
	case <-time.After(waitTimeout):
		t.Fatal("no request arrived")
		return nil
	}
}

// sseServer serves a handler written by the test with a recorder in
// front, for the HTTP behaviours the gateway does not produce.
type sseServer struct {
	URL  string
	Seen *recorder
}

func startSSEServer(t testing.TB, handler func(w http.ResponseWriter, r *http.Request, n int)) *sseServer {
	t.Helper()
	rec := newRecorder()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler(w, r, rec.add(r).N)
	}))
	t.Cleanup(srv.Close)
	return &sseServer{URL: srv.URL, Seen: rec}
}

// writeSSE starts an event stream response and writes raw text to it.
func writeSSE(w http.ResponseWriter, text string) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	}
	_, _ = w.Write([]byte(text))
	http.NewResponseController(w).Flush()
}
