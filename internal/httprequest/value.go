package httprequest

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// rules say how text becomes a value. Query parameters and path variables
// differ only for Timestamp and Duration, as in grpc-gateway: a query
// parameter is parsed with Go's time.Parse (RFC 3339) and
// time.ParseDuration ("1m30s"), a path variable with the JSON mapping
// ("1.5s"), as its generated code does.
type rules int

const (
	queryRules rules = iota
	pathRules
)

// parseText parses text as a value of fd (a field, a list element, a map
// key or a map value, whose kind it takes). newMessage makes an empty
// message of fd's type, for message kinds.
func parseText(fd protoreflect.FieldDescriptor, text string, newMessage func() protoreflect.Message, r rules) (protoreflect.Value, error) {
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		m := newMessage()
		if err := parseWellKnown(m, text, r); err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfMessage(m), nil
	}
	return parseScalar(fd, text)
}

// parseScalar parses text as a value of fd's scalar or enum kind, with
// grpc-gateway's rules (its exported converters where they exist): integers
// in decimal, floats as decimals or "NaN", "Infinity", "-Infinity", bools as
// strconv.ParseBool reads them, bytes as standard or URL-safe base64 with or
// without padding, enums by name or number.
func parseScalar(fd protoreflect.FieldDescriptor, text string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(text), nil
	case protoreflect.BytesKind:
		b, err := runtime.Bytes(text)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is not base64: %w", text, err)
		}
		return protoreflect.ValueOfBytes(b), nil
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is not a bool (true or false)", text)
		}
		return protoreflect.ValueOfBool(b), nil
	case protoreflect.EnumKind:
		return parseEnum(fd.Enum(), text)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(text, 10, 32)
		if err != nil {
			return protoreflect.Value{}, numberError(text, "int32", err)
		}
		return protoreflect.ValueOfInt32(int32(n)), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return protoreflect.Value{}, numberError(text, "int64", err)
		}
		return protoreflect.ValueOfInt64(n), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(text, 10, 32)
		if err != nil {
			return protoreflect.Value{}, numberError(text, "uint32", err)
		}
		return protoreflect.ValueOfUint32(uint32(n)), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return protoreflect.Value{}, numberError(text, "uint64", err)
		}
		return protoreflect.ValueOfUint64(n), nil
	case protoreflect.FloatKind:
		f, err := runtime.Float32(text)
		if err != nil {
			return protoreflect.Value{}, numberError(text, "float", err)
		}
		return protoreflect.ValueOfFloat32(f), nil
	case protoreflect.DoubleKind:
		f, err := runtime.Float64(text)
		if err != nil {
			return protoreflect.Value{}, numberError(text, "double", err)
		}
		return protoreflect.ValueOfFloat64(f), nil
	}
	return protoreflect.Value{}, fmt.Errorf("field %s of kind %v cannot be given as text", fd.FullName(), fd.Kind())
}

// parseEnum finds an enum value by name (aliases included) or by number.
// An open enum takes any int32, as the JSON mapping does; a closed enum
// takes only its declared numbers, since an unknown one would not survive
// the backend's decoding as a field value.
func parseEnum(ed protoreflect.EnumDescriptor, text string) (protoreflect.Value, error) {
	if v := ed.Values().ByName(protoreflect.Name(text)); v != nil {
		return protoreflect.ValueOfEnum(v.Number()), nil
	}
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil {
		return protoreflect.Value{}, fmt.Errorf("%q is not a value of enum %s (a name, or a number)", text, ed.FullName())
	}
	if ed.IsClosed() && ed.Values().ByNumber(protoreflect.EnumNumber(n)) == nil {
		return protoreflect.Value{}, fmt.Errorf("%d is not a value of closed enum %s", n, ed.FullName())
	}
	return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n)), nil
}

func numberError(text, typ string, err error) error {
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%s is out of range for %s", text, typ)
	}
	return fmt.Errorf("%q is not a valid %s", text, typ)
}
