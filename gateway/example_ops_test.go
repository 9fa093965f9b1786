package gateway_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/netip"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/ssegw/ssegw/gateway"
)

// Check the options at start, before dialling the backend: a mistake is
// reported at once, even when the backend cannot be reached.
func ExampleCheckOptions() {
	err := gateway.CheckOptions(
		gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{"*"}, AllowCredentials: true}),
	)
	fmt.Println(err != nil)
	// Output: true
}

// A gateway run as a server of its own, behind a load balancer that
// terminates TLS: the backend connection has gRPC keepalive, the proxies
// are trusted for client addresses and schemes, and the server lets the
// gateway look at its connections to tell slow consumers.
func ExampleConnContext() {
	conn, err := grpc.NewClient("localhost:9090",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 5 * time.Minute, Timeout: 20 * time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	gw, err := gateway.New(context.Background(), conn,
		gateway.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8")),
		gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{"https://app.example.com"}}),
	)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: ":8080", Handler: gw, ConnContext: gateway.ConnContext}
	log.Fatal(srv.ListenAndServe())
}
