package sseclient

import (
	"cmp"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A unary method's route
//
// The gateway serves a unary method at each binding of its google.api.http
// rule, with any HTTP method, and a method without a rule at
// POST /<package.Service>/<Method> with the request as the body. A Conn
// picks, among the bindings whose path variables the request can fill,
// the first one without a response_body (whose answer is the whole
// response), preferring one with body "*" when the request is larger than
// WithMaxQueryRequestBytes. The request travels as protojson: as the body
// of a binding with body "*"; for a binding whose body is a message field,
// that field as the body and the rest in the "request" query parameter;
// otherwise all of it in the "request" query parameter, which the gateway
// applies first (the body of a binding with a body field is then empty,
// which leaves the request alone).

// unaryRoute is one binding of a unary method.
type unaryRoute struct {
	httpRoute
	responseBody string // the response field the answer holds; "" for the whole response
}

// unaryPlan is how one unary call is sent, and what its answer holds.
type unaryPlan struct {
	requestPlan
	responseBody protoreflect.FieldDescriptor // nil: the whole response
}

// unaryRoutesOf returns every binding of the method's google.api.http
// rule, in order; none when it has no rule.
func unaryRoutesOf(md protoreflect.MethodDescriptor) []unaryRoute {
	rule := httpRule(md)
	if rule == nil {
		return nil
	}
	var routes []unaryRoute
	for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
		rt := unaryRoute{httpRoute: httpRoute{body: r.GetBody()}, responseBody: r.GetResponseBody()}
		switch {
		case r.GetGet() != "":
			rt.verb, rt.path = http.MethodGet, r.GetGet()
		case r.GetPut() != "":
			rt.verb, rt.path = http.MethodPut, r.GetPut()
		case r.GetPost() != "":
			rt.verb, rt.path = http.MethodPost, r.GetPost()
		case r.GetDelete() != "":
			rt.verb, rt.path = http.MethodDelete, r.GetDelete()
		case r.GetPatch() != "":
			rt.verb, rt.path = http.MethodPatch, r.GetPatch()
		case r.GetCustom().GetKind() != "" && r.GetCustom().GetPath() != "":
			rt.verb, rt.path = r.GetCustom().GetKind(), r.GetCustom().GetPath()
		default:
			continue
		}
		routes = append(routes, rt)
	}
	return routes
}

// planUnary decides how to send req to the unary method: its route, the
// path with the request's fields in it, and the request as protojson in
// the query or the body. Errors are InvalidArgument or Internal status
// errors.
func planUnary(fullMethod string, md protoreflect.MethodDescriptor, req proto.Message, cfg *config) (unaryPlan, error) {
	reqJSON, err := protojson.Marshal(req)
	if err != nil {
		return unaryPlan{}, internalError("sseclient: %s: encoding the request as JSON: %v", fullMethod, err)
	}
	var routes []unaryRoute
	if md != nil {
		routes = unaryRoutesOf(md)
	}
	if len(routes) == 0 {
		if !strings.HasPrefix(fullMethod, "/") {
			fullMethod = "/" + fullMethod
		}
		routes = []unaryRoute{{httpRoute: httpRoute{verb: http.MethodPost, path: fullMethod, body: "*"}}}
	}
	query := requestQuery(reqJSON, cfg)

	// The candidates, best first: without a response_body before with
	// one, and one whose query holds no more than WithMaxQueryRequestBytes
	// of the request before one whose query holds more.
	var best *unaryPlan
	bestRank := 0
	var firstErr error
	for _, rt := range routes {
		path, err := expandPath(rt.path, req.ProtoReflect())
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		var fd protoreflect.FieldDescriptor
		if rt.responseBody != "" {
			if md == nil {
				continue
			}
			if fd = md.Output().Fields().ByName(protoreflect.Name(rt.responseBody)); fd == nil {
				continue
			}
		}
		plan := unaryPlan{requestPlan: requestPlan{method: rt.verb, target: path + query}, responseBody: fd}
		queried := len(reqJSON) // the bytes of the request in the query
		switch {
		case rt.body == "*":
			plan.target, plan.body, queried = path, reqJSON, 0
		case rt.body != "":
			plan.body = []byte{} // the body field travels in the request parameter
			if body, rest, ok, err := splitBodyField(req, rt.body); err != nil {
				return unaryPlan{}, internalError("sseclient: %s: encoding the request as JSON: %v", fullMethod, err)
			} else if ok {
				plan.target, plan.body, queried = path+requestQuery(rest, cfg), body, len(rest)
			}
		}
		rank := 0
		if rt.responseBody != "" {
			rank += 2
		}
		if queried > cfg.maxQueryRequest {
			rank++
		}
		if best == nil || rank < bestRank {
			best, bestRank = &plan, rank
		}
	}
	if best == nil {
		return unaryPlan{}, status.Errorf(codes.InvalidArgument, "sseclient: %s: no route of the method fits the request: %v", fullMethod, firstErr)
	}
	return *best, nil
}

// requestQuery returns the query that carries the request reqJSON in the
// request parameter, or "" for an empty request.
func requestQuery(reqJSON []byte, cfg *config) string {
	if string(reqJSON) == "{}" {
		return ""
	}
	return "?" + url.QueryEscape(cfg.requestParam) + "=" + url.QueryEscape(string(reqJSON))
}

// splitBodyField returns, for a binding whose body is the field named
// field, that field's message as protojson and the rest of req as
// protojson. ok is false when the field is not a singular message, or is
// not set: then the whole request travels in the query.
func splitBodyField(req proto.Message, field string) (body, rest []byte, ok bool, err error) {
	m := req.ProtoReflect()
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(field))
	if fd == nil || fd.Message() == nil || fd.Cardinality() == protoreflect.Repeated || !m.Has(fd) {
		return nil, nil, false, nil
	}
	if body, err = protojson.Marshal(m.Get(fd).Message().Interface()); err != nil {
		return nil, nil, false, err
	}
	others := proto.Clone(req).ProtoReflect()
	others.Clear(fd)
	if rest, err = protojson.Marshal(others.Interface()); err != nil {
		return nil, nil, false, err
	}
	return body, rest, true, nil
}
