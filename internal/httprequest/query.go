package httprequest

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// QueryParser sets query parameters into a message with grpc-gateway's
// rules: a field by its proto, text or JSON name, nested fields by dotted
// paths through singular messages, a repeated field by repeating the
// parameter, a map entry as field[key]=value, scalars, enums and the
// well-known types from text.
//
// It implements runtime.QueryParameterParser, and replaces grpc-gateway's
// DefaultQueryParser because that one looks enums up in protobuf's global
// registry and builds well-known types as the linked Go types: both fail
// for dynamic messages whose descriptors came from server reflection, a
// descriptor set or .proto files. QueryParser reads only the message's own
// descriptors. (It is not installed with runtime.SetQueryParameterParser,
// which would change every ServeMux of the program.)
type QueryParser struct {
	// RefuseUnknown refuses a parameter that names no field, and one that
	// names a field the path or the body binds, instead of ignoring it as
	// grpc-gateway does.
	RefuseUnknown bool
	// RequestParam names the query parameter that carries the whole
	// request as JSON, which errors point to for fields that a query
	// parameter cannot express. Empty: errors point to a JSON body.
	RequestParam string
}

var _ runtime.QueryParameterParser = QueryParser{}

// Parse sets values into msg. A parameter whose field is in filter, inside
// one or containing one, is left out (or refused with RefuseUnknown): those
// are the fields bound by the path or the body.
func (p QueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	return p.parse(msg.ProtoReflect(), values, doubleArrayBindings{filter})
}

// bindings say which fields the path or the body binds.
type bindings interface {
	// boundBy describes what binds the field at path (proto names), a
	// field inside it, or a field that contains it; "" when nothing does.
	boundBy(path []string) string
}

// mapKeyPattern splits "field[key]", as grpc-gateway does.
var mapKeyPattern = regexp.MustCompile(`^(.*)\[(.*)\]$`)

func (p QueryParser) parse(m protoreflect.Message, values url.Values, b bindings) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys) // errors do not depend on map order
	seen := make(map[string]bool, len(keys))
	for _, key := range keys {
		fieldKey, mapKey, hasMapKey := key, "", false
		if match := mapKeyPattern.FindStringSubmatch(key); match != nil {
			fieldKey, mapKey, hasMapKey = match[1], match[2], true
		}
		path, err := p.resolve(m.Descriptor(), key, fieldKey)
		if err != nil {
			return err
		}
		if path == nil {
			continue // names no field, and that is allowed
		}
		protoNames := names(path)
		if what := b.boundBy(protoNames); what != "" {
			if p.RefuseUnknown {
				return queryError(key, "field %s is bound by %s, so it cannot also be a query parameter", strings.Join(protoNames, "."), what)
			}
			continue
		}
		id := strings.Join(protoNames, ".")
		if hasMapKey {
			id += "[" + mapKey + "]"
		}
		if seen[id] {
			return queryError(key, "field %s is given twice (by its proto and its JSON name)", id)
		}
		seen[id] = true
		if err := p.set(m, key, path, mapKey, hasMapKey, values[key]); err != nil {
			return err
		}
	}
	return nil
}

// resolve finds the fields a parameter's dotted path names. It returns
// nil, nil for a parameter that names no field when that is allowed.
func (p QueryParser) resolve(md protoreflect.MessageDescriptor, key, fieldKey string) ([]protoreflect.FieldDescriptor, error) {
	parts := strings.Split(fieldKey, ".")
	path := make([]protoreflect.FieldDescriptor, 0, len(parts))
	for i, name := range parts {
		fd := fieldByAnyName(md, name)
		if fd == nil {
			if p.RefuseUnknown {
				return nil, queryError(key, "%s has no field %q", md.FullName(), name)
			}
			return nil, nil
		}
		path = append(path, fd)
		if i == len(parts)-1 {
			break
		}
		switch {
		case fd.IsList() || fd.IsMap():
			return nil, queryError(key, "field %s is a %s, which query parameters cannot reach into; %s", fd.FullName(), kindName(fd), p.useJSON())
		case fd.Message() == nil:
			return nil, queryError(key, "field %s is a %s, not a message", fd.FullName(), kindName(fd))
		}
		md = fd.Message()
	}
	return path, nil
}

