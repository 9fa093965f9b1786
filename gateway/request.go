package gateway

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// buildRequest makes the request message of rt from an HTTP request: first
// the JSON request (the POST body, or the request query parameter), then
// path variables, then the other query parameters, then the last event id
// into the resume field. It also returns the metadata for the backend.
// Errors are InvalidArgument status errors that name the offending
// parameter.
func (g *Gateway) buildRequest(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) (proto.Message, metadata.MD, error) {
	msg := rt.method.in.New().Interface()
	query := r.URL.Query()

	if r.Method == http.MethodPost && rt.Body != "" {
		if err := g.decodeBody(rt, w, r, msg); err != nil {
			return nil, nil, err
		}
	}
	if values, ok := query[g.cfg.requestParam]; ok {
		if len(values) != 1 {
			return nil, nil, invalidArgument("query parameter %q given %d times", g.cfg.requestParam, len(values))
		}
		if int64(len(values[0])) > g.cfg.maxRequestBytes {
			return nil, nil, invalidArgument("query parameter %q is larger than %d bytes", g.cfg.requestParam, g.cfg.maxRequestBytes)
		}
		if err := g.unmarshalRequest.Unmarshal([]byte(values[0]), msg); err != nil {
			return nil, nil, invalidArgument("query parameter %q: %v", g.cfg.requestParam, err)
		}
	}
	for name, value := range pathParams {
		if err := runtime.PopulateFieldFromPath(msg, name, value); err != nil {
			return nil, nil, invalidArgument("path variable %q: %v", name, err)
		}
	}
	if rt.Body != "*" {
		params := make(url.Values, len(query))
		for k, v := range query {
			if k != g.cfg.requestParam && k != g.cfg.lastEventIDParam && k != g.cfg.tokenParam {
				params[k] = v
			}
		}
		if err := runtime.PopulateQueryParameters(msg, params, rt.pathFields); err != nil {
			return nil, nil, invalidArgument("query parameters: %v", err)
		}
	}

	lastID, err := g.lastEventID(r, query)
	if err != nil {
		return nil, nil, err
	}
	if lastID != "" && rt.method.resume != nil {
		if err := runtime.PopulateFieldFromPath(msg, rt.method.resume.String(), lastID); err != nil {
			return nil, nil, invalidArgument("Last-Event-ID %q does not fit field %s: %v", lastID, rt.method.resume, err)
		}
	}
	token, err := g.accessToken(r, query)
	if err != nil {
		return nil, nil, err
	}
	return msg, g.outgoingMetadata(r, lastID, token), nil
}

// decodeBody reads a POST body of at most maxRequestBytes into msg, or into
// the body field of rt.
func (g *Gateway) decodeBody(rt *route, w http.ResponseWriter, r *http.Request, msg proto.Message) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return invalidArgument("request body must be application/json, not %q", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.maxRequestBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return invalidArgument("request body is larger than %d bytes", g.cfg.maxRequestBytes)
		}
		return status.Errorf(codes.Canceled, "reading request body: %v", err)
	}
	if len(body) == 0 {
		return nil
	}
	target := msg.ProtoReflect()
	if rt.body != nil {
		target = target.Mutable(rt.body).Message()
	}
	if err := g.unmarshalRequest.Unmarshal(body, target.Interface()); err != nil {
		return invalidArgument("request body: %v", err)
	}
	return nil
}

// lastEventID returns the Last-Event-ID header, or else the last event id
// query parameter, after checking that it is a printable line of bounded
// length.
func (g *Gateway) lastEventID(r *http.Request, query url.Values) (string, error) {
	id := r.Header.Get("Last-Event-ID")
	if id == "" {
		id = query.Get(g.cfg.lastEventIDParam)
	}
	switch {
	case len(id) > DefaultMaxLastEventIDLen:
		return "", invalidArgument("Last-Event-ID is longer than %d bytes", DefaultMaxLastEventIDLen)
	case !utf8.ValidString(id):
		return "", invalidArgument("Last-Event-ID is not valid UTF-8")
	case strings.ContainsAny(id, "\r\n\x00"):
		return "", invalidArgument("Last-Event-ID contains a line break or NUL")
	}
	return id, nil
}

func invalidArgument(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}

// requestUnmarshaler is how request JSON is read: unknown fields are
// errors, so that a misspelt field is reported instead of ignored.
func requestUnmarshaler(resolver *typeResolver) protojson.UnmarshalOptions {
	return protojson.UnmarshalOptions{Resolver: resolver}
}
