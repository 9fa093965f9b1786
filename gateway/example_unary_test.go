package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
)

// Unary methods are served as JSON beside the streams: here the demo's
// PlaceOrder, at its rule's POST /v1/orders with the request as the body.
// WithUnaryTimeout bounds each call; a failure is a JSON google.rpc.Status
// with the HTTP status of its code.
func Example_unary() {
	addr, stop := startDemoBackend()
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	gw, err := gateway.New(context.Background(), conn, gateway.WithUnaryTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()

	for _, body := range []string{`{"symbol":"ACME","side":"BUY","quantity":"10"}`, `{"symbol":"ACME"}`} {
		resp, err := http.Post(srv.URL+"/v1/orders", "application/json", strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var answer struct {
			Name, State, Message string
		}
		if err := json.Unmarshal(b, &answer); err != nil {
			log.Fatal(err)
		}
		if resp.StatusCode == http.StatusOK {
			fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), answer.Name, answer.State)
		} else {
			fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), answer.Message)
		}
	}
	// Output:
	// 200 application/json orders/1 PLACED
	// 400 application/json side must be BUY or SELL
}

// WithoutUnary serves the streams alone.
func ExampleWithoutUnary() {
	addr, stop := startDemoBackend()
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	gw, err := gateway.New(context.Background(), conn, gateway.WithoutUnary())
	if err != nil {
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
	// GET /v1/{name=orders/*}/updates false
}
