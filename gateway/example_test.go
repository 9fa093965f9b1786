package gateway_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sse"
)

// startDemoBackend serves the demo backend on a loopback port.
func startDemoBackend() (addr string, stop func()) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := demo.NewServer()
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), srv.Stop
}

// A gateway in front of a backend that offers server reflection: every
// server-streaming method becomes an SSE route.
func Example() {
	addr, stop := startDemoBackend()
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	gw, err := gateway.New(context.Background(), conn)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v1/streams/example/events?last_seq=2&interval=0.01s")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"))
	events := sse.NewReader(resp.Body)
	for {
		ev, err := events.Next()
		if err != nil {
			break
		}
		if ev.Event != "" {
			fmt.Printf("event %s: %s\n", ev.Event, ev.Data)
			continue
		}
		var msg demov1.SequenceEvent
		if err := protojson.Unmarshal(ev.Data, &msg); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("id %s: %s\n", ev.ID, msg.GetPayload())
	}
	// Output:
	// text/event-stream
	// id 1: streams/example/1/b828eeb378c2367f
	// id 2: streams/example/2/b828efb378c23832
	// event end: {}
}

// SSE routes beside grpc-gateway's REST routes on one ServeMux, with
// descriptors compiled into the program and stream options given in code
// for a method whose proto has none.
func ExampleGateway_Register() {
	addr, stop := startDemoBackend()
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	gw, err := gateway.New(context.Background(), conn,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithHeartbeat(30*time.Second),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Fail", &ssegwv1.StreamOptions{
			Event:             "failure",
			HeartbeatInterval: durationpb.New(5 * time.Second),
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	mux := runtime.NewServeMux()
	// The application's REST routes, such as those of grpc-gateway's
	// generated RegisterXxxHandler functions, go on the same mux.
	if err := gw.Register(mux); err != nil {
		log.Fatal(err)
	}
	for _, r := range gw.Routes() {
		fmt.Println(r.HTTPMethod, r.Path, r.Unary)
	}
	// Output:
	// GET /v1/symbols/{symbol}/ticks false
	// GET /v1/{name=streams/*}/events false
	// POST /v1/{name=streams/*}/events:watch false
	// GET /examples.demo.v1.DemoService/Fail false
	// POST /v1/orders true
	// GET /v1/{name=orders/*}/updates false
}

// On shutdown, Drain tells every open stream to reconnect: each gets a
// short "retry:" and ends without an "end" event, so that its client comes
// back, with its Last-Event-ID, to another replica.
func ExampleGateway_Drain() {
	addr, stop := startDemoBackend()
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	gw, err := gateway.New(context.Background(), conn, gateway.WithDrainRetry(500*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v1/streams/example/events?interval=0.01s")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	events := sse.NewReader(resp.Body)
	first, err := events.Next()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first event id:", first.ID)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- gw.Drain(ctx) }()

	ended := "without an end event"
	for {
		ev, err := events.Next()
		if err != nil {
			break
		}
		if ev.Event == gateway.EndEvent {
			ended = "with an end event"
		}
	}
	fmt.Println("stream ended", ended)
	fmt.Println("retry hint within 250ms..750ms:", events.Retry() >= 250*time.Millisecond && events.Retry() <= 750*time.Millisecond)
	fmt.Println("drain:", <-drained, "open streams:", gw.OpenStreams())
	// Output:
	// first event id: 1
	// stream ended without an end event
	// retry hint within 250ms..750ms: true
	// drain: <nil> open streams: 0
}

// Several backends behind one listener: one gateway per backend, joined
// into one handler. Here the second backend's methods are given routes of
// their own, as an operator would for protos they cannot change.
func ExampleJoin() {
	prices, stopPrices := startDemoBackend()
	defer stopPrices()
	replays, stopReplays := startDemoBackend()
	defer stopReplays()

	var gateways []*gateway.Gateway
	for _, b := range []struct {
		addr string
		opts []gateway.Option
	}{
		{prices, nil},
		{replays, []gateway.Option{
			gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Ticks", &annotations.HttpRule{
				Pattern: &annotations.HttpRule_Get{Get: "/replay/{symbol}/ticks"},
			}),
			gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Sequence", &annotations.HttpRule{
				Pattern: &annotations.HttpRule_Get{Get: "/replay/{name=streams/*}"},
			}),
			gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.Fail", &annotations.HttpRule{
				Pattern: &annotations.HttpRule_Get{Get: "/replay/fail"},
			}),
			gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.PlaceOrder", &annotations.HttpRule{
				Pattern: &annotations.HttpRule_Post{Post: "/replay/orders"}, Body: "*",
			}),
			gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.WatchOrder", &annotations.HttpRule{
				Pattern: &annotations.HttpRule_Get{Get: "/replay/{name=orders/*}/updates"},
			}),
		}},
	} {
		conn, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			log.Fatal(err)
		}
		defer conn.Close()
		opts := append([]gateway.Option{gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto)}, b.opts...)
		gw, err := gateway.New(context.Background(), conn, opts...)
		if err != nil {
			log.Fatal(err)
		}
		gateways = append(gateways, gw)
	}
	h, err := gateway.Join(gateways...)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, path := range []string{"/v1/symbols/ACME/ticks?count=1&interval=0.01s", "/replay/ACME/ticks?count=1&interval=0.01s"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		events := sse.NewReader(resp.Body)
		for {
			ev, err := events.Next()
			if err != nil {
				break
			}
			var tick demov1.Tick
			if ev.Event == "tick" && protojson.Unmarshal(ev.Data, &tick) == nil {
				fmt.Println(path, "→", tick.GetSymbol())
			}
		}
		resp.Body.Close()
	}
	// Output:
	// /v1/symbols/ACME/ticks?count=1&interval=0.01s → ACME
	// /replay/ACME/ticks?count=1&interval=0.01s → ACME
}
