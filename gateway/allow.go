package gateway

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// allowIndex tells which HTTP methods have a route for a path, for the
// Allow header of a 405. It holds one ServeMux per HTTP method with that
// method's routes, so that paths match exactly as on the gateway's mux
// (templates, verbs, unescaping).
type allowIndex map[string]*runtime.ServeMux

// allowProbe is the context key of the flag a probe's handler sets.
type allowProbe struct{}

func newAllowIndex(routes []*route) (allowIndex, error) {
	idx := allowIndex{}
	ignore := func(context.Context, *runtime.ServeMux, runtime.Marshaler, http.ResponseWriter, *http.Request, int) {}
	ignoreErr := func(context.Context, *runtime.ServeMux, runtime.Marshaler, http.ResponseWriter, *http.Request, error) {
	}
	for _, rt := range routes {
		mux := idx[rt.HTTPMethod]
		if mux == nil {
			mux = runtime.NewServeMux(
				runtime.WithRoutingErrorHandler(ignore),
				runtime.WithErrorHandler(ignoreErr),
				runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved),
				runtime.WithDisablePathLengthFallback(),
			)
			idx[rt.HTTPMethod] = mux
		}
		err := mux.HandlePath(rt.HTTPMethod, rt.Path, func(_ http.ResponseWriter, r *http.Request, _ map[string]string) {
			if hit, ok := r.Context().Value(allowProbe{}).(*bool); ok {
				*hit = true
			}
		})
		if err != nil {
			return nil, fmt.Errorf("gateway: route %s %s for %s: %w", rt.HTTPMethod, rt.Path, rt.GRPCMethod, err)
		}
	}
	return idx, nil
}

// allowed returns the HTTP methods that have a route for r's path, as the
// value of an Allow header.
func (a allowIndex) allowed(r *http.Request) string {
	var methods []string
	for _, m := range slices.Sorted(maps.Keys(a)) {
		hit := false
		probe := r.Clone(context.WithValue(r.Context(), allowProbe{}, &hit))
		probe.Method, probe.Body = m, http.NoBody
		a[m].ServeHTTP(probeResponse{}, probe)
		if hit {
			methods = append(methods, m)
		}
	}
	return strings.Join(methods, ", ")
}

// methodNotAllowed answers 405 with the Allow header.
func (g *Gateway) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if allow := g.allow.allowed(r); allow != "" {
		w.Header().Set("Allow", allow)
	}
	g.writeStatus(w, &runtime.HTTPStatusError{
		HTTPStatus: http.StatusMethodNotAllowed,
		Err:        status.Errorf(codes.Unimplemented, "method %s is not allowed for %s", r.Method, r.URL.Path),
	})
}

// probeResponse is the ResponseWriter of probes.
type probeResponse struct{}

func (probeResponse) Header() http.Header         { return http.Header{} }
func (probeResponse) Write(b []byte) (int, error) { return len(b), nil }
func (probeResponse) WriteHeader(int)             {}
