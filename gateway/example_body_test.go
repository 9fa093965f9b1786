package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
)

// Request bodies are read before a stream takes its slot, within a time
// bound: a client that sends part of a body and then nothing takes no
// stream from others, and is answered 408 once the bound has passed.
func ExampleWithBodyReadTimeout() {
	addr, stop := startDemoBackend()
	defer stop()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	gw, err := gateway.New(context.Background(), conn,
		gateway.WithStreamLimits(1, 0),
		gateway.WithBodyReadTimeout(200*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()

	// One byte of a ten-byte body, and then nothing.
	host := strings.TrimPrefix(srv.URL, "http://")
	slow, err := net.Dial("tcp", host)
	if err != nil {
		log.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST /v1/streams/slow/events:watch HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{", host)

	// The one stream slot is free for another client meanwhile.
	resp, err := http.Get(srv.URL + "/v1/streams/example/events?last_seq=1&interval=0.01s")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("another client:", resp.Status)

	answer, err := http.ReadResponse(bufio.NewReader(slow), nil)
	if err != nil {
		log.Fatal(err)
	}
	answer.Body.Close()
	fmt.Println("the slow body:", answer.Status)
	// Output:
	// another client: 200 OK
	// the slow body: 408 Request Timeout
}
