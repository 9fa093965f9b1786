package faulttest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sseclient"
)

// receiveAll reads a Sequence stream to its end and checks that it holds
// every event from 1 to last exactly once. during runs after the first
// event with the given number arrives.
func receiveAll(t *testing.T, stream demov1.DemoService_SequenceClient, last int64, at int64, during func()) {
	t.Helper()
	for want := int64(1); ; want++ {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if want != last+1 {
				t.Fatalf("stream ended after %d events, want %d", want-1, last)
			}
			return
		}
		if err != nil {
			t.Fatalf("after event %d: %v", want-1, err)
		}
		if expected := demo.SequenceEventAt("streams/fault", want); !proto.Equal(ev, expected) {
			t.Fatalf("event %v, want %v: lost or repeated", ev, expected)
		}
		if want == at {
			during()
		}
	}
}

func openSequence(t *testing.T, conn *sseclient.Conn, last int64) demov1.DemoService_SequenceClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	stream, err := demov1.NewDemoServiceClient(conn).Sequence(ctx, &demov1.SequenceRequest{
		Name: "streams/fault", LastSeq: last, Interval: durationpb.New(5 * time.Millisecond),
	})
	if err != nil {
		t.Fatal(err)
	}
	return stream
}

func reconnecting(extra ...sseclient.Option) []sseclient.Option {
	return append([]sseclient.Option{
		sseclient.WithMaxReconnectionAttempts(100),
		sseclient.WithReconnectionTime(20 * time.Millisecond),
		sseclient.WithMaxReconnectionDelay(200 * time.Millisecond),
	}, extra...)
}

func TestBackendDownWhenStreamIsRequested(t *testing.T) {
	b := newBackend(t)
	gw := newGateway(t, b.addr)

	// Down: 503 with a JSON status and Retry-After.
	resp, err := http.Get(gw.url() + "/v1/streams/fault/events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, headers %v, body %s: want 503, Retry-After and a JSON status", resp.StatusCode, resp.Header, body)
	}

	// A client retries until the backend is back.
	var failures atomic.Int32
	started := make(chan struct{})
	conn, err := sseclient.NewConn(gw.url(), reconnecting(sseclient.WithHooks(sseclient.Hooks{
		OnReconnect: func(string, int, time.Duration, error) {
			if failures.Add(1) == 2 {
				close(started)
			}
		},
	}))...)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started // the client has been refused twice
		b.start()
	}()
	receiveAll(t, openSequence(t, conn, 20), 20, 0, nil)
	if failures.Load() < 2 {
		t.Errorf("%d reconnections, want the client to have retried", failures.Load())
	}
}

func TestGatewayReplicaKilled(t *testing.T) {
	b := newBackend(t)
	b.start()
	first, second := newGateway(t, b.addr), newGateway(t, b.addr)

	// Clients reach the gateway through one name; while the first replica
	// is up they use it, then the other (as a load balancer would).
	var firstDown atomic.Bool
	dialer := &net.Dialer{}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		if !firstDown.Load() {
			if c, err := dialer.DialContext(ctx, network, first.addr); err == nil {
				return c, nil
			}
		}
		return dialer.DialContext(ctx, network, second.addr)
	}}
	defer transport.CloseIdleConnections()
	conn, err := sseclient.NewConn("http://gateway.test", reconnecting(sseclient.WithHTTPClient(&http.Client{Transport: transport}))...)
	if err != nil {
		t.Fatal(err)
	}
	receiveAll(t, openSequence(t, conn, 60), 60, 20, func() {
		firstDown.Store(true)
		first.kill()
	})
}

func TestBackendRestartMidStream(t *testing.T) {
	b := newBackend(t)
	b.start()
	gw := newGateway(t, b.addr)

	conn, err := sseclient.NewConn(gw.url(), reconnecting()...)
	if err != nil {
		t.Fatal(err)
	}
	receiveAll(t, openSequence(t, conn, 60), 60, 20, func() {
		b.stop()
		go func() {
			time.Sleep(100 * time.Millisecond) // down for a while
			b.start()
		}()
	})
}
