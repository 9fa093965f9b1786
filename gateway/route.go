package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/reflect/protoreflect"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/httprequest"
	"github.com/ssegw/ssegw/internal/pbjson"
)

// Route is one HTTP route of a Gateway.
type Route struct {
	// HTTPMethod is GET or POST for a stream; for a unary method also PUT,
	// DELETE, PATCH, or the method of a custom rule.
	HTTPMethod string
	// Path is the path template, as in a google.api.http rule.
	Path string
	// Body is the request field the request body fills ("*" for the whole
	// request), or empty.
	Body string
	// ResponseBody is the response field whose value is the response body
	// of a unary route, or empty for the whole response.
	ResponseBody string
	// GRPCMethod is the full method name, "/package.Service/Method".
	GRPCMethod string
	// Unary is true for a unary method, served as JSON, and false for a
	// server-streaming method, served as SSE.
	Unary bool
}

// method is a server-streaming or unary method the gateway serves.
type method struct {
	desc           protoreflect.MethodDescriptor
	fullName       string // "/package.Service/Method"
	in, out        protoreflect.MessageType
	json           *pbjson.TypeEncoder // writes out's wire bytes as event data
	event          string
	id             httprequest.ScalarPath // nil: events carry no id
	resume         httprequest.ScalarPath // nil: Last-Event-ID goes only to metadata
	heartbeat      time.Duration
	heartbeatEvent string
	maxMessageGap  time.Duration // 0: no limit
	idWarnings     logEvery      // of ids that cannot be sent
	// share says how the method's streams are shared; nil when every
	// request has a backend call of its own.
	share *sharing
	// shape takes the events' names and data from the messages; nil when
	// each event is a whole message named event.
	shape *shape
}

// route is a method bound to one HTTP method and path template.
type route struct {
	Route
	method *method
	// request builds the request message from the HTTP request.
	request *httprequest.Builder
	// metrics are the route's metrics; nil without WithMetrics.
	metrics *routeMetrics
	// responseBody is the field of a unary response that is the response
	// body; nil for the whole message.
	responseBody protoreflect.FieldDescriptor
	// unaryMetrics are a unary route's metrics; nil without WithMetrics.
	unaryMetrics *unaryRouteMetrics
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
		id, err := httprequest.ResolveScalarPath(md.Output(), p)
		if err != nil {
			return nil, fmt.Errorf("%s: id_field: %w", md.FullName(), err)
		}
		m.id = id
	}
	if p := opts.GetResumeField(); p != "" {
		resume, err := httprequest.ResolveScalarPath(md.Input(), p)
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
	share, err := newSharing(opts.GetShare())
	if err != nil {
		return nil, fmt.Errorf("%s: share: %w", md.FullName(), err)
	}
	m.share = share
	if m.shape, err = newShape(md, opts, m.heartbeatEvent); err != nil {
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
func routesOf(m *method, rule *annotations.HttpRule, logger *slog.Logger, ro httprequest.Options) ([]*route, error) {
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
		rt, err := newRoute(m, verb, path, r.GetBody(), ro)
		if err != nil {
			return nil, err
		}
		routes = append(routes, rt)
	}
	if len(routes) == 0 {
		rt, err := newRoute(m, http.MethodGet, m.fullName, "", ro)
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

func newRoute(m *method, verb, path, body string, ro httprequest.Options) (*route, error) {
	binding := httprequest.Binding{Body: body, MaskFromBody: verb == http.MethodPatch}
	for _, match := range templateVariable.FindAllStringSubmatch(path, -1) {
		binding.PathVariables = append(binding.PathVariables, strings.TrimSpace(match[1]))
	}
	request, err := httprequest.New(m.in, binding, ro)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", m.desc.FullName(), verb, path, err)
	}
	return &route{
		Route:   Route{HTTPMethod: verb, Path: path, Body: body, GRPCMethod: m.fullName},
		method:  m,
		request: request,
	}, nil
}
