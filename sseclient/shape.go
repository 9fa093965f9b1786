package sseclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/sse"
)

// Shaped events.
//
// A method's stream option may shape its events (ssegw.v1.Shape): each
// event named after the case of a oneof that is set, with that case's
// value as its data, or named by a string or enum field; the data one
// field of the response; and a sentinel in place of the "end" event. A
// Conn reads the shaping from the method's descriptor (or from
// WithMethodOptions) and rebuilds the whole response message from each
// event: the case set from the event's name and filled with the data, the
// data put back into its field, the naming field set from the name.

// WithMethodOptions gives a [Conn] the stream options of one method,
// named by its full name ("pkg.Service.Method"), as the gateway has them
// from its configuration rather than from the method's ssegw.v1.stream
// option: the shape of its events. Fields set here replace those of the
// proto option; unset fields keep them.
func WithMethodOptions(method string, opts *ssegwv1.StreamOptions) Option {
	return func(c *config) {
		c.methodOptions = maps.Clone(c.methodOptions)
		if c.methodOptions == nil {
			c.methodOptions = map[protoreflect.FullName]*ssegwv1.StreamOptions{}
		}
		c.methodOptions[protoreflect.FullName(method)] = proto.CloneOf(opts)
	}
}

// WithSentinel makes an event named event (empty for an unnamed event)
// whose data is data, such as "[DONE]", end a stream as the gateway's
// "end" event does: a typed stream's Recv returns io.EOF. It is the
// sentinel of a stream whose shape has one (ssegw.v1.Shape); a [Conn]
// finds it in the method's options without this option.
func WithSentinel(event, data string) Option {
	return func(c *config) { c.sentinel = &sentinel{event: event, data: []byte(data)} }
}

// sentinel is an event that ends a stream in place of "end".
type sentinel struct {
	event string
	data  []byte
}

// is reports whether ev is the sentinel.
func (s *sentinel) is(ev sse.Event) bool {
	return s != nil && ev.Event == s.event && bytes.Equal(ev.Data, s.data)
}

// shape is how a method's events are shaped, resolved in its descriptor.
type shape struct {
	oneof      protoreflect.OneofDescriptor
	eventField []protoreflect.FieldDescriptor
	dataField  []protoreflect.FieldDescriptor
	sentinel   *sentinel
	// idField is the id field when it is a number at the top of the
	// message, which every event carries as its id and the data may not.
	idField protoreflect.FieldDescriptor
}

// shapeOf returns the shape of the method md's events: its ssegw.v1.stream
// option with override laid over it. It is nil when the events are whole
// messages ending with "end".
func shapeOf(md protoreflect.MethodDescriptor, override *ssegwv1.StreamOptions) (*shape, error) {
	opts := &ssegwv1.StreamOptions{}
	if fromProto := streamOption(md); fromProto != nil {
		proto.Merge(opts, fromProto)
	}
	if override != nil {
		proto.Merge(opts, override)
	}
	sh := opts.GetShape()
	if sh == nil {
		return nil, nil
	}
	s := &shape{}
	out := md.Output()
	var err error
	if name := sh.GetEventOneof(); name != "" {
		if s.oneof = out.Oneofs().ByName(protoreflect.Name(name)); s.oneof == nil {
			return nil, fmt.Errorf("shape.event_oneof: %s has no oneof %q", out.FullName(), name)
		}
	}
	if path := sh.GetEventField(); path != "" {
		if s.eventField, err = fieldPath(out, path); err != nil {
			return nil, fmt.Errorf("shape.event_field: %w", err)
		}
		if k := s.eventField[len(s.eventField)-1].Kind(); k != protoreflect.StringKind && k != protoreflect.EnumKind {
			return nil, fmt.Errorf("shape.event_field: %s is neither a string nor an enum", s.eventField[len(s.eventField)-1].FullName())
		}
	}
	if path := sh.GetDataField(); path != "" {
		if s.dataField, err = fieldPath(out, path); err != nil {
			return nil, fmt.Errorf("shape.data_field: %w", err)
		}
	}
	if sh.GetSentinel() != "" {
		s.sentinel = &sentinel{event: sh.GetSentinelEvent(), data: []byte(sh.GetSentinel())}
	}
	if s.oneof == nil && s.eventField == nil && s.dataField == nil && s.sentinel == nil {
		return nil, nil
	}
	if fd := out.Fields().ByName(protoreflect.Name(opts.GetIdField())); fd != nil && !fd.IsList() && !fd.IsMap() {
		switch fd.Kind() {
		case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
			// A string may be empty, which an event's id cannot tell
			// from no id.
		default:
			s.idField = fd
		}
	}
	return s, nil
}

