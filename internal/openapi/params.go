package openapi

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// pathParam is the parameter of a path template variable.
func (b *builder) pathParam(in protoreflect.MessageDescriptor, v variable) (*parameter, error) {
	p := &parameter{Name: v.name, In: "path", Required: true}
	if v.rest {
		// The rest of the path, whose slashes a client must send
		// unescaped: OpenAPI has no parameter of several segments, and
		// the gateway keeps an escaped slash (%2F) in the value.
		p.AllowReserved = true
	}
	if v.field == "" {
		p.Description = "Any path segment; it sets no request field."
		p.Schema = &Schema{Type: "string"}
		if v.rest {
			p.Description = "Any path segments, their slashes unescaped; they set no request field."
		}
		return p, nil
	}
	fd, err := resolveField(in, v.field)
	if err != nil {
		return nil, err
	}
	s := b.paramValueSchema(fd)
	if s == nil || fd.IsList() || fd.IsMap() {
		return nil, fmt.Errorf("path variable %s: field %s cannot be set from a path", v.field, fd.FullName())
	}
	switch {
	case v.form != "" && v.rest:
		s = &Schema{Type: "string"}
		p.Description = fmt.Sprintf("The rest of the request field `%s`, which the path sets to `%s`.", v.field, v.form)
	case v.form != "":
		// One segment of the value.
		s = &Schema{Type: "string"}
		p.Description = fmt.Sprintf("A segment of the request field `%s`, which the path sets to `%s`.", v.field, v.form)
	default:
		p.Description = fmt.Sprintf("Sets the request field `%s`.", v.field)
	}
	if c := comment(fd); c != "" {
		p.Description = c + "\n\n" + p.Description
	}
	if v.rest {
		p.Description += " It is the rest of the path, one or more segments: send the slashes between them unescaped, as the gateway keeps an escaped slash (%2F) in the value."
	}
	p.Schema = s
	return p, nil
}

// resolveField resolves a dotted path of proto field names in md, through
// singular message fields.
func resolveField(md protoreflect.MessageDescriptor, path string) (protoreflect.FieldDescriptor, error) {
	var fd protoreflect.FieldDescriptor
	for i, name := range strings.Split(path, ".") {
		if i > 0 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return nil, fmt.Errorf("field %s is not a singular message", fd.FullName())
			}
			md = fd.Message()
		}
		if fd = md.Fields().ByName(protoreflect.Name(name)); fd == nil {
			return nil, fmt.Errorf("%s has no field %q", md.FullName(), name)
		}
	}
	return fd, nil
}

// queryParams lists the query parameters that set fields of md, named by
// their dotted JSON names (the gateway also takes proto names): scalars,
// enums, lists of them, maps with scalar values (name[key]=value), and the
// fields of singular messages, recursively, except messages already on the
// way there. Fields set by the path or the body, repeated messages and
// messages without a text form are left out: the request parameter sets
// them.
func (b *builder) queryParams(md protoreflect.MessageDescriptor, prefix string, path []string, bound map[string]bool, visiting map[protoreflect.FullName]bool) []*parameter {
	var out []*parameter
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		fieldPath := append(path[:len(path):len(path)], string(fd.Name()))
		if isBound(bound, fieldPath) {
			continue
		}
		name := prefix + b.comps.jsonName(fd)
		p := &parameter{Name: name, In: "query", Description: comment(fd)}
		if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
			p.Deprecated = true
		}
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			p.Description = strings.TrimSpace(p.Description + fmt.Sprintf("\n\nPart of oneof `%s`: give at most one of its fields.", od.Name()))
		}
		switch {
		case fd.IsMap():
			v := b.paramValueSchema(fd.MapValue())
			if v == nil {
				continue
			}
			p.Schema = &Schema{Type: "object", PropertyNames: mapKeySchema(fd.MapKey()), AdditionalProperties: v}
			p.Style, p.Explode = "deepObject", new(true)
		case fd.IsList():
			v := b.paramValueSchema(fd)
			if v == nil {
				continue
			}
			p.Schema = &Schema{Type: "array", Items: v}
		case fd.Message() != nil && b.paramValueSchema(fd) == nil:
			if isWellKnown(fd.Message()) || visiting[fd.Message().FullName()] {
				continue
			}
			visiting[fd.Message().FullName()] = true
			out = append(out, b.queryParams(fd.Message(), name+".", fieldPath, bound, visiting)...)
			delete(visiting, fd.Message().FullName())
			continue
		default:
			p.Schema = b.paramValueSchema(fd)
		}
		out = append(out, p)
	}
	return out
}

// isBound reports whether a field path is set from the path or the body:
// it is, or is inside, a bound field.
func isBound(bound map[string]bool, path []string) bool {
	for i := range path {
		if bound[strings.Join(path[:i+1], ".")] {
			return true
		}
	}
	return false
}

// paramValueSchema is the schema of a value of fd in a path or query
// parameter, or nil when a parameter cannot give it. Wrappers are their
// scalar; Struct and Value are JSON text.
func (b *builder) paramValueSchema(fd protoreflect.FieldDescriptor) *Schema {
	md := fd.Message()
	if md == nil {
		return b.comps.valueSchema(fd)
	}
	if v := wrapperValue(md); v != nil {
		return scalarSchema(v.Kind())
	}
	switch md.FullName() {
	case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask":
		return b.comps.message(md)
	case "google.protobuf.Struct", "google.protobuf.Value":
		return &Schema{Type: "string", ContentMediaType: "application/json", ContentSchema: b.comps.message(md)}
	}
	return nil
}

// isWellKnown reports whether md is a google.protobuf type.
func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}

// gatewayParams are the parameters the gateway reads itself. A route whose
// body is the whole request takes it there, not in the request parameter.
func (b *builder) gatewayParams(rt Route) []*parameter {
	var out []*parameter
	if b.cfg.requestParam != "" && rt.Body != "*" {
		out = append(out, &parameter{
			Name: b.cfg.requestParam, In: "query",
			Description: "The whole request message as JSON, for what the other parameters cannot express, such as repeated messages. " +
				"The body, path parameters and other query parameters are applied on top of it.",
			Schema: &Schema{Type: "string", ContentMediaType: "application/json", ContentSchema: b.comps.message(rt.Desc.Input())},
		})
	}
	if s := rt.Stream; s != nil && s.IDField != "" {
		desc := "The id of the last event received, to resume the stream after it: the gateway passes it to the backend as the metadata last-event-id"
		if s.ResumeField != "" {
			desc += fmt.Sprintf(" and in the request field `%s`", s.ResumeField)
		}
		desc += ". EventSource sends it by itself when it reconnects."
		out = append(out, &parameter{Name: "Last-Event-ID", In: "header", Description: desc, Schema: &Schema{Type: "string", Pattern: `^[^\r\n\x00]*$`}})
		if b.cfg.lastEventIDParam != "" {
			out = append(out, &parameter{
				Name: b.cfg.lastEventIDParam, In: "query",
				Description: "The Last-Event-ID, for clients that cannot set headers; the header wins when both are given.",
				Schema:      &Schema{Type: "string"},
			})
		}
	}
	if b.cfg.tokenParam != "" {
		out = append(out, &parameter{
			Name: b.cfg.tokenParam, In: "query",
			Description: "An access token, passed to the backend as the metadata authorization: Bearer …, for clients that cannot set headers. An Authorization header wins.",
			Schema:      &Schema{Type: "string"},
		})
	}
	return out
}
