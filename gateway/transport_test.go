package gateway_test

import (
	"compress/gzip"
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sse"
)

func TestGzipFlushesEveryEvent(t *testing.T) {
	// The backend sends the next message only once the test has received
	// the previous one, through gzip.
	received := make(chan struct{})
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		for i := range int64(3) {
			if err := ss.SendMsg(&demov1.SequenceEvent{Name: "streams/z", Seq: i + 1}); err != nil {
				return err
			}
			select {
			case <-received:
			case <-ss.Context().Done():
				return ss.Context().Err()
			}
		}
		return nil
	})
	base := startGateway(t, conn,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithCompression())

	resp, _ := do(t, "GET", base+"/v1/streams/z/events", http.Header{"Accept-Encoding": {"br;q=1, gzip;q=0.8"}}, "")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	events := sse.NewReader(zr)
	for i := range 3 {
		ev, err := events.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
		if want := string(rune('1' + i)); ev.ID != want {
			t.Fatalf("event id %q, want %s", ev.ID, want)
		}
		received <- struct{}{}
	}
	if ev, err := events.Next(); err != nil || ev.Event != "end" {
		t.Fatalf("last event %+v (%v), want end", ev, err)
	}
}

func TestCompressionNeedsAcceptEncoding(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithCompression())
	for _, accept := range []string{"", "gzip;q=0", "identity", "br"} {
		s := open(t, "GET", base+"/v1/streams/p/events?last_seq=1&interval=0.001s", http.Header{"Accept-Encoding": {accept}}, "")
		if ce := s.resp.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", accept, ce)
		}
		if len(s.rest(t)) != 2 {
			t.Errorf("Accept-Encoding %q: wrong events", accept)
		}
	}
}

func TestCompressionIsOffByDefault(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)
	s := open(t, "GET", base+"/v1/streams/p/events?last_seq=1&interval=0.001s", http.Header{"Accept-Encoding": {"gzip"}}, "")
	if ce := s.resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding %q", ce)
	}
	s.rest(t)
}

func TestHTTP2StreamsShareOneConnection(t *testing.T) {
	conn, rec := startBackend(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	gw, err := gateway.New(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:   gw,
		Protocols: &protocols,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })

	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &h2c}}
	t.Cleanup(client.CloseIdleConnections)

	get := func(ctx context.Context, query string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+lis.Addr().String()+"/v1/streams/h2/events?"+query, nil)
		return client.Do(req)
	}
	// One stream to completion opens the connection.
	resp, err := get(ctx, "interval=0.001s&last_seq=1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
	}
	resp.Body.Close()

	// Then 50 streams open at once, each waiting until all are open.
	const n = 50
	var opened, wg sync.WaitGroup
	opened.Add(n)
	allOpen := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			resp, err := get(ctx, "interval=0.001s&last_seq=3")
			if err != nil {
				errs <- err
				opened.Done()
				return
			}
			defer resp.Body.Close()
			r := sse.NewReader(resp.Body)
			if _, err := r.Next(); err != nil {
				errs <- err
			}
			opened.Done()
			<-allOpen
			for range 3 {
				if _, err := r.Next(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	opened.Wait()
	close(allOpen)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := rec.count(); got != n+1 {
		t.Errorf("backend saw %d streams, want %d", got, n+1)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections, want all %d streams on one", got, n)
	}
}
