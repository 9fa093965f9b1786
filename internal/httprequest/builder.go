package httprequest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Resolver finds the types of Any values and extensions in request JSON:
// the backend's own types, not protobuf's global registry.
type Resolver interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
}

// Binding is how a route binds an HTTP request to its request message, as
// a google.api.http rule says.
type Binding struct {
	// PathVariables are the field paths of the path template's variables,
	// in proto names: "name", "inner.color".
	PathVariables []string
	// Body is the field the request body fills: "" for none, "*" for the
	// whole message, or a field path.
	Body string
	// MaskFromBody fills the request's field mask from the body, as
	// grpc-gateway does for PATCH: when the request has exactly one
	// google.protobuf.FieldMask field, the body is a message field, and
	// the built request leaves the mask empty, a non-empty body sets the
	// mask to the paths of the fields its JSON sets.
	MaskFromBody bool
}

// Options configure a Builder. The zero value works: no request parameter,
// unknown query parameters ignored, types of Any values not found.
type Options struct {
	// Resolver finds the types of Any values and extensions in JSON.
	Resolver Resolver
	// RequestParam names the query parameter that carries the whole
	// request as JSON; empty for none.
	RequestParam string
	// MaxRequestParamBytes bounds the request parameter; 0 for no bound.
	MaxRequestParamBytes int64
	// Reserved are query parameters the caller reads itself (a last event
	// id, an access token): neither fields nor errors.
	Reserved []string
	// RefuseUnknown refuses query parameters that name no field, that name
	// a field the path or the body binds, or that a route with body "*"
	// would not read; grpc-gateway ignores them.
	RefuseUnknown bool
}

// Request holds the parts of an HTTP request, already read by the caller.
type Request struct {
	// PathValues are the path variables' values, by name as in the
	// template, as runtime.ServeMux passes them.
	PathValues map[string]string
	// Query holds the query parameters.
	Query url.Values
	// Body is the request body; it is read only when the binding has a
	// body, and an empty body leaves the message alone.
	Body []byte
}

// Builder builds the request messages of one route.
type Builder struct {
	typ     protoreflect.MessageType
	binding Binding
	opts    Options
	vars    []pathVariable
	body    []protoreflect.FieldDescriptor // nil for "" and "*"
	mask    protoreflect.FieldDescriptor   // the field mask MaskFromBody fills; nil for none
	bound   routeBindings
	query   QueryParser
	json    protojson.UnmarshalOptions
}

// New prepares the building of typ's messages for a route. It fails when
// the binding names fields typ does not have, or fields a path variable
// cannot hold.
func New(typ protoreflect.MessageType, b Binding, o Options) (*Builder, error) {
	md := typ.Descriptor()
	bld := &Builder{
		typ:     typ,
		binding: b,
		opts:    o,
		query:   QueryParser{RefuseUnknown: o.RefuseUnknown, RequestParam: o.RequestParam},
		// Partial: required fields may come from the path or the query;
		// the caller checks the finished message.
		json: protojson.UnmarshalOptions{Resolver: o.Resolver, AllowPartial: true},
	}
	for _, name := range b.PathVariables {
		v, err := newPathVariable(md, name)
		if err != nil {
			return nil, fmt.Errorf("path variable %q: %w", name, err)
		}
		bld.vars = append(bld.vars, v)
		bld.bound = append(bld.bound, binding{path: names(v.path), what: fmt.Sprintf("the path variable {%s}", name)})
	}
	switch b.Body {
	case "", "*":
	default:
		path, err := resolveFieldPath(md, b.Body)
		if err != nil {
			return nil, fmt.Errorf("body %q: %w", b.Body, err)
		}
		bld.body = path
		bld.bound = append(bld.bound, binding{path: names(path), what: fmt.Sprintf("the request body (body: %q)", b.Body)})
		if fd := path[len(path)-1]; b.MaskFromBody && fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
			bld.mask = soleFieldMask(md)
		}
	}
	return bld, nil
}

