package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// serveUnary serves one call of a unary method: it reads the body and
// builds the request as for a stream, calls the backend with the request's deadline, and answers
// with the response as JSON, or with the call's status as JSON and the
// HTTP status of its code. The backend's header and trailer metadata on
// the allowlist become response headers either way.
func (g *Gateway) serveUnary(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
	if r.Method != rt.HTTPMethod {
		g.methodNotAllowed(w, r)
		return
	}
	ur, w, admitted := g.admitUnary(rt, w, r)
	defer ur.end()
	if !admitted {
		return
	}
	body, err := g.routeBody(rt, w, r)
	if err != nil {
		if be, ok := errors.AsType[*bodyError](err); ok {
			err = be.err
		}
		ur.fail(w, err)
		return
	}
	ctx, cancel, err := g.unaryContext(r)
	if err != nil {
		ur.fail(w, err)
		return
	}
	defer cancel()
	req, md, err := g.buildRequest(rt, r, pathParams, body)
	if err != nil {
		ur.fail(w, err)
		return
	}
	ctx = metadata.NewOutgoingContext(ctx, ur.traceMetadata(md))

	var resp frame
	defer resp.release()
	var header, trailer metadata.MD
	err = g.conn.Invoke(ctx, rt.method.fullName, req, &resp, g.backendCodec, grpc.Header(&header), grpc.Trailer(&trailer))
	h := w.Header()
	for _, md := range []metadata.MD{g.forwardedMetadata(header), g.forwardedMetadata(trailer)} {
		for key, values := range md {
			for _, v := range values {
				h.Add(key, v)
			}
		}
	}
	if err != nil {
		ur.fail(w, err)
		return
	}
	out, err := g.unaryResponseJSON(rt, resp.bytes())
	if err != nil {
		ur.fail(w, status.Errorf(codes.Internal, "encoding %s as JSON: %v", rt.method.desc.Output().FullName(), err))
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	h.Set("X-Content-Type-Options", "nosniff")
	ur.respond(w, out)
}

// unaryContext returns the context of a unary call: the request's,
// cancelled when the client goes away, with the deadline of its
// Grpc-Timeout header and WithUnaryTimeout, whichever is sooner. A zero
// Grpc-Timeout sets no deadline, as with grpc-gateway.
func (g *Gateway) unaryContext(r *http.Request) (context.Context, context.CancelFunc, error) {
	timeout := g.cfg.unary.timeout
	if v := r.Header.Get("Grpc-Timeout"); v != "" {
		d, err := parseGRPCTimeout(v)
		if err != nil {
			return nil, nil, invalidArgument("invalid Grpc-Timeout %q: %v", v, err)
		}
		if d > 0 && (timeout <= 0 || d < timeout) {
			timeout = d
		}
	}
	if timeout <= 0 {
		ctx, cancel := context.WithCancel(r.Context())
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	return ctx, cancel, nil
}
