package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/reflect/protoreflect"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
)

// Route is one HTTP route of a Gateway.
type Route struct {
	// HTTPMethod is GET or POST.
	HTTPMethod string
	// Path is the path template, as in a google.api.http rule.
	Path string
	// Body is the request field the POST body fills ("*" for the whole
	// request), or empty.
	Body string
	// GRPCMethod is the full method name, "/package.Service/Method".
	GRPCMethod string
}

// method is a server-streaming method the gateway serves.
type method struct {
	desc           protoreflect.MethodDescriptor
	fullName       string // "/package.Service/Method"
	in, out        protoreflect.MessageType
	event          string
	id             fieldPath // nil: events carry no id
	resume         fieldPath // nil: Last-Event-ID goes only to metadata
	heartbeat      time.Duration
	heartbeatEvent string
	maxMessageGap  time.Duration // 0: no limit
	idWarnings     logEvery      // of ids that cannot be sent
}

// route is a method bound to one HTTP method and path template.
type route struct {
	Route
	method *method
	// body is the resolved body field; nil with Body "*" or "".
	body protoreflect.FieldDescriptor
	// pathFields keeps query parameters from overriding path variables.
	pathFields *utilities.DoubleArray
	// metrics are the route's metrics; nil without WithMetrics.
	metrics *routeMetrics
}

func newMethod(md protoreflect.MethodDescriptor, opts *ssegwv1.StreamOptions, cfg *config) (*method, error) {
	m := &method{
		desc:           md,
		fullName:       fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name()),
		in:             messageType(md.Input()),
		out:            messageType(md.Output()),
		event:          opts.GetEvent(),
		heartbeat:      cfg.heartbeat,
		heartbeatEvent: cfg.heartbeatEvent,
	}
	if err := validateFieldValue("event", m.event); err != nil {
		return nil, fmt.Errorf("%s: %w", md.FullName(), err)
	}
	if p := opts.GetIdField(); p != "" {
		id, err := resolveScalarPath(md.Output(), p)
		if err != nil {
			return nil, fmt.Errorf("%s: id_field: %w", md.FullName(), err)
		}
		m.id = id
	}
	if p := opts.GetResumeField(); p != "" {
		resume, err := resolveScalarPath(md.Input(), p)
		if err != nil {
			return nil, fmt.Errorf("%s: resume_field: %w", md.FullName(), err)
		}
		m.resume = resume
	}
	if hb := opts.GetHeartbeatInterval(); hb != nil {
		if err := hb.CheckValid(); err != nil {
			return nil, fmt.Errorf("%s: heartbeat_interval: %w", md.FullName(), err)
		}
		m.heartbeat = hb.AsDuration()
	}
	if gap := opts.GetMaxMessageGap(); gap != nil {
		if err := gap.CheckValid(); err != nil || gap.AsDuration() < 0 {
			return nil, fmt.Errorf("%s: max_message_gap %v is not a duration of zero or more", md.FullName(), gap)
		}
		m.maxMessageGap = gap.AsDuration()
	}
	if name := opts.GetHeartbeatEvent(); name != "" {
		m.heartbeatEvent = name
	}
	if err := validateFieldValue("heartbeat_event", m.heartbeatEvent); err != nil {
		return nil, fmt.Errorf("%s: %w", md.FullName(), err)
	}
	return m, nil
}

// resumable reports whether a client can resume the method's streams: its
// events carry ids, and a reconnecting client's Last-Event-ID reaches the
// backend (always as metadata, and in the resume field when declared).
func (m *method) resumable() bool {
	return m.id != nil
}

// validateFieldValue refuses what cannot stand in an SSE field.
func validateFieldValue(field, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("%s %q contains a line break or NUL", field, v)
	}
	return nil
}

// routesOf returns the routes of m: its GET and POST http rules (with
// additional bindings), or the default route when it has none.
func routesOf(m *method, rule *annotations.HttpRule, logger *slog.Logger) ([]*route, error) {
	var routes []*route
	rules := []*annotations.HttpRule{}
	if rule != nil {
		rules = append(rules, rule)
		rules = append(rules, rule.GetAdditionalBindings()...)
	}
	for _, r := range rules {
		var verb, path string
		switch {
		case r.GetGet() != "":
			verb, path = http.MethodGet, r.GetGet()
		case r.GetPost() != "":
			verb, path = http.MethodPost, r.GetPost()
		default:
			logger.Info("skipping http rule: only GET and POST rules are served as SSE",
				"method", m.desc.FullName(), "rule", fmt.Sprint(r.GetPattern()))
			continue
		}
		rt, err := newRoute(m, verb, path, r.GetBody())
		if err != nil {
			return nil, err
		}
		routes = append(routes, rt)
	}
	if len(routes) == 0 {
		rt, err := newRoute(m, http.MethodGet, m.fullName, "")
		if err != nil {
			return nil, err
		}
		routes = append(routes, rt)
	}
	return routes, nil
}

// templateVariable matches a variable of a path template, "{name" in
// "{name=shelves/*}".
var templateVariable = regexp.MustCompile(`\{([^}=]+)`)

func newRoute(m *method, verb, path, body string) (*route, error) {
	rt := &route{
		Route:  Route{HTTPMethod: verb, Path: path, Body: body, GRPCMethod: m.fullName},
		method: m,
	}
	var seqs [][]string
	for _, match := range templateVariable.FindAllStringSubmatch(path, -1) {
		name := strings.TrimSpace(match[1])
		if _, err := resolvePath(m.desc.Input(), name); err != nil {
			return nil, fmt.Errorf("%s: path %s: %w", m.desc.FullName(), path, err)
		}
		seqs = append(seqs, strings.Split(name, "."))
	}
	switch body {
	case "", "*":
	default:
		fd := m.desc.Input().Fields().ByName(protoreflect.Name(body))
		if fd == nil || fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return nil, fmt.Errorf("%s: body %q must name a singular message field of %s", m.desc.FullName(), body, m.desc.Input().FullName())
		}
		rt.body = fd
		seqs = append(seqs, []string{body})
	}
	rt.pathFields = utilities.NewDoubleArray(seqs)
	return rt, nil
}

// resolvePath checks that a dotted path names a field of md.
func resolvePath(md protoreflect.MessageDescriptor, path string) (protoreflect.FieldDescriptor, error) {
	var fd protoreflect.FieldDescriptor
	for i, name := range strings.Split(path, ".") {
		if i > 0 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return nil, fmt.Errorf("field %s is not a singular message", fd.FullName())
			}
			md = fd.Message()
		}
		fd = md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, fmt.Errorf("%s has no field %q", md.FullName(), name)
		}
	}
	return fd, nil
}
