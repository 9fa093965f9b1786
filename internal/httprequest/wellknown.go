package httprequest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// errNotText is a message type that has no text form in a query parameter
// or path variable.
var errNotText = errors.New("a message has no text form")

// isTextMessage reports whether messages of md can be written as text: the
// well-known types that grpc-gateway reads from query parameters, and
// ListValue.
func isTextMessage(md protoreflect.MessageDescriptor) bool {
	switch md.FullName() {
	case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
		"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
		"google.protobuf.Empty":
		return true
	}
	return isWrapper(md)
}

func isWrapper(md protoreflect.MessageDescriptor) bool {
	switch md.FullName() {
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
		"google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return true
	}
	return false
}

// parseWellKnown sets the empty message m, a well-known type, from text.
// m is made from the field it goes into, so it has that field's own
// descriptor (a dynamic message for a dynamic parent), and it is filled
// through reflection: nothing here depends on the Go types linked into the
// program.
func parseWellKnown(m protoreflect.Message, text string, r rules) error {
	md := m.Descriptor()
	fields := md.Fields()
	switch name := md.FullName(); {
	case isWrapper(md):
		fd := fields.ByName("value")
		v, err := parseScalar(fd, text)
		if err != nil {
			return err
		}
		m.Set(fd, v)
		return nil
	case (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration") && r == pathRules:
		// grpc-gateway's generated code: the JSON mapping of a string,
		// with surrounding quotes dropped.
		quoted := strconv.Quote(strings.Trim(text, `"`))
		if err := protojson.Unmarshal([]byte(quoted), m.Interface()); err != nil {
			return fmt.Errorf("%q is not a %s in the JSON mapping: %w", text, shortName(name), err)
		}
		return nil
	case name == "google.protobuf.Timestamp":
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 timestamp such as 2006-01-02T15:04:05.999Z", text)
		}
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return fmt.Errorf("%q is outside the years 0001 to 9999", text)
		}
		m.Set(fields.ByName("seconds"), protoreflect.ValueOfInt64(t.Unix()))
		m.Set(fields.ByName("nanos"), protoreflect.ValueOfInt32(int32(t.Nanosecond())))
		return nil
	case name == "google.protobuf.Duration":
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 1.5s or 1m30s", text)
		}
		m.Set(fields.ByName("seconds"), protoreflect.ValueOfInt64(int64(d/time.Second)))
		m.Set(fields.ByName("nanos"), protoreflect.ValueOfInt32(int32(d%time.Second)))
		return nil
	case name == "google.protobuf.FieldMask":
		if text == "" {
			return nil
		}
		paths := m.Mutable(fields.ByName("paths")).List()
		for p := range strings.SplitSeq(text, ",") {
			paths.Append(protoreflect.ValueOfString(p))
		}
		return nil
	case name == "google.protobuf.Struct", name == "google.protobuf.Value", name == "google.protobuf.ListValue":
		if err := protojson.Unmarshal([]byte(text), m.Interface()); err != nil {
			return fmt.Errorf("%q is not a JSON %s: %w", text, jsonKind(name), err)
		}
		return nil
	case name == "google.protobuf.Empty":
		if text != "" && text != "{}" {
			return fmt.Errorf("an Empty is written as nothing or {}, not %q", text)
		}
		return nil
	}
	return fmt.Errorf("%s: %w", md.FullName(), errNotText)
}

func shortName(name protoreflect.FullName) string { return string(name.Name()) }

func jsonKind(name protoreflect.FullName) string {
	switch name {
	case "google.protobuf.Struct":
		return "object"
	case "google.protobuf.ListValue":
		return "array"
	}
	return "value"
}
