package gateway

import (
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// newUnaryMethod returns the method the gateway serves for a unary method:
// its name and types. Stream options do not apply to it.
func newUnaryMethod(md protoreflect.MethodDescriptor) *method {
	return &method{
		desc:     md,
		fullName: fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name()),
		in:       messageType(md.Input()),
		out:      messageType(md.Output()),
	}
}

// unaryRoutesOf returns the routes of a unary method m: one for each
// binding of its google.api.http rule (the rule and its additional
// bindings, with any verb: get, put, post, delete, patch or custom), each
// with its body and response_body, or POST /<package.Service>/<Method>
// with the request as the body when it has no rule.
func unaryRoutesOf(m *method, rule *annotations.HttpRule, ro httprequest.Options) ([]*route, error) {
	var routes []*route
	if rule != nil {
		for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
			verb, path, err := httpPattern(r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.desc.FullName(), err)
			}
			rt, err := newUnaryRoute(m, verb, path, r.GetBody(), r.GetResponseBody(), ro)
			if err != nil {
				return nil, err
			}
			routes = append(routes, rt)
		}
	}
	if len(routes) == 0 {
		rt, err := newUnaryRoute(m, http.MethodPost, m.fullName, "*", "", ro)
		if err != nil {
			return nil, err
		}
		routes = append(routes, rt)
	}
	return routes, nil
}

// httpPattern returns the HTTP method and path template of a rule.
func httpPattern(r *annotations.HttpRule) (verb, path string, err error) {
	switch {
	case r.GetGet() != "":
		return http.MethodGet, r.GetGet(), nil
	case r.GetPut() != "":
		return http.MethodPut, r.GetPut(), nil
	case r.GetPost() != "":
		return http.MethodPost, r.GetPost(), nil
	case r.GetDelete() != "":
		return http.MethodDelete, r.GetDelete(), nil
	case r.GetPatch() != "":
		return http.MethodPatch, r.GetPatch(), nil
	case r.GetCustom() != nil:
		kind, path := r.GetCustom().GetKind(), r.GetCustom().GetPath()
		if !isToken(kind) || path == "" {
			return "", "", fmt.Errorf("http rule: custom pattern %q %q needs an HTTP method name and a path", kind, path)
		}
		return kind, path, nil
	}
	return "", "", fmt.Errorf("http rule without a pattern")
}

// isToken reports whether s is an HTTP token, as a method name must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// newUnaryRoute binds the unary method m to one HTTP method and path, with
// the response field responseBody ("" for the whole response) as the
// response body.
func newUnaryRoute(m *method, verb, path, body, responseBody string, ro httprequest.Options) (*route, error) {
	rt, err := newRoute(m, verb, path, body, ro)
	if err != nil {
		return nil, err
	}
	rt.Unary = true
	if responseBody != "" {
		fd := m.desc.Output().Fields().ByName(protoreflect.Name(responseBody))
		if fd == nil {
			return nil, fmt.Errorf("%s: %s %s: response_body: %s has no field %q", m.desc.FullName(), verb, path, m.desc.Output().FullName(), responseBody)
		}
		rt.ResponseBody = responseBody
		rt.responseBody = fd
	}
	return rt, nil
}
