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

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sseclient"
)

// A gateway configured to send only the payload of each message: a Conn
// given the same options rebuilds the whole messages, the payload from
// the data and the seq from the event id.
func ExampleWithMethodOptions() {
	shape := &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{DataField: "payload"}}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	backend := demo.NewServer()
	go backend.Serve(lis)
	defer backend.Stop()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	gw, err := gateway.New(context.Background(), cc, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Sequence", shape))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()

	conn, err := sseclient.NewConn(srv.URL, sseclient.WithMethodOptions("examples.demo.v1.DemoService.Sequence", shape))
	if err != nil {
		log.Fatal(err)
	}
	stream, err := demov1.NewDemoServiceClient(conn).Sequence(context.Background(), &demov1.SequenceRequest{
		Name: "streams/demo", LastSeq: 2, Interval: durationpb.New(time.Millisecond),
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
		fmt.Printf("%d %s name=%q\n", ev.GetSeq(), ev.GetPayload(), ev.GetName())
	}
	// Output:
	// 1 streams/demo/1/8c20cc213410e784 name=""
	// 2 streams/demo/2/8c20cf213410ec9d name=""
}

// A stream that ends with "data: [DONE]", as streaming LLM APIs end
// theirs, read as a typed stream.
func ExampleWithSentinel() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"text\":\"Hel\"}\n\ndata: {\"text\":\"lo\"}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	c, err := sseclient.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	s, err := sseclient.Subscribe[*structpb.Struct](context.Background(), c, "/", sseclient.WithSentinel("", "[DONE]"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for chunk, err := range s.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(chunk.GetFields()["text"].GetStringValue())
	}
	fmt.Println()
	// Output: Hello
}
