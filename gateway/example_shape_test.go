package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
)

// A method's events shaped by the gateway's options: the data one field
// of each message, named by another, and "data: [DONE]" in place of the
// end event.
func ExampleWithMethodOptions_shape() {
	addr, stop := startDemoBackend()
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	gw, err := gateway.New(context.Background(), conn, gateway.WithRetry(0),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Sequence", &ssegwv1.StreamOptions{
			Shape: &ssegwv1.Shape{EventField: "name", DataField: "payload", Sentinel: "[DONE]"},
		}))
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
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output:
	// event: streams/example
	// id: 1
	// data: "streams/example/1/b828eeb378c2367f"
	//
	// event: streams/example
	// id: 2
	// data: "streams/example/2/b828efb378c23832"
	//
	// data: [DONE]
}
