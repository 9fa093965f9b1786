package httprequest

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// fieldByAnyName finds a field of md by its proto name, its text name (a
// group's message name) or its JSON name (json_name included), as
// grpc-gateway's query parser does.
func fieldByAnyName(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	fields := md.Fields()
	if fd := fields.ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	if fd := fields.ByTextName(name); fd != nil {
		return fd
	}
	return fields.ByJSONName(name)
}

// resolveFieldPath resolves a dotted path of proto field names in md, as
// path templates and body fields name them. Every step but the last must be
// a singular message field.
func resolveFieldPath(md protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, error) {
	var out []protoreflect.FieldDescriptor
	for i, name := range strings.Split(path, ".") {
		if i > 0 {
			prev := out[i-1]
			if prev.Message() == nil || prev.IsList() || prev.IsMap() {
				return nil, fmt.Errorf("field %s is not a singular message", prev.FullName())
			}
			md = prev.Message()
		}
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, fmt.Errorf("%s has no field %q", md.FullName(), name)
		}
		out = append(out, fd)
	}
	return out, nil
}

// names returns the proto names of a resolved path.
func names(path []protoreflect.FieldDescriptor) []string {
	out := make([]string, len(path))
	for i, fd := range path {
		out[i] = string(fd.Name())
	}
	return out
}

// mutableParent returns the message that holds the last field of path,
// creating the messages on the way.
func mutableParent(m protoreflect.Message, path []protoreflect.FieldDescriptor) protoreflect.Message {
	for _, fd := range path[:len(path)-1] {
		m = m.Mutable(fd).Message()
	}
	return m
}

// isText reports whether a value of fd's kind (an element's kind for a
// list) can be written as text.
func isText(fd protoreflect.FieldDescriptor) bool {
	return fd.Message() == nil || isTextMessage(fd.Message())
}

// kindName describes the kind of fd for errors: "int32", "message
// kitchensink.v1.Inner", "repeated string", "map<string, Inner>".
func kindName(fd protoreflect.FieldDescriptor) string {
	one := func(fd protoreflect.FieldDescriptor) string {
		switch {
		case fd.Message() != nil:
			return "message " + string(fd.Message().FullName())
		case fd.Enum() != nil:
			return "enum " + string(fd.Enum().FullName())
		}
		return fd.Kind().String()
	}
	switch {
	case fd.IsMap():
		return fmt.Sprintf("map<%s, %s>", one(fd.MapKey()), one(fd.MapValue()))
	case fd.IsList():
		return "repeated " + one(fd)
	}
	return one(fd)
}
