package openapi

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// components builds the component schemas of messages and enums, named by
// their full proto names, following protojson's mapping with the gateway's
// marshal options: what protojson prints is valid by the schema, and what
// the schema accepts, protojson reads.
type components struct {
	marshal protojson.MarshalOptions
	schemas map[string]*Schema
}

func newComponents(marshal protojson.MarshalOptions) *components {
	return &components{marshal: marshal, schemas: map[string]*Schema{}}
}

// add adds a component schema made by the gateway itself.
func (c *components) add(name string, s *Schema) *Schema {
	c.schemas[name] = s
	return ref(name)
}

// message returns a reference to the schema of md, adding it, and every
// schema it refers to, to the components. Recursive messages refer to
// themselves.
func (c *components) message(md protoreflect.MessageDescriptor) *Schema {
	name := string(md.FullName())
	if _, ok := c.schemas[name]; !ok {
		c.schemas[name] = &Schema{} // taken, for recursion
		c.schemas[name] = c.messageSchema(md)
	}
	return ref(name)
}

// messageSchema is the schema of md's JSON form.
func (c *components) messageSchema(md protoreflect.MessageDescriptor) *Schema {
	if s := c.wellKnown(md); s != nil {
		return s
	}
	s := &Schema{Type: "object", Description: comment(md)}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		s.property(c.jsonName(fd), c.fieldSchema(fd))
		if fd.Cardinality() == protoreflect.Required {
			s.Required = append(s.Required, c.jsonName(fd))
		}
	}
	// At most one field of each oneof is set: each one present forbids the
	// others.
	oneofs := md.Oneofs()
	for i := range oneofs.Len() {
		od := oneofs.Get(i)
		if od.IsSynthetic() || od.Fields().Len() < 2 {
			continue
		}
		if s.DependentSchemas == nil {
			s.DependentSchemas = &object[*Schema]{}
		}
		for a := range od.Fields().Len() {
			others := &Schema{}
			for b := range od.Fields().Len() {
				if a != b {
					others.property(c.jsonName(od.Fields().Get(b)), boolSchema(false))
				}
			}
			s.DependentSchemas.set(c.jsonName(od.Fields().Get(a)), others)
		}
	}
	if md.ExtensionRanges().Len() > 0 {
		s.PatternProperties = &object[*Schema]{}
		s.PatternProperties.set(`^\[.+\]$`, &Schema{Description: "An extension field, named by its full name in brackets."})
	}
	s.AdditionalProperties = boolSchema(false)
	return s
}

// jsonName is the member name of fd, as protojson prints it.
func (c *components) jsonName(fd protoreflect.FieldDescriptor) string {
	if c.marshal.UseProtoNames {
		return fd.TextName()
	}
	return fd.JSONName()
}

// fieldSchema is the schema of the value of field fd, with its comment.
func (c *components) fieldSchema(fd protoreflect.FieldDescriptor) *Schema {
	var s *Schema
	switch {
	case fd.IsMap():
		s = &Schema{Type: "object", PropertyNames: mapKeySchema(fd.MapKey()), AdditionalProperties: c.valueSchema(fd.MapValue())}
	case fd.IsList():
		s = &Schema{Type: "array", Items: c.valueSchema(fd)}
	default:
		s = c.valueSchema(fd)
		if fd.Message() != nil && wrapperValue(fd.Message()) != nil {
			// A wrapper stands for an optional scalar: null is unset.
			s = nullable(s)
		} else if c.marshal.EmitUnpopulated && fd.HasPresence() && fd.ContainingOneof() == nil {
			// protojson prints null for such a field when it is unset.
			s = nullable(s)
		}
	}
	desc := comment(fd)
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		var names []string
		for i := range od.Fields().Len() {
			names = append(names, "`"+c.jsonName(od.Fields().Get(i))+"`")
		}
		note := fmt.Sprintf("Part of oneof `%s`: at most one of %s is set.", od.Name(), strings.Join(names, ", "))
		desc = strings.TrimSpace(desc + "\n\n" + note)
	}
	s = withDescription(s, desc)
	if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
		cp := *s
		cp.Deprecated = true
		s = &cp
	}
	return s
}

