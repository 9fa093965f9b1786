package sseclient_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sseclient"
)

// startGateway runs the demo backend and a gateway in front of it on
// loopback ports, as `gateway --demo` does, and returns the gateway's URL
// and a function that stops both.
func startGateway() (url string, stop func()) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	backend := demo.NewServer()
	go backend.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	gw, err := gateway.New(context.Background(), conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	return srv.URL, func() {
		srv.Close()
		conn.Close()
		backend.Stop()
	}
}

// The generated client of a service works over SSE through the gateway.
func ExampleNewConn() {
	url, stop := startGateway()
	defer stop()

	conn, err := sseclient.NewConn(url)
	if err != nil {
		log.Fatal(err)
	}
	client := demov1.NewDemoServiceClient(conn)
	stream, err := client.Sequence(context.Background(), &demov1.SequenceRequest{
		Name:     "streams/demo",
		LastSeq:  3,
		Interval: durationpb.New(10 * time.Millisecond),
	})
	if err != nil {
		log.Fatal(err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.GetSeq(), ev.GetPayload())
	}
	// Output:
	// 1 streams/demo/1/8c20cc213410e784
	// 2 streams/demo/2/8c20cf213410ec9d
	// 3 streams/demo/3/8c20ce213410eaea
}

// Unary methods work too, as JSON: here an order is placed and then
// watched on its stream, with one generated client on one Conn.
func ExampleConn_Invoke() {
	url, stop := startGateway()
	defer stop()

	conn, err := sseclient.NewConn(url)
	if err != nil {
		log.Fatal(err)
	}
	client := demov1.NewDemoServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // sent as Grpc-Timeout
	defer cancel()
	order, err := client.PlaceOrder(ctx, &demov1.PlaceOrderRequest{Symbol: "ACME", Side: demov1.Side_BUY, Quantity: 30})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(order.GetName(), order.GetState())
	stream, err := client.WatchOrder(ctx, &demov1.WatchOrderRequest{Name: order.GetName(), Interval: durationpb.New(10 * time.Millisecond)})
	if err != nil {
		log.Fatal(err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.GetSeq(), ev.GetState(), ev.GetFilledQuantity())
	}

	_, err = client.PlaceOrder(ctx, &demov1.PlaceOrderRequest{Symbol: "ACME", Side: demov1.Side_SELL})
	fmt.Println(status.Code(err), status.Convert(err).Message())
	// Output:
	// orders/1 PLACED
	// 1 ACCEPTED 0
	// 2 PARTIALLY_FILLED 10
	// 3 PARTIALLY_FILLED 20
	// 4 FILLED 30
	// InvalidArgument quantity must be from 1 to 1000000
}

// Failures reach the caller as gRPC status errors, with their details.
func ExampleNewConn_errors() {
	url, stop := startGateway()
	defer stop()

	conn, err := sseclient.NewConn(url)
	if err != nil {
		log.Fatal(err)
	}
	stream, err := demov1.NewDemoServiceClient(conn).Fail(context.Background(), &demov1.FailRequest{
		Code: 5, Message: "no such stream", After: 2, Reason: "STREAM_GONE",
	})
	if err != nil {
		log.Fatal(err)
	}
	for {
		msg, err := stream.Recv()
		if err != nil {
			st := status.Convert(err)
			fmt.Println(st.Code(), st.Message())
			for _, d := range st.Details() {
				if info, ok := d.(*errdetails.ErrorInfo); ok {
					fmt.Println(info.GetReason(), info.GetDomain())
				}
			}
			break
		}
		fmt.Println("message", msg.GetIndex())
	}
	// Output:
	// message 1
	// message 2
	// NotFound no such stream
	// STREAM_GONE demo.ssegw.dev
}

// Subscribe decodes the events of any stream into messages.
func ExampleSubscribe() {
	url, stop := startGateway()
	defer stop()

	client, err := sseclient.New(url)
	if err != nil {
		log.Fatal(err)
	}
	stream, err := sseclient.Subscribe[*demov1.SequenceEvent](context.Background(), client,
		"/v1/streams/demo/events?last_seq=3&interval=10ms")
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	for ev, err := range stream.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.GetSeq())
	}
	// Output:
	// 1
	// 2
	// 3
}

