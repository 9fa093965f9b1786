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
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// buildRequest makes the request message of rt from an HTTP request (see
// internal/httprequest for the order and the rules), then sets the last
// event id into the resume field. It also returns the metadata for the
// backend. Errors are InvalidArgument status errors that name the
// offending parameter (and a 413 for a body over the size limit).
func (g *Gateway) buildRequest(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) (proto.Message, metadata.MD, error) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, invalidArgument("malformed query: %v", err)
	}
	var body []byte
	if rt.Body != "" && r.Method != http.MethodGet {
		if body, err = g.readBody(w, r); err != nil {
			return nil, nil, err
		}
	}
	msg, err := rt.request.Build(httprequest.Request{PathValues: pathParams, Query: query, Body: body})
	if err != nil {
		return nil, nil, err
	}

	lastID, err := g.lastEventID(r, query)
	if err != nil {
		return nil, nil, err
	}
	if lastID != "" && rt.method.resume != nil {
		if err := rt.method.resume.Set(msg.ProtoReflect(), lastID); err != nil {
			return nil, nil, invalidArgument("Last-Event-ID %q does not fit field %s: %v", lastID, rt.method.resume, err)
		}
	}
	token, err := g.accessToken(r, query)
	if err != nil {
		return nil, nil, err
	}
	// Refuse what the backend could not decode (invalid UTF-8 in a string
	// field, a required field not set) here, before a call is made.
	if _, err := proto.Marshal(msg); err != nil {
		return nil, nil, invalidArgument("request cannot be encoded: %v", err)
	}
	md, err := g.outgoingMetadata(r, lastID, token)
	if err != nil {
		return nil, nil, err
	}
	return msg, md, nil
}

// readBody reads a JSON request body of at most maxRequestBytes.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, invalidArgument("request body must be application/json, not %q", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.maxRequestBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &runtime.HTTPStatusError{
				HTTPStatus: http.StatusRequestEntityTooLarge,
				Err:        invalidArgument("request body is larger than %d bytes", g.cfg.maxRequestBytes),
			}
		}
		return nil, status.Errorf(codes.Canceled, "reading request body: %v", err)
	}
	return body, nil
}

// requestOptions are how routes build request messages: the backend's
// types for Any values and extensions, the request parameter, and the
// gateway's own query parameters, which name no field.
func (c *config) requestOptions(resolver *typeResolver) httprequest.Options {
	reserved := []string{c.lastEventIDParam}
	if c.tokenParam != "" {
		reserved = append(reserved, c.tokenParam)
	}
	return httprequest.Options{
		Resolver:             resolver,
		RequestParam:         c.requestParam,
		MaxRequestParamBytes: c.maxRequestBytes,
		Reserved:             reserved,
		RefuseUnknown:        !c.ignoreUnknownParams,
	}
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
