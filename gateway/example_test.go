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
		fmt.Println(r.HTTPMethod, r.Path)
	}
	// Output:
	// GET /v1/symbols/{symbol}/ticks
	// GET /v1/{name=streams/*}/events
	// POST /v1/{name=streams/*}/events:watch
	// GET /examples.demo.v1.DemoService/Fail
}
