package gateway

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// buildRequest makes the request message of rt from an HTTP request and
// its body, as routeBody read it (see internal/httprequest for the order
// and the rules), then sets the last event id into the resume field. It
// also returns the metadata for the backend. Errors are InvalidArgument
// status errors that name the offending parameter.
func (g *Gateway) buildRequest(rt *route, r *http.Request, pathParams map[string]string, body []byte) (proto.Message, metadata.MD, error) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, invalidArgument("malformed query: %v", err)
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

// routeBody reads the body of a request for rt before its stream is
// admitted (see readBody), and returns it when rt takes one: the JSON body
// of a route with a body field, on any HTTP method but GET. Any other body is read and dropped,
// so that none is left half-read on the connection. Errors are
// *bodyError.
func (g *Gateway) routeBody(rt *route, w http.ResponseWriter, r *http.Request) ([]byte, error) {
	takes := r.Method != http.MethodGet && rt.Body != ""
	if takes {
		if err := jsonContentType(r); err != nil {
			return nil, abandonBody(http.NewResponseController(w), &bodyError{reasonRefused, err})
		}
	}
	body, err := g.readBody(w, r)
	if !takes {
		body = nil
	}
	return body, err
}

// jsonContentType refuses a body that is not declared as JSON; a body
// without a Content-Type is taken as JSON.
func jsonContentType(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return invalidArgument("request body must be application/json, not %q", ct)
		}
	}
	return nil
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

func invalidArgument(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}
