package openapi

import "google.golang.org/protobuf/reflect/protoreflect"

// wellKnown returns the schema of a well-known type with a JSON form of its
// own, or nil for any other message.
func (c *components) wellKnown(md protoreflect.MessageDescriptor) *Schema {
	if v := wrapperValue(md); v != nil {
		s := *scalarSchema(v.Kind())
		s.Description = "The wrapped " + v.Kind().String() + " value itself."
		return &s
	}
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return &Schema{Type: "string", Format: "date-time",
			Description: `A point in time, as an RFC 3339 date-time in UTC with 0, 3, 6 or 9 fractional digits, such as "2026-11-23T18:48:07.944Z".`}
	case "google.protobuf.Duration":
		return &Schema{Type: "string", Pattern: `^-?[0-9]+(\.[0-9]{1,9})?s$`,
			Description: `A span of time, in seconds with up to 9 fractional digits and the suffix "s", such as "1.5s".`}
	case "google.protobuf.FieldMask":
		return &Schema{Type: "string",
			Description: `Field paths in lowerCamelCase, separated by commas, such as "displayName,address.city".`}
	case "google.protobuf.Struct":
		return &Schema{Type: "object", Description: "A JSON object.",
			AdditionalProperties: c.message(md.ParentFile().Messages().ByName("Value"))}
	case "google.protobuf.Value":
		return &Schema{Description: "Any JSON value."}
	case "google.protobuf.ListValue":
		return &Schema{Type: "array", Description: "A JSON array.",
			Items: c.message(md.ParentFile().Messages().ByName("Value"))}
	case "google.protobuf.Empty":
		return &Schema{Type: "object", Description: "An empty object.", AdditionalProperties: boolSchema(false)}
	case "google.protobuf.Any":
		s := &Schema{Type: "object", AdditionalProperties: boolSchema(true),
			Description: `A message of any type: "@type" names the type, and the other members are its fields as JSON, or "value" for a well-known type with a JSON form of its own (such as a Timestamp). An empty Any is {}.`}
		return s.property("@type", &Schema{Type: "string", Description: `The type's URL, "type.googleapis.com/" and its full name.`})
	}
	return nil
}

// wrapperValue returns the value field of a wrapper type such as
// google.protobuf.Int64Value, or nil for any other message.
func wrapperValue(md protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	if md.ParentFile().Package() != "google.protobuf" {
		return nil
	}
	switch md.Name() {
	case "DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue":
		return md.Fields().ByName("value")
	}
	return nil
}
