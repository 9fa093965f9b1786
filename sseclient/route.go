package sseclient

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// A method's route
//
// The gateway serves a server-streaming method at each GET and POST rule
// of its google.api.http option (with additional_bindings), and a method
// without such rules at GET /<package.Service>/<Method>. A Conn picks the
// first GET rule whose path variables the request can fill, or the first
// POST rule with body "*" when the request is larger than
// WithMaxQueryRequestBytes, or else the first POST rule. Path variables are
// filled from the request's fields, each segment path-escaped, and the
// whole request travels as protojson in the "request" query parameter (or
// as the body of a POST rule with body "*"), which the gateway applies
// before path variables.

// httpRoute is one HTTP binding of a method.
type httpRoute struct {
	verb string // GET or POST
	path string // path template
	body string // for POST: "*", a field name, or ""
}

// requestPlan is how one call is sent: HTTP method, path with query, and
// body.
type requestPlan struct {
	method string
	target string
	body   []byte // nil: no body
}

// findMethod looks up a method, named as gRPC names it
// ("/package.Service/Method"), in files, then in the global registry,
// then in the file that declares the request's type. It returns nil when
// the method is not found.
func findMethod(fullMethod string, req proto.Message, files []protoreflect.FileDescriptor) protoreflect.MethodDescriptor {
	svc, method, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return nil
	}
	svcName, methodName := protoreflect.FullName(svc), protoreflect.Name(method)
	for _, fd := range files {
		if md := methodIn(fd, svcName, methodName); md != nil {
			return md
		}
	}
	if d, err := protoregistry.GlobalFiles.FindDescriptorByName(svcName); err == nil {
		if sd, ok := d.(protoreflect.ServiceDescriptor); ok {
			if md := sd.Methods().ByName(methodName); md != nil {
				return md
			}
		}
	}
	if req != nil {
		return methodIn(req.ProtoReflect().Descriptor().ParentFile(), svcName, methodName)
	}
	return nil
}

func methodIn(fd protoreflect.FileDescriptor, svc protoreflect.FullName, method protoreflect.Name) protoreflect.MethodDescriptor {
	sd := fd.Services().ByName(svc.Name())
	if sd == nil || sd.FullName() != svc {
		return nil
	}
	return sd.Methods().ByName(method)
}

// routesOf returns the GET and POST bindings of the method's
// google.api.http rule, in order; none when it has no such rule.
func routesOf(md protoreflect.MethodDescriptor) []httpRoute {
	rule := httpRule(md)
	if rule == nil {
		return nil
	}
	var routes []httpRoute
	for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
		switch {
		case r.GetGet() != "":
			routes = append(routes, httpRoute{verb: http.MethodGet, path: r.GetGet()})
		case r.GetPost() != "":
			routes = append(routes, httpRoute{verb: http.MethodPost, path: r.GetPost(), body: r.GetBody()})
		}
	}
	return routes
}

// httpRule returns the method's google.api.http rule, or nil.
func httpRule(md protoreflect.MethodDescriptor) *annotations.HttpRule {
	rule, _ := methodExtension(md, annotations.E_Http).(*annotations.HttpRule)
	return rule
}

// planRequest decides how to send req to the method: its route, the path
// with the request's fields in it, and the request as protojson in the
// query or the body. Errors are InvalidArgument or Internal status errors.
func planRequest(fullMethod string, md protoreflect.MethodDescriptor, req proto.Message, cfg *config) (requestPlan, error) {
	reqJSON, err := protojson.Marshal(req)
	if err != nil {
		return requestPlan{}, internalError("sseclient: %s: encoding the request as JSON: %v", fullMethod, err)
	}
	var routes []httpRoute
	if md != nil {
		routes = routesOf(md)
	}
	if len(routes) == 0 {
		if !strings.HasPrefix(fullMethod, "/") {
			fullMethod = "/" + fullMethod
		}
		routes = []httpRoute{{verb: http.MethodGet, path: fullMethod}}
	}
	query := ""
	if string(reqJSON) != "{}" {
		query = "?" + url.QueryEscape(cfg.requestParam) + "=" + url.QueryEscape(string(reqJSON))
	}

	var get, post, postAll *requestPlan
	var firstErr error
	for _, rt := range routes {
		path, err := expandPath(rt.path, req.ProtoReflect())
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		switch {
		case rt.verb == http.MethodGet && get == nil:
			get = &requestPlan{method: http.MethodGet, target: path + query}
		case rt.verb == http.MethodPost && rt.body == "*" && postAll == nil:
			postAll = &requestPlan{method: http.MethodPost, target: path, body: reqJSON}
		case rt.verb == http.MethodPost && post == nil:
			// The body field travels in the request parameter with the
			// rest; an empty body leaves it alone.
			post = &requestPlan{method: http.MethodPost, target: path + query, body: []byte{}}
		}
	}
	switch {
	case postAll != nil && (get == nil || len(reqJSON) > cfg.maxQueryRequest):
		return *postAll, nil
	case get != nil:
		return *get, nil
	case post != nil:
		return *post, nil
	}
	return requestPlan{}, status.Errorf(codes.InvalidArgument, "sseclient: %s: no route of the method fits the request: %v", fullMethod, firstErr)
}

