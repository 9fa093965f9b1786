package gateway_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
)

// A backend without server reflection, described by its .proto file,
// compiled when the gateway is built. Its imports of google/api and the
// well-known types need not be on the import path.
func ExampleWithProtoFiles() {
	dir, err := os.MkdirTemp("", "protos")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const feed = `edition = "2023";

package acme.v1;

import "google/api/annotations.proto";
import "google/protobuf/timestamp.proto";

message WatchRequest {
  string name = 1;
}

message Update {
  google.protobuf.Timestamp time = 1;
}

service Feed {
  // Watch streams the updates of a feed.
  rpc Watch(WatchRequest) returns (stream Update) {
    option (google.api.http) = {get: "/v1/{name=feeds/*}:watch"};
  }
}
`
	if err := os.MkdirAll(filepath.Join(dir, "acme", "v1"), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acme", "v1", "feed.proto"), []byte(feed), 0o644); err != nil {
		log.Fatal(err)
	}

	conn, err := grpc.NewClient("localhost:50051", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	gw, err := gateway.New(context.Background(), conn,
		gateway.WithProtoFiles([]string{"acme/v1/feed.proto"}, dir))
	if err != nil {
		log.Fatal(err)
	}
	for _, rt := range gw.Routes() {
		fmt.Println(rt.HTTPMethod, rt.Path, rt.GRPCMethod)
	}
	// Output:
	// GET /v1/{name=feeds/*}:watch /acme.v1.Feed/Watch
}