// fieldPath resolves a dotted path of proto field names in md; every
// field but the last is a singular message field.
func fieldPath(md protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, error) {
	var out []protoreflect.FieldDescriptor
	for name := range strings.SplitSeq(path, ".") {
		if n := len(out); n > 0 {
			prev := out[n-1]
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

// whole appends to dst the JSON of the whole response message of an event
// of the shape, and returns it. A case name that the descriptor does not
// know (of a newer server) gives a message with no case set, as a case
// unknown to the descriptor is in gRPC.
func (s *shape) whole(dst []byte, ev sse.Event) []byte {
	var data []protoreflect.FieldDescriptor // where the data goes
	switch {
	case s.oneof != nil:
		if ev.Event == "" {
			return append(dst, ev.Data...) // no case set: the whole message
		}
		fd := s.oneof.Fields().ByName(protoreflect.Name(ev.Event))
		if fd == nil {
			return append(dst, "{}"...)
		}
		data = []protoreflect.FieldDescriptor{fd}
	case s.dataField != nil:
		data = s.dataField
	default:
		return append(dst, ev.Data...)
	}
	members := []member{{path: data, value: ev.Data}}
	if s.eventField != nil && ev.Event != "" && !holds(data, s.eventField) {
		members = append(members, member{path: s.eventField, value: nameJSON(s.eventField[len(s.eventField)-1], ev.Event)})
	}
	if id := s.idField; id != nil && ev.ID != "" && !holds(data, []protoreflect.FieldDescriptor{id}) {
		members = append(members, member{path: []protoreflect.FieldDescriptor{id}, value: idJSON(id, ev.ID)})
	}
	return appendObject(dst, members)
}

// holds reports whether the value of the field at data holds the field at
// path: data is the field, or a message on its way.
func holds(data, path []protoreflect.FieldDescriptor) bool {
	if len(data) > len(path) {
		return false
	}
	for i, fd := range data {
		if path[i] != fd {
			return false
		}
	}
	return true
}

// nameJSON is the JSON value of a field that names an event: a string, or
// an enum by its name or (when the name is a number) its number.
func nameJSON(fd protoreflect.FieldDescriptor, name string) []byte {
	if fd.Kind() == protoreflect.EnumKind && fd.Enum().Values().ByName(protoreflect.Name(name)) == nil && json.Valid([]byte(name)) {
		return []byte(name)
	}
	b, _ := json.Marshal(name) // a string never fails
	return b
}

// idJSON is the JSON value of a number field whose text, as the gateway
// writes it in an event id, is text: the text as a JSON string, which
// protojson reads for every kind of number, but bools and enum numbers.
func idJSON(fd protoreflect.FieldDescriptor, text string) []byte {
	if k := fd.Kind(); (k == protoreflect.BoolKind || k == protoreflect.EnumKind) && json.Valid([]byte(text)) {
		return []byte(text)
	}
	b, _ := json.Marshal(text)
	return b
}

// member is a value of the whole message at a path of fields.
type member struct {
	path  []protoreflect.FieldDescriptor
	value []byte
}

// appendObject appends a JSON object with the members, nested along their
// paths; members whose paths share a start share its objects.
func appendObject(dst []byte, members []member) []byte {
	dst = append(dst, '{')
	for i, m := range members {
		if m.path == nil {
			continue // written with an earlier member
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst, _ = appendName(dst, m.path[0])
		if len(m.path) == 1 {
			dst = append(dst, m.value...)
			continue
		}
		inner := []member{{path: m.path[1:], value: m.value}}
		for j := i + 1; j < len(members); j++ {
			if other := members[j]; other.path != nil && len(other.path) > 1 && other.path[0] == m.path[0] {
				inner = append(inner, member{path: other.path[1:], value: other.value})
				members[j].path = nil
			}
		}
		dst = appendObject(dst, inner)
	}
	return append(dst, '}')
}

// appendName appends the JSON name of fd and a colon.
func appendName(dst []byte, fd protoreflect.FieldDescriptor) ([]byte, error) {
	name, err := json.Marshal(fd.JSONName())
	dst = append(dst, name...)
	return append(dst, ':'), err
}

// streamOption returns the method's ssegw.v1.stream option, or nil.
func streamOption(md protoreflect.MethodDescriptor) *ssegwv1.StreamOptions {
	so, _ := methodExtension(md, ssegwv1.E_Stream).(*ssegwv1.StreamOptions)
	return so
}