// Events iterates over the raw events of a stream, here resumed after
// event 1 with a starting last event ID.
func ExampleClient_Events() {
	url, stop := startGateway()
	defer stop()

	client, err := sseclient.New(url)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for ev, err := range client.Events(ctx, "/v1/streams/demo/events?last_seq=3&interval=10ms", sseclient.WithLastEventID("1")) {
		if err != nil {
			log.Fatal(err)
		}
		if ev.Event == sseclient.EndEvent {
			fmt.Printf("end %s\n", ev.Data)
			break
		}
		var msg demov1.SequenceEvent
		if err := protojson.Unmarshal(ev.Data, &msg); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("id %s: %s\n", ev.ID, msg.GetPayload())
	}
	// Output:
	// id 2: streams/demo/2/8c20cf213410ec9d
	// id 3: streams/demo/3/8c20ce213410eaea
	// end {}
}

// The address can be given by parts, as in Ktor's sse(host, port, path).
func ExampleWithHost() {
	client, err := sseclient.New("",
		sseclient.WithScheme("https"),
		sseclient.WithHost("events.example.com"),
		sseclient.WithPort(8443),
		sseclient.WithPath("/sse"),
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = client // client.Events(ctx, "/v1/streams/demo/events") reads https://events.example.com:8443/sse/v1/streams/demo/events
}

// A resilient subscription: reconnect up to five times per outage, starting
// after one second (or the server's retry), and treat a connection that is
// silent for 45s, heartbeats included, as dead.
func ExampleWithMaxReconnectionAttempts() {
	conn, err := sseclient.NewConn("http://127.0.0.1:8080",
		sseclient.WithMaxReconnectionAttempts(5),
		sseclient.WithReconnectionTime(time.Second),
		sseclient.WithReadTimeout(45*time.Second),
		sseclient.WithHooks(sseclient.Hooks{
			OnGiveUp: func(url string, attempts int, err error) {
				log.Printf("%s: giving up after %d attempts: %v", url, attempts, err)
			},
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	// Recv on the streams of this client reconnects by itself; after a
	// give-up, errors.Is(err, sseclient.ErrMaxReconnectionAttempts) holds.
	_ = demov1.NewDemoServiceClient(conn)
}

// With WithCommentEvents, each comment line arrives as soon as it has been
// read, in order with the events around it, even inside an event's block.
func ExampleWithCommentEvents() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": hello\n\nid: 1\ndata: a\n: inside\ndata: b\n\n: bye\n")
	}))
	defer srv.Close()

	client, err := sseclient.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range client.Events(context.Background(), "/", sseclient.WithCommentEvents()) {
		if err != nil {
			log.Fatal(err)
		}
		if ev.Data == nil {
			fmt.Printf("comment %q\n", ev.Comment)
			continue
		}
		fmt.Printf("event %s: %q\n", ev.ID, ev.Data)
	}
	// Output:
	// comment "hello"
	// comment "inside"
	// event 1: "a\nb"
	// comment "bye"
}

// Restart drops the connection and resumes at once from the last event
// ID: nothing is lost and nothing repeated. It may be called from any
// goroutine, such as a watchdog's.
func ExampleEventStream_Restart() {
	url, stop := startGateway()
	defer stop()

	client, err := sseclient.New(url)
	if err != nil {
		log.Fatal(err)
	}
	s, err := client.Open(context.Background(), "/v1/streams/demo/events?last_seq=4&interval=10ms")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for {
		ev, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if ev.Event == sseclient.EndEvent {
			fmt.Println("end")
			continue
		}
		fmt.Println("id", ev.ID)
		if ev.ID == "2" {
			if err := s.Restart(); err != nil {
				log.Fatal(err)
			}
		}
	}
	// Output:
	// id 1
	// id 2
	// id 3
	// id 4
	// end
}

// A Restarter restarts the streams of a generated gRPC client, whose
// stream type has no Restart method.
func ExampleRestarter() {
	url, stop := startGateway()
	defer stop()

	conn, err := sseclient.NewConn(url)
	if err != nil {
		log.Fatal(err)
	}
	var restarter sseclient.Restarter
	stream, err := demov1.NewDemoServiceClient(conn).Sequence(context.Background(),
		&demov1.SequenceRequest{Name: "streams/demo", LastSeq: 4, Interval: durationpb.New(10 * time.Millisecond)},
		sseclient.PerCall(sseclient.WithRestarter(&restarter)))
	if err != nil {
		log.Fatal(err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.GetSeq())
		if ev.GetSeq() == 2 {
			fmt.Println("restarted", restarter.Restart())
		}
	}
	// Output:
	// 1
	// 2
	// restarted 1
	// 3
	// 4
}