// useJSON says where to give what a query parameter cannot express.
func (p QueryParser) useJSON() string {
	if p.RequestParam == "" {
		return "give it in a JSON body"
	}
	return fmt.Sprintf("give it in the %q parameter (the whole request as JSON)", p.RequestParam)
}

// set parses the values of one parameter into the field at path.
func (p QueryParser) set(m protoreflect.Message, key string, path []protoreflect.FieldDescriptor, mapKey string, hasMapKey bool, values []string) error {
	for i, fd := range path {
		if of := fd.ContainingOneof(); of != nil && !of.IsSynthetic() {
			if set := m.WhichOneof(of); set != nil && set.FullName() != fd.FullName() {
				return queryError(key, "field %s is in oneof %s, whose field %s is already set", fd.FullName(), of.Name(), set.Name())
			}
		}
		if i < len(path)-1 {
			m = m.Mutable(fd).Message()
		}
	}
	fd := path[len(path)-1]
	switch {
	case hasMapKey && !fd.IsMap():
		return queryError(key, "field %s is a %s, not a map: %s[key]=value is only for maps", fd.FullName(), kindName(fd), fd.Name())
	case fd.IsMap():
		if !hasMapKey {
			return queryError(key, "field %s is a map: give each entry as %s[key]=value", fd.FullName(), fd.Name())
		}
		if len(values) != 1 {
			return queryError(key, "map key %q of field %s is given %d times", mapKey, fd.FullName(), len(values))
		}
		if !isText(fd.MapValue()) {
			return queryError(key, "field %s is a %s, whose values query parameters cannot express; %s", fd.FullName(), kindName(fd), p.useJSON())
		}
		k, err := parseScalar(fd.MapKey(), mapKey)
		if err != nil {
			return queryError(key, "key of field %s: %w", fd.FullName(), err)
		}
		entries := m.Mutable(fd).Map()
		v, err := parseText(fd.MapValue(), values[0], func() protoreflect.Message { return entries.NewValue().Message() }, queryRules)
		if err != nil {
			return queryError(key, "field %s: %w", fd.FullName(), err)
		}
		entries.Set(k.MapKey(), v)
	case !isText(fd):
		return queryError(key, "field %s is a %s, which a query parameter cannot express; %s", fd.FullName(), kindName(fd), p.useJSON())
	case fd.IsList():
		list := m.Mutable(fd).List()
		for _, text := range values {
			v, err := parseText(fd, text, func() protoreflect.Message { return list.NewElement().Message() }, queryRules)
			if err != nil {
				return queryError(key, "field %s: %w", fd.FullName(), err)
			}
			list.Append(v)
		}
	default:
		if len(values) > 1 {
			return queryError(key, "given %d times, but field %s is not repeated", len(values), fd.FullName())
		}
		v, err := parseText(fd, values[0], func() protoreflect.Message { return m.NewField(fd).Message() }, queryRules)
		if err != nil {
			return queryError(key, "field %s: %w", fd.FullName(), err)
		}
		m.Set(fd, v)
	}
	return nil
}

// doubleArrayBindings reads grpc-gateway's filter of bound fields.
type doubleArrayBindings struct{ filter *utilities.DoubleArray }

func (d doubleArrayBindings) boundBy(path []string) string {
	if d.filter == nil || len(d.filter.Base) == 0 {
		return ""
	}
	if d.filter.HasCommonPrefix(path) || d.containsBound(path) {
		return "the path or the body"
	}
	return ""
}

// containsBound reports whether path leads to a node of the filter's
// trie, that is, whether it contains a bound field.
func (d doubleArrayBindings) containsBound(path []string) bool {
	f, i := d.filter, 0
	for _, name := range path {
		code, ok := f.Encoding[name]
		if !ok {
			return false
		}
		j := f.Base[i] + code
		if j >= len(f.Check) || f.Check[j] != i+1 {
			return false
		}
		i = j
	}
	return true
}
