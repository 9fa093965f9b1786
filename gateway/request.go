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
	"google.golang.org/protobuf/reflect/protoreflect"
)

// buildRequest makes the request message of rt from an HTTP request: first
// the JSON request (the POST body, or the request query parameter), then
// path variables, then the other query parameters, then the last event id
// into the resume field. It also returns the metadata for the backend.
// Errors are InvalidArgument status errors that name the offending
// parameter.
func (g *Gateway) buildRequest(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) (proto.Message, metadata.MD, error) {
	msg := rt.method.in.New().Interface()
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, invalidArgument("malformed query: %v", err)
	}

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
		if err := checkPathValue(value); err != nil {
			return nil, nil, invalidArgument("path variable %q: %v", name, err)
		}
		if err := runtime.PopulateFieldFromPath(msg, name, value); err != nil {
			return nil, nil, invalidArgument("path variable %q: %v", name, err)
		}
	}
	if rt.Body != "*" {
		params := make(url.Values, len(query))
		for k, v := range query {
			if k == g.cfg.requestParam || k == g.cfg.lastEventIDParam || (g.cfg.tokenParam != "" && k == g.cfg.tokenParam) {
				continue
			}
			if err := checkQueryParam(rt.method.desc.Input(), k); err != nil && !g.cfg.ignoreUnknownParams {
				return nil, nil, err
			}
			params[k] = v
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
	// Refuse what the backend could not decode (invalid UTF-8 in a string
	// field) here, before a call is made.
	if _, err := proto.Marshal(msg); err != nil {
		return nil, nil, invalidArgument("request cannot be encoded: %v", err)
	}
	md, err := g.outgoingMetadata(r, lastID, token)
	if err != nil {
		return nil, nil, err
	}
	return msg, md, nil
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
			return &runtime.HTTPStatusError{
				HTTPStatus: http.StatusRequestEntityTooLarge,
				Err:        invalidArgument("request body is larger than %d bytes", g.cfg.maxRequestBytes),
			}
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
	if n := len(r.Header.Values("Last-Event-ID")); n > 1 {
		return "", invalidArgument("header Last-Event-ID given %d times", n)
	}
	if n := len(query[g.cfg.lastEventIDParam]); n > 1 {
		return "", invalidArgument("query parameter %q given %d times", g.cfg.lastEventIDParam, n)
	}
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

// checkPathValue refuses path variable values with "." or ".." segments,
// which a backend that maps names to paths could be led astray by.
func checkPathValue(v string) error {
	for seg := range strings.SplitSeq(v, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("segment %q is not allowed", seg)
		}
	}
	return nil
}

// checkQueryParam checks that a query parameter names a field of md, by
// proto or JSON name, through singular message fields ("a.b.c"), with an
// optional map key ("labels[k]").
func checkQueryParam(md protoreflect.MessageDescriptor, key string) error {
	path := key
	if i := strings.IndexByte(key, '['); i >= 0 && strings.HasSuffix(key, "]") {
		path = key[:i]
	}
	parts := strings.Split(path, ".")
	for i, name := range parts {
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return invalidArgument("unknown query parameter %q: %s has no field %q", key, md.FullName(), name)
		}
		if i < len(parts)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return invalidArgument("query parameter %q: field %s is not a singular message", key, fd.FullName())
			}
			md = fd.Message()
		}
	}
	return nil
}

func invalidArgument(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}

// requestUnmarshaler is how request JSON is read: unknown fields are
// errors, so that a misspelt field is reported instead of ignored.
func requestUnmarshaler(resolver *typeResolver) protojson.UnmarshalOptions {
	return protojson.UnmarshalOptions{Resolver: resolver}
}
