package sseclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/pbjson"
)

// Invoke calls a unary method through the gateway's JSON route for it
// (see [Conn]): it sends the request as JSON, with the context's deadline
// as a Grpc-Timeout header and its outgoing metadata as headers, and
// decodes the JSON answer into reply. A failure is a gRPC status error:
// the status the gateway sends as JSON (a [*ResponseError], with the HTTP
// status, headers and body), or Canceled, DeadlineExceeded, Unavailable
// for the request itself, ResourceExhausted for an answer over the
// maximum size (WithMaxEventSize, grpc.MaxCallRecvMsgSize), and Internal
// for an answer that is not the response's JSON.
//
// grpc.Header receives the response headers as metadata, which carry the
// backend's header and trailer metadata that the gateway passes on;
// grpc.Trailer receives the HTTP trailers, if any, and the trailers of a
// JSON status that carries them. Options for the call go in [PerCall]; the
// reconnection options do not apply: a unary call is never repeated.
func (c *Conn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	var callOpts []Option
	var headerAddrs, trailerAddrs []*metadata.MD
	for _, o := range opts {
		switch o := o.(type) {
		case callOption:
			callOpts = append(callOpts, o.opts...)
		case grpc.HeaderCallOption:
			headerAddrs = append(headerAddrs, o.HeaderAddr)
		case grpc.TrailerCallOption:
			trailerAddrs = append(trailerAddrs, o.TrailerAddr)
		case grpc.MaxRecvMsgSizeCallOption:
			callOpts = append(callOpts, WithMaxEventSize(o.MaxRecvMsgSize))
		}
	}
	cfg := c.cfg.with(callOpts)
	resolver := c.resolver
	if len(cfg.files) != len(c.cfg.files) {
		resolver = newResolver(cfg.files)
	}
	req, ok := args.(proto.Message)
	if !ok {
		return internalError("sseclient: %s: the request, a %T, is not a protobuf message", method, args)
	}
	out, ok := reply.(proto.Message)
	if !ok {
		return internalError("sseclient: %s: cannot receive into a %T, which is not a protobuf message", method, reply)
	}
	plan, err := planUnary(method, findMethod(method, req, cfg.files), req, &cfg)
	if err != nil {
		return err
	}
	u := unaryCall{cfg: &cfg, method: method, plan: plan, resolver: resolver, plans: c.plans}
	header, trailer, err := u.do(ctx, out)
	for _, p := range headerAddrs {
		*p = header.Copy()
	}
	for _, p := range trailerAddrs {
		*p = trailer.Copy()
	}
	return err
}

// unaryCall is one call of a unary method.
type unaryCall struct {
	cfg      *config
	method   string
	plan     unaryPlan
	resolver typeResolver
	plans    *pbjson.DecodePlans
}

// do makes the HTTP request and decodes its answer into out. It returns
// the response headers and trailers as metadata.
func (u *unaryCall) do(ctx context.Context, out proto.Message) (header, trailer metadata.MD, err error) {
	url, err := u.cfg.resolve(u.plan.target)
	if err != nil {
		return nil, nil, status.Error(codes.InvalidArgument, err.Error())
	}
	var body io.Reader
	if u.plan.body != nil {
		body = bytes.NewReader(u.plan.body)
	}
	req, err := http.NewRequestWithContext(ctx, u.plan.method, url, body)
	if err != nil {
		return nil, nil, status.Error(codes.InvalidArgument, fmt.Sprintf("sseclient: %s: %v", u.method, err))
	}
	for k, v := range u.cfg.header {
		req.Header[k] = slices.Clone(v)
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		addMetadataHeaders(req.Header, md)
	}
	req.Header.Set("Accept", "application/json")
	if len(u.plan.body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if deadline, ok := ctx.Deadline(); ok {
		timeout := time.Until(deadline)
		if timeout <= 0 {
			return nil, nil, status.Error(codes.DeadlineExceeded, context.DeadlineExceeded.Error())
		}
		req.Header.Set("Grpc-Timeout", encodeTimeout(timeout))
	}

	resp, err := u.cfg.httpClient.Do(req)
	if err != nil {
		return nil, nil, toStatusError(fmt.Errorf("sseclient: %s %s: %w", u.plan.method, url, err))
	}
	defer resp.Body.Close()
	header = headerMetadata(resp.Header)
	limit := u.cfg.maxEventSize
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return header, nil, toStatusError(fmt.Errorf("sseclient: %s %s: reading the answer: %w", u.plan.method, url, err))
	}
	if len(resp.Trailer) > 0 {
		trailer = headerMetadata(resp.Trailer)
	}
	if len(data) > limit {
		return header, trailer, status.Errorf(codes.ResourceExhausted, "sseclient: %s %s: the answer is larger than %d bytes", u.plan.method, url, limit)
	}
	if resp.StatusCode != http.StatusOK {
		e := newResponseError(u.plan.method, url, resp, data[:min(len(data), maxStatusBodyBytes)], u.resolver)
		if isJSON(resp.Header.Get("Content-Type")) {
			if _, tr, err := decodeStatus(data, u.resolver); err == nil && len(tr) > 0 {
				trailer = mergeMetadata(trailer, tr)
			}
		}
		return header, trailer, e
	}
	if ct := resp.Header.Get("Content-Type"); !isJSON(ct) {
		return header, trailer, status.Errorf(codes.Internal, "sseclient: %s %s: the answer's content type %q is not JSON", u.plan.method, url, ct)
	}
	if err := decodeUnary(data, out, u.plan.responseBody, u.resolver, u.plans); err != nil {
		return header, trailer, status.Errorf(codes.Internal, "sseclient: %s: decoding the answer as %s: %v", u.method, out.ProtoReflect().Descriptor().FullName(), err)
	}
	return header, trailer, nil
}

// decodeUnary decodes the JSON answer of a unary call into msg: the whole
// message, or, for a route with a response_body, that field of it. It is
// where every unary answer is decoded, as protojson that ignores unknown
// fields (so that a newer server does not break an older client), by the
// decoding plans kept in plans, as events are.
func decodeUnary(data []byte, msg proto.Message, field protoreflect.FieldDescriptor, resolver typeResolver, plans *pbjson.DecodePlans) error {
	if field != nil {
		// The field's value as the member of its message.
		wrapped := make([]byte, 0, len(data)+len(field.JSONName())+5)
		wrapped = fmt.Appendf(wrapped, "{%q:", field.JSONName())
		wrapped = append(append(wrapped, bytes.TrimSpace(data)...), '}')
		data = wrapped
	}
	return pbjson.NewDecoder(protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: resolver}, plans).Unmarshal(data, msg)
}

// encodeTimeout writes a Grpc-Timeout header value as gRPC does: the
// smallest unit whose count of it fits in eight digits, rounded up.
func encodeTimeout(d time.Duration) string {
	const maxDigits = 1e8
	for _, u := range []struct {
		unit time.Duration
		name string
	}{
		{time.Nanosecond, "n"}, {time.Microsecond, "u"}, {time.Millisecond, "m"},
		{time.Second, "S"}, {time.Minute, "M"}, {time.Hour, "H"},
	} {
		if n := (d + u.unit - 1) / u.unit; n < maxDigits {
			return strconv.FormatInt(int64(n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(maxDigits-1), 10) + "H"
}

// mergeMetadata returns a with the values of b added.
func mergeMetadata(a, b metadata.MD) metadata.MD {
	out := a.Copy()
	if out == nil {
		out = metadata.MD{}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		out[k] = append(out[k], b[k]...)
	}
	return out
}