// valueSchema is the schema of one value of fd: the field's value, an
// element of a list, or a map value.
func (c *components) valueSchema(fd protoreflect.FieldDescriptor) *Schema {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		return c.enum(fd.Enum())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return c.message(fd.Message())
	}
	return scalarSchema(fd.Kind())
}

// scalarSchema is the schema of a scalar of kind k in protojson: 64-bit
// integers are strings, floating-point numbers may be "NaN", "Infinity" or
// "-Infinity", bytes are base64.
func scalarSchema(k protoreflect.Kind) *Schema {
	switch k {
	case protoreflect.BoolKind:
		return &Schema{Type: "boolean"}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return &Schema{Type: "integer", Format: "int32", Minimum: "-2147483648", Maximum: "2147483647"}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return &Schema{Type: "integer", Minimum: "0", Maximum: "4294967295"}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return &Schema{Type: "string", Format: "int64", Pattern: `^-?(0|[1-9][0-9]*)$`}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return &Schema{Type: "string", Pattern: `^(0|[1-9][0-9]*)$`}
	case protoreflect.FloatKind:
		return floatSchema("float")
	case protoreflect.DoubleKind:
		return floatSchema("double")
	case protoreflect.BytesKind:
		return &Schema{Type: "string", ContentEncoding: "base64"}
	}
	return &Schema{Type: "string"}
}

// floatSchema accepts a JSON number, or the strings protojson prints for
// the values JSON numbers cannot hold.
func floatSchema(format string) *Schema {
	return &Schema{AnyOf: []*Schema{
		{Type: "number", Format: format},
		{Type: "string", Enum: []any{"NaN", "Infinity", "-Infinity"}},
	}}
}

// mapKeySchema constrains the member names of a map of key kind fd.
func mapKeySchema(fd protoreflect.FieldDescriptor) *Schema {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return nil
	case protoreflect.BoolKind:
		return &Schema{Enum: []any{"true", "false"}}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return &Schema{Pattern: `^(0|[1-9][0-9]*)$`}
	}
	return &Schema{Pattern: `^-?(0|[1-9][0-9]*)$`}
}

// enum returns a reference to the schema of ed, adding it to the
// components. protojson prints an enum value's name, or its number when
// the enum does not name it, or the number with UseEnumNumbers; it reads
// names and numbers.
func (c *components) enum(ed protoreflect.EnumDescriptor) *Schema {
	name := string(ed.FullName())
	if _, ok := c.schemas[name]; ok {
		return ref(name)
	}
	if name == "google.protobuf.NullValue" {
		return c.add(name, &Schema{Type: "null", Description: "JSON null."})
	}
	desc := comment(ed)
	var names []any
	var notes []string
	values := ed.Values()
	for i := range values.Len() {
		v := values.Get(i)
		names = append(names, string(v.Name()))
		if text := comment(v); text != "" {
			notes = append(notes, fmt.Sprintf("- `%s`: %s", v.Name(), strings.Join(strings.Fields(text), " ")))
		}
	}
	if len(notes) > 0 {
		desc = strings.TrimSpace(desc + "\n\n" + strings.Join(notes, "\n"))
	}
	// A closed enum can hold numbers it does not name too: dynamic
	// messages keep them, and protojson writes them as numbers.
	number := &Schema{Type: "integer", Format: "int32", Description: "A value the enum does not name."}
	var s *Schema
	if c.marshal.UseEnumNumbers {
		s = &Schema{Type: "integer", Format: "int32"}
	} else {
		s = &Schema{AnyOf: []*Schema{{Type: "string", Enum: names}, number}}
	}
	s.Description = desc
	return c.add(name, s)
}
