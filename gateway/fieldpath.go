package gateway

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// fieldPath is a resolved dotted path to a singular scalar field, such as
// "seq" or "cursor.position".
type fieldPath []protoreflect.FieldDescriptor

// resolveScalarPath resolves path (proto field names separated by dots) in
// md. Every step but the last must be a singular message field; the last
// must be a singular scalar field.
func resolveScalarPath(md protoreflect.MessageDescriptor, path string) (fieldPath, error) {
	var out fieldPath
	parts := strings.Split(path, ".")
	for i, name := range parts {
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, fmt.Errorf("%s has no field %q", md.FullName(), name)
		}
		if fd.IsList() || fd.IsMap() {
			return nil, fmt.Errorf("field %s is repeated", fd.FullName())
		}
		out = append(out, fd)
		if i == len(parts)-1 {
			if fd.Message() != nil {
				return nil, fmt.Errorf("field %s is a message, not a scalar", fd.FullName())
			}
			return out, nil
		}
		if fd.Message() == nil {
			return nil, fmt.Errorf("field %s is not a message", fd.FullName())
		}
		md = fd.Message()
	}
	return out, nil
}

// String returns the dotted proto names of the path.
func (p fieldPath) String() string {
	names := make([]string, len(p))
	for i, fd := range p {
		names[i] = string(fd.Name())
	}
	return strings.Join(names, ".")
}

// appendText appends the text of the field's value in m; ok is false when
// the path runs through an unset message.
func (p fieldPath) appendText(dst []byte, m protoreflect.Message) (_ []byte, ok bool) {
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