// Build makes a request message: the request parameter's JSON, then the
// body, then the path variables, then the other query parameters, each
// step overriding what came before. Errors are *Error values.
func (b *Builder) Build(r Request) (proto.Message, error) {
	msg := b.typ.New()
	query := r.Query
	if values, ok := query[b.opts.RequestParam]; ok && b.opts.RequestParam != "" {
		if err := b.requestParam(msg, values); err != nil {
			return nil, err
		}
	}
	if b.binding.Body != "" && len(r.Body) > 0 {
		if err := b.decodeBody(msg, r.Body); err != nil {
			return nil, &Error{Source: Body, Err: err}
		}
	}
	for _, v := range b.vars {
		value, ok := r.PathValues[v.name]
		if !ok {
			return nil, &Error{Source: Path, Name: v.name, Err: errors.New("missing")}
		}
		if err := v.set(msg, value); err != nil {
			return nil, &Error{Source: Path, Name: v.name, Err: err}
		}
	}
	params := b.params(query)
	if b.binding.Body == "*" {
		if len(params) > 0 && b.opts.RefuseUnknown {
			key := slices.Sorted(maps.Keys(params))[0]
			return nil, queryError(key, `this route takes the whole request in its body (body: "*") and reads no query parameters; put the field in the body`)
		}
		return msg.Interface(), nil
	}
	if err := b.query.parse(msg, params, b.bound); err != nil {
		return nil, err
	}
	if b.mask != nil && len(r.Body) > 0 {
		if err := b.maskFromBody(msg, r.Body); err != nil {
			return nil, &Error{Source: Body, Err: err}
		}
	}
	return msg.Interface(), nil
}

// requestParam decodes the request parameter into msg.
func (b *Builder) requestParam(msg protoreflect.Message, values []string) error {
	name := b.opts.RequestParam
	fail := func(format string, args ...any) error {
		return &Error{Source: RequestParam, Name: name, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case b.binding.Body == "*":
		return fail(`this route takes the whole request in its body (body: "*"): send it there, not in the %q parameter`, name)
	case len(values) != 1:
		return fail("given %d times", len(values))
	case b.opts.MaxRequestParamBytes > 0 && int64(len(values[0])) > b.opts.MaxRequestParamBytes:
		return fail("larger than %d bytes", b.opts.MaxRequestParamBytes)
	}
	if err := b.json.Unmarshal([]byte(values[0]), msg.Interface()); err != nil {
		return fail("%w", err)
	}
	return nil
}

// decodeBody decodes the JSON body into msg (body "*") or into the body
// field, which it replaces.
func (b *Builder) decodeBody(msg protoreflect.Message, body []byte) error {
	if b.body == nil {
		return b.json.Unmarshal(body, msg.Interface())
	}
	parent := mutableParent(msg, b.body)
	fd := b.body[len(b.body)-1]
	if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
		m := parent.NewField(fd).Message()
		if err := b.json.Unmarshal(body, m.Interface()); err != nil {
			return err
		}
		parent.Set(fd, protoreflect.ValueOfMessage(m))
		return nil
	}
	// A scalar, repeated or map field: decode {"field": body} into a new
	// message of the parent's type. Valid first, so that the body is one
	// JSON value and cannot add members of its own.
	if !json.Valid(body) {
		return fmt.Errorf("not one valid JSON value")
	}
	wrapped := make([]byte, 0, len(body)+len(fd.JSONName())+5)
	wrapped = fmt.Appendf(wrapped, "{%q:", fd.JSONName())
	wrapped = append(append(wrapped, body...), '}')
	holder := parent.Type().New()
	if err := b.json.Unmarshal(wrapped, holder.Interface()); err != nil {
		return err
	}
	if holder.Has(fd) {
		parent.Set(fd, holder.Get(fd))
	} else {
		parent.Clear(fd)
	}
	return nil
}

// params returns the query parameters that may name fields: all but the
// request parameter and the reserved ones.
func (b *Builder) params(query url.Values) url.Values {
	out := make(url.Values, len(query))
	for k, v := range query {
		if (k == b.opts.RequestParam && k != "") || slices.Contains(b.opts.Reserved, k) {
			continue
		}
		out[k] = v
	}
	return out
}

// routeBindings are the fields a route's path and body bind.
type routeBindings []binding

type binding struct {
	path []string // proto names
	what string
}

func (rb routeBindings) boundBy(path []string) string {
	for _, b := range rb {
		n := min(len(b.path), len(path))
		if slices.Equal(b.path[:n], path[:n]) {
			return b.what
		}
	}
	return ""
}
