package gateway_test

import (
	"context"
	"log"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
)

// The OpenAPI 3.2 document of the routes, served beside them.
func ExampleWithOpenAPI() {
	conn, err := grpc.NewClient("localhost:9090", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	gw, err := gateway.New(context.Background(), conn,
		gateway.WithOpenAPI("/openapi.json", gateway.OpenAPIInfo{
			Title:   "Orders",
			Version: "1.4.0",
			Servers: []string{"https://api.example.com"},
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(":8080", gw))
}

// One document for the routes of several gateways, served on a mux of
// your own.
func ExampleOpenAPI() {
	var orders, payments *gateway.Gateway // built with gateway.New
	doc, err := gateway.OpenAPI(gateway.OpenAPIInfo{Title: "Shop"}, orders, payments)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /openapi.json", gateway.OpenAPIHandler(doc))
}
