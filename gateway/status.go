package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

// statusJSON encodes st as a google.rpc.Status in JSON, with a "trailers"
// member added when trailers is not empty. Details whose types the gateway
// cannot resolve are left out rather than failing the whole status.
func (g *Gateway) statusJSON(st *status.Status, trailers metadata.MD) []byte {
	p := st.Proto()
	b, err := g.statuses.MarshalAppend(nil, p)
	if err != nil {
		kept := p.GetDetails()[:0:0]
		for _, d := range p.GetDetails() {
			if _, err := g.resolver.FindMessageByURL(d.GetTypeUrl()); err == nil {
				kept = append(kept, d)
			}
		}
		p.Details = kept
		if b, err = g.statuses.MarshalAppend(nil, p); err != nil {
			p.Details = []*anypb.Any{}
			b, _ = g.statuses.MarshalAppend(nil, p)
		}
	}
	if len(trailers) == 0 {
		return b
	}
	if len(b) < 2 {
		return b
	}
	out := b[: len(b)-1 : len(b)-1]
	if len(bytes.TrimSpace(out)) > 1 {
		out = append(out, ',')
	}
	out = append(out, `"trailers":`...)
	out = append(out, metadataJSON(trailers)...)
	return append(out, '}')
}

// metadataJSON encodes metadata as a JSON object of string arrays, keys
// sorted, compact, with strings escaped as in the rest of the gateway's
// JSON (no HTML escapes).
func metadataJSON(md metadata.MD) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(md); err != nil {
		return []byte("{}")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// writeStatus answers a request that failed before its stream started: the
// HTTP status that corresponds to the gRPC code (or the one a
// runtime.HTTPStatusError carries), and the status as JSON.
func (g *Gateway) writeStatus(w http.ResponseWriter, err error) {
	httpStatus := 0
	if hse, ok := errors.AsType[*runtime.HTTPStatusError](err); ok {
		httpStatus, err = hse.HTTPStatus, hse.Err
	}
	st := status.Convert(err)
	if st.Code() == codes.OK {
		st = status.New(codes.Internal, "stream ended without a status")
	}
	if httpStatus == 0 {
		httpStatus = runtime.HTTPStatusFromCode(st.Code())
	}
	body := g.statusJSON(st, nil)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if (httpStatus == http.StatusServiceUnavailable || httpStatus == http.StatusTooManyRequests) && h.Get("Retry-After") == "" {
		h.Set("Retry-After", strconv.Itoa(max(1, int((g.cfg.retry+time.Second-1)/time.Second))))
	}
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// muxErrorHandler answers errors of the gateway's own ServeMux, such as a
// malformed path, like errors of the gateway's routes.
func (g *Gateway) muxErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
	g.writeStatus(w, err)
}

// routingErrorHandler answers requests that match no route: 404 for an
// unknown path, 405 with an Allow header for a known path with another
// HTTP method.
func (g *Gateway) routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	var err error
	switch httpStatus {
	case http.StatusNotFound:
		err = status.Errorf(codes.NotFound, "no route for %s", r.URL.Path)
	case http.StatusMethodNotAllowed:
		g.methodNotAllowed(w, r)
		return
	case http.StatusBadRequest:
		err = status.Error(codes.InvalidArgument, http.StatusText(httpStatus))
	default:
		err = status.Error(codes.Internal, http.StatusText(httpStatus))
	}
	g.writeStatus(w, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: err})
}
