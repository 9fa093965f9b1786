package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// collector is an OTLP/gRPC trace collector that keeps the names of the
// spans it receives.
type collector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []string
}

func (c *collector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, s.GetName())
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (c *collector) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.spans...)
}

func TestOTLPExporterSendsASpanPerStream(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, col)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	backend, _ := startBackend(t)
	gw := startGateway(t, nil, "--backend", backend, "--listen", "127.0.0.1:0",
		"--trace-exporter", "otlp", "--trace-endpoint", "http://"+lis.Addr().String())
	readStream(t, http.DefaultClient, gw.base+"/v1/streams/otlp/events?last_seq=2&interval=0.001s")

	// Stopping the gateway flushes its spans.
	gw.stop()
	select {
	case err := <-gw.done:
		if err != nil {
			t.Fatal(err)
		}
		gw.done <- nil // for the cleanup's check
	case <-time.After(20 * time.Second):
		t.Fatal("the gateway did not stop")
	}
	names := col.names()
	if len(names) != 1 || names[0] != "GET /v1/{name=streams/*}/events" {
		t.Errorf("spans %q, want one for the stream", names)
	}
}
