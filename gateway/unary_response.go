package gateway

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// unaryJSON appends the JSON of a unary response message (or of the
// message in its response_body field) to b, with the gateway's marshal
// options, in the stable compact form of event data.
func (g *Gateway) unaryJSON(b []byte, m proto.Message) ([]byte, error) {
	return g.events.MarshalAppend(b, m)
}

// unaryResponseJSON returns the response body of rt for the response whose
// wire bytes are wire: the whole message, written from its bytes by the
// type's plan, or the value of its response_body field as the field's value
// is written inside the message's JSON (a message or well-known type as
// itself, a list as an array, a map as an object, a 64-bit integer as a
// string), and a field that is not set as its zero value (null for a
// field with presence).
func (g *Gateway) unaryResponseJSON(rt *route, wire []byte) ([]byte, error) {
	fd := rt.responseBody
	if fd == nil {
		return rt.method.json.MarshalWire(nil, wire)
	}
	resp := rt.method.out.New().Interface()
	if err := decodeBackendMessage(proto.UnmarshalOptions{Resolver: g.resolver}, wire, resp); err != nil {
		return nil, err
	}
	msg := resp.ProtoReflect()
	if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
		if msg.Has(fd) {
			return g.unaryJSON(nil, msg.Get(fd).Message().Interface())
		}
		if fd.Message().FullName() == "google.protobuf.Value" {
			return []byte("null"), nil // an empty Value has no JSON
		}
		// A message field that is not set is an empty message, as
		// grpc-gateway writes it.
		return g.unaryJSON(nil, msg.Get(fd).Message().Type().New().Interface())
	}
	if !msg.Has(fd) {
		return g.zeroJSON(fd), nil
	}
	// The field alone in a message of its own, whose JSON member is the
	// field's value.
	holder := msg.Type().New()
	holder.Set(fd, msg.Get(fd))
	whole, err := g.unaryJSON(nil, holder.Interface())
	if err != nil {
		return nil, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(whole, &members); err != nil {
		return nil, fmt.Errorf("response_body %s: %w", fd.Name(), err)
	}
	name := fd.JSONName()
	if g.cfg.marshal.UseProtoNames {
		name = string(fd.Name())
	}
	if v, ok := members[name]; ok {
		return v, nil
	}
	return g.zeroJSON(fd), nil
}

// zeroJSON is the JSON of a field that is not set: null for a field with
// presence, an empty array or object for a list or map, and the zero
// value of the field's kind otherwise, as protojson writes it.
func (g *Gateway) zeroJSON(fd protoreflect.FieldDescriptor) []byte {
	switch {
	case fd.IsList():
		return []byte("[]")
	case fd.IsMap():
		return []byte("{}")
	case fd.HasPresence():
		return []byte("null")
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return []byte("false")
	case protoreflect.StringKind, protoreflect.BytesKind:
		return []byte(`""`)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return []byte(`"0"`)
	case protoreflect.EnumKind:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			return []byte("null")
		}
		if v := fd.Enum().Values().ByNumber(0); v != nil && !g.cfg.marshal.UseEnumNumbers {
			b, _ := json.Marshal(string(v.Name()))
			return b
		}
	}
	return []byte("0")
}
