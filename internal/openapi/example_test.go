package openapi_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/bufbuild/protocompile"

	"github.com/ssegw/ssegw/internal/openapi"
)

// A service known only from its .proto source, compiled at run time.
const exampleProto = `syntax = "proto3";
package shop.v1;

service Orders {
  // Watch streams the changes of an order.
  rpc Watch(WatchRequest) returns (stream OrderEvent);
}

message WatchRequest {
  // The order, "orders/{id}".
  string name = 1;
}

message OrderEvent {
  int64 seq = 1;
  string state = 2;
}
`

func ExampleBuild() {
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: func(path string) (io.ReadCloser, error) {
			if path != "shop.proto" {
				return nil, fs.ErrNotExist
			}
			return io.NopCloser(strings.NewReader(exampleProto)), nil
		}}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := compiler.Compile(context.Background(), "shop.proto")
	if err != nil {
		panic(err)
	}
	watch := files[0].Services().Get(0).Methods().ByName("Watch")
	doc, err := openapi.Build(
		openapi.Info{Title: "Shop", Version: "1.0", Servers: []openapi.Server{{URL: "https://shop.example.com"}}},
		[]openapi.Route{{
			Method: "GET",
			Path:   "/v1/{name=orders/*}:watch",
			Desc:   watch,
			Stream: &openapi.Stream{Event: "order", IDField: "seq"},
		}},
	)
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.Contains(line, `"/v1/`) || strings.Contains(line, `"summary"`) || strings.Contains(line, "which the path sets") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// "/v1/orders/{order}:watch": {
	// "summary": "Watch streams the changes of an order.",
	// "description": "The order, \"orders/{id}\".\n\nA segment of the request field `name`, which the path sets to `orders/{order}`.",
}
