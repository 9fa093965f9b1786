package httprequest

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// ScalarPath is a resolved dotted path to a singular scalar field, such as
// "seq" or "cursor.position": where a stream's event ids come from, and
// where a Last-Event-ID goes back into the request.
type ScalarPath []protoreflect.FieldDescriptor

// ResolveScalarPath resolves path (proto field names separated by dots) in
// md. Every step but the last must be a singular message field; the last
// must be a singular scalar or enum field.
func ResolveScalarPath(md protoreflect.MessageDescriptor, path string) (ScalarPath, error) {
	fields, err := resolveFieldPath(md, path)
	if err != nil {
		return nil, err
	}
	fd := fields[len(fields)-1]
	switch {
	case fd.IsList() || fd.IsMap():
		return nil, fmt.Errorf("field %s is repeated", fd.FullName())
	case fd.Message() != nil:
		return nil, fmt.Errorf("field %s is a message, not a scalar", fd.FullName())
	}
	return ScalarPath(fields), nil
}

// String returns the dotted proto names of the path.
func (p ScalarPath) String() string {
	return strings.Join(names(p), ".")
}

// Set parses text into the field of m at p, creating the messages on the
// way, with the rules of query parameters (an enum by name or number).
func (p ScalarPath) Set(m protoreflect.Message, text string) error {
	m = mutableParent(m, p)
	fd := p[len(p)-1]
	v, err := parseScalar(fd, text)
	if err != nil {
		return err
	}
	m.Set(fd, v)
	return nil
}

// AppendText appends the text of the field's value in m (an enum as its
// number, bytes as they are); ok is false when the path runs through an
// unset message.
func (p ScalarPath) AppendText(dst []byte, m protoreflect.Message) (_ []byte, ok bool) {
	for _, fd := range p[:len(p)-1] {
		if !m.Has(fd) {
			return dst, false
		}
		m = m.Get(fd).Message()
	}
	fd := p[len(p)-1]
	v := m.Get(fd)
	switch fd.Kind() {
	case protoreflect.StringKind:
		return append(dst, v.String()...), true
	case protoreflect.BytesKind:
		return append(dst, v.Bytes()...), true
	case protoreflect.BoolKind:
		return strconv.AppendBool(dst, v.Bool()), true
	case protoreflect.EnumKind:
		return strconv.AppendInt(dst, int64(v.Enum()), 10), true
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(dst, v.Int(), 10), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.AppendUint(dst, v.Uint(), 10), true
	case protoreflect.FloatKind:
		return strconv.AppendFloat(dst, v.Float(), 'g', -1, 32), true
	case protoreflect.DoubleKind:
		return strconv.AppendFloat(dst, v.Float(), 'g', -1, 64), true
	}
	return dst, false
}