// expandPath fills the variables of a path template, such as
// "/v1/{name=streams/*}/events", with the text of the request's fields.
// Each value must match its variable's pattern (see fitPattern).
func expandPath(tmpl string, msg protoreflect.Message) (string, error) {
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("path template %s: unclosed variable", tmpl)
		}
		field, pattern, ok := strings.Cut(rest[i+1:i+j], "=")
		rest = rest[i+j+1:]
		field = strings.TrimSpace(field)
		if !ok {
			pattern = "*"
		}
		value, err := fieldText(msg, field)
		if err != nil {
			return "", fmt.Errorf("path template %s: %w", tmpl, err)
		}
		escaped, ok := fitPattern(value, strings.TrimSpace(pattern))
		if !ok {
			return "", fmt.Errorf("path template %s: field %s = %q does not match %q", tmpl, field, value, pattern)
		}
		b.WriteString(escaped)
	}
}

// fitPattern checks value against the pattern of a path variable ("*",
// "streams/*", "files/**") and returns it escaped for the gateway's
// router (grpc-gateway's ServeMux in its AllExceptReserved mode). A value
// for a lone "*" is one path segment, escaped whole, slashes included,
// since the router unescapes such a segment completely. Otherwise the
// value's segments must match the pattern's: literals exactly, "*" one
// segment (escaped whole), "**" the remaining ones. The router leaves the
// reserved characters of "**" segments escaped, so those are sent as they
// are where a path allows them, and a value that holds '?', '#', '[' or
// ']' there cannot be sent.
func fitPattern(value, pattern string) (string, bool) {
	if value == "" {
		return "", false
	}
	if pattern == "*" {
		return url.PathEscape(value), true
	}
	psegs := strings.Split(pattern, "/")
	vsegs := strings.Split(value, "/")
	out := make([]string, 0, len(vsegs))
	vi := 0
	for pi, p := range psegs {
		if p == "**" {
			if pi != len(psegs)-1 || vi >= len(vsegs) {
				return "", false
			}
			for _, v := range vsegs[vi:] {
				esc, ok := escapeKeepingReserved(v)
				if !ok {
					return "", false
				}
				out = append(out, esc)
			}
			vi = len(vsegs)
			break
		}
		if vi >= len(vsegs) || vsegs[vi] == "" || (p != "*" && p != vsegs[vi]) {
			return "", false
		}
		out = append(out, url.PathEscape(vsegs[vi]))
		vi++
	}
	if vi != len(vsegs) {
		return "", false
	}
	return strings.Join(out, "/"), true
}

// escapeKeepingReserved percent-encodes a path segment except for the
// characters RFC 3986 allows in one: unreserved characters, sub-delims,
// ':' and '@'. It reports false for an empty segment and for one with a
// reserved character that cannot stand in a path ('?', '#', '[', ']').
func escapeKeepingReserved(seg string) (string, bool) {
	if seg == "" || strings.ContainsAny(seg, "?#[]") {
		return "", false
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String(), true
}

// fieldText returns the text of the scalar field at a dotted path of proto
// field names, as grpc-gateway parses path variables back: strings as they
// are, numbers in decimal, enums by name, bytes in URL-safe base64.
func fieldText(msg protoreflect.Message, path string) (string, error) {
	names := strings.Split(path, ".")
	for i, name := range names {
		fd := msg.Descriptor().Fields().ByName(protoreflect.Name(name))
		switch {
		case fd == nil:
			return "", fmt.Errorf("%s has no field %q", msg.Descriptor().FullName(), name)
		case fd.IsList() || fd.IsMap():
			return "", fmt.Errorf("field %s is repeated", fd.FullName())
		case i < len(names)-1:
			if fd.Message() == nil {
				return "", fmt.Errorf("field %s is not a message", fd.FullName())
			}
			msg = msg.Get(fd).Message()
			continue
		}
		return scalarText(fd, msg.Get(fd))
	}
	return "", errors.New("empty field path")
}

func scalarText(fd protoreflect.FieldDescriptor, v protoreflect.Value) (string, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return v.String(), nil
	case protoreflect.BytesKind:
		return base64.URLEncoding.EncodeToString(v.Bytes()), nil
	case protoreflect.BoolKind:
		return strconv.FormatBool(v.Bool()), nil
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name()), nil
		}
		return strconv.FormatInt(int64(v.Enum()), 10), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.FormatInt(v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10), nil
	case protoreflect.FloatKind:
		return strconv.FormatFloat(v.Float(), 'g', -1, 32), nil
	case protoreflect.DoubleKind:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64), nil
	}
	return "", fmt.Errorf("field %s is a %s, which cannot be a path variable", fd.FullName(), fd.Kind())
}
