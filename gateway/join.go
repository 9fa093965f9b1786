package gateway

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// Join serves the routes of several gateways, one per backend, as one
// handler. Unknown paths and wrong HTTP methods are answered as a single
// Gateway answers them, and the first gateway's CORS policy applies to
// all. Two gateways serving the same HTTP method and path template are an
// error.
func Join(gateways ...*Gateway) (http.Handler, error) {
	if len(gateways) == 0 {
		return nil, errors.New("gateway: Join needs at least one gateway")
	}
	first := gateways[0]
	mux := runtime.NewServeMux(
		runtime.WithErrorHandler(first.muxErrorHandler),
		runtime.WithRoutingErrorHandler(first.routingErrorHandler),
		runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved),
	)
	seen := map[string]string{}
	var all []*route
	for _, g := range gateways {
		all = append(all, g.routes...)
		for _, rt := range g.routes {
			key := rt.HTTPMethod + " " + rt.Path
			if other, ok := seen[key]; ok {
				return nil, fmt.Errorf("gateway: route %s is served for both %s and %s", key, other, rt.GRPCMethod)
			}
			seen[key] = rt.GRPCMethod
		}
		if err := g.Register(mux); err != nil {
			return nil, err
		}
	}
	cors := first.cors
	if cors != nil {
		cors = cors.withMethods(all)
	}
	return first.wrap(mux, cors), nil
}
