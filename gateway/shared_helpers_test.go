package gateway_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// Helpers of the tests of shared streams.

// protocols are the HTTP versions the shared-stream tests run over.
var protocols = []string{"h1", "h2"}

// serveH1H2 serves h on loopback over HTTP/1.1 and unencrypted HTTP/2,
// and returns its base URL.
func serveH1H2(t *testing.T, h http.Handler) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: h, Protocols: &p}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + lis.Addr().String()
}

// clientFor returns a client that speaks only proto ("h1" or "h2", the
// latter unencrypted with prior knowledge).
func clientFor(t *testing.T, proto string) *http.Client {
	t.Helper()
	var p http.Protocols
	if proto == "h2" {
		p.SetUnencryptedHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	c := &http.Client{Transport: &http.Transport{Protocols: &p, DisableCompression: true}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// subscribe opens an SSE stream of url with client and checks that it
// started.
func subscribe(t *testing.T, client *http.Client, url string, header http.Header) *stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stop := func() {
		cancel()
		resp.Body.Close()
	}
	t.Cleanup(stop)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		stop()
		t.Fatalf("GET %s: status %d, body %s", url, resp.StatusCode, b)
	}
	return &stream{resp: resp, events: sse.NewReader(resp.Body), cancel: stop}
}

// nextData returns the next event with data, skipping retry hints.
func (s *stream) nextData(t *testing.T) sse.Event {
	t.Helper()
	for range 100 {
		ev := s.next(t)
		if ev.Data != nil {
			return ev
		}
	}
	t.Fatal("no event with data")
	return sse.Event{}
}

// seqs reads n events and returns their ids as numbers, checking that
// they follow one another.
func (s *stream) seqs(t *testing.T, n int) []int64 {
	t.Helper()
	var out []int64
	for range n {
		ev := s.nextData(t)
		if ev.Event != "" {
			t.Fatalf("event %q (%s) after %v, want a message", ev.Event, ev.Data, out)
		}
		seq, err := strconv.ParseInt(ev.ID, 10, 64)
		if err != nil {
			t.Fatalf("event id %q: %v", ev.ID, err)
		}
		if len(out) > 0 && seq != out[len(out)-1]+1 {
			t.Fatalf("event %d after %v: a gap or a repeat", seq, out)
		}
		out = append(out, seq)
	}
	return out
}

// callsOf returns the calls of the gRPC method (full name) the backend
// received.
func (r *recorder) callsOf(method string) []*call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*call
	for _, c := range r.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// waitEnded waits until the backend call c has ended.
func waitEnded(t *testing.T, c *call) {
	t.Helper()
	select {
	case <-c.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the backend call did not end")
	}
}
