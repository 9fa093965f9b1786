package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/httprequest"
	"github.com/ssegw/ssegw/internal/pbjson"
)

// Event shaping.
//
// A method whose options shape its events (ssegw.v1.Shape) takes each
// event's name and data from the fields of its messages: the name of the
// case of a oneof that is set and that case's value, or the value of a
// string or enum field, and the value of a data field instead of the
// whole message. The parts are found in the message's wire bytes and only
// their bytes are written as JSON (see pbjson.FieldEncoder); the name is
// read from the same bytes, as the event id is.

// shape is how a method's messages become events when its options shape
// them.
type shape struct {
	opts *ssegwv1.Shape // as given, for the OpenAPI document
	// oneof is the oneof whose case names the event, and oneofJSON writes
	// the case's value; nil without event_oneof.
	oneof     protoreflect.OneofDescriptor
	oneofJSON *pbjson.OneofEncoder
	// eventField is the string or enum field that names the event; nil
	// without event_field.
	eventField httprequest.ScalarPath
	// data is the field whose value is the event data, and dataJSON
	// writes it; nil without data_field.
	data     []protoreflect.FieldDescriptor
	dataJSON *pbjson.FieldEncoder
	// sentinel, when set, is the event that ends the stream in place of
	// "end".
	sentinel      bool
	sentinelEvent string
	sentinelData  []byte
	// heartbeatEvent is the name of the stream's heartbeat events, which
	// no other event may have.
	heartbeatEvent string
}

// newShape checks the shaping of the method md, whose other options are
// opts and whose heartbeat events are named heartbeatEvent, and resolves
// its fields. It returns nil when the method's events are not shaped.
func newShape(md protoreflect.MethodDescriptor, opts *ssegwv1.StreamOptions, heartbeatEvent string) (*shape, error) {
	sh := opts.GetShape()
	if sh == nil || (sh.GetEventOneof() == "" && sh.GetEventField() == "" && sh.GetDataField() == "" && sh.GetSentinel() == "" && sh.GetSentinelEvent() == "") {
		return nil, nil
	}
	s := &shape{opts: sh, heartbeatEvent: heartbeatEvent}
	out := md.Output()
	switch {
	case sh.GetEventOneof() != "" && opts.GetEvent() != "":
		return nil, errors.New("shape.event_oneof excludes event: events are named after the oneof's cases")
	case sh.GetEventOneof() != "" && sh.GetEventField() != "":
		return nil, errors.New("shape.event_oneof excludes shape.event_field: events are named after the oneof's cases")
	case sh.GetEventOneof() != "" && sh.GetDataField() != "":
		return nil, errors.New("shape.event_oneof excludes shape.data_field: the data is the value of the case that is set")
	case sh.GetEventField() != "" && opts.GetEvent() != "":
		return nil, fmt.Errorf("shape.event_field excludes event: events are named by the field")
	}
	if name := sh.GetEventOneof(); name != "" {
		od := out.Oneofs().ByName(protoreflect.Name(name))
		switch {
		case od == nil:
			return nil, fmt.Errorf("shape.event_oneof: %s has no oneof %q", out.FullName(), name)
		case od.IsSynthetic():
			return nil, fmt.Errorf("shape.event_oneof: %q is the oneof of the optional field %s, not a oneof of cases", name, od.Fields().Get(0).FullName())
		}
		for i := range od.Fields().Len() {
			if err := checkEventName(string(od.Fields().Get(i).Name()), heartbeatEvent); err != nil {
				return nil, fmt.Errorf("shape.event_oneof: case %s: %w", od.Fields().Get(i).FullName(), err)
			}
		}
		s.oneof = od
	}
	if path := sh.GetEventField(); path != "" {
		p, err := httprequest.ResolveScalarPath(out, path)
		if err != nil {
			return nil, fmt.Errorf("shape.event_field: %w", err)
		}
		fd := p[len(p)-1]
		switch fd.Kind() {
		case protoreflect.StringKind:
		case protoreflect.EnumKind:
			values := fd.Enum().Values()
			for i := range values.Len() {
				if err := checkEventName(string(values.Get(i).Name()), heartbeatEvent); err != nil {
					return nil, fmt.Errorf("shape.event_field: value %s: %w", values.Get(i).FullName(), err)
				}
			}
		default:
			return nil, fmt.Errorf("shape.event_field: field %s is a %s, neither a string nor an enum", fd.FullName(), fd.Kind())
		}
		s.eventField = p
	}
	if path := sh.GetDataField(); path != "" {
		p, err := httprequest.ResolveFieldPath(out, path)
		if err != nil {
			return nil, fmt.Errorf("shape.data_field: %w", err)
		}
		s.data = p
	}
	if err := s.setSentinel(sh, opts.GetEvent()); err != nil {
		return nil, err
	}
	return s, nil
}

// checkEventName refuses a name that messages cannot take: one that
// cannot stand in an SSE field, a terminal event's, the heartbeats'.
func checkEventName(name, heartbeatEvent string) error {
	if err := validateFieldValue("event name", name); err != nil {
		return err
	}
	switch {
	case name == EndEvent || name == ErrorEvent:
		return fmt.Errorf("the event name %q is the name of the stream's terminal events", name)
	case name != "" && name == heartbeatEvent:
		return fmt.Errorf("the event name %q is the name of the stream's heartbeat events", name)
	}
	return nil
}

// setSentinel checks and sets the sentinel of sh. event is the name of
// every message event when the shape does not name them.
func (s *shape) setSentinel(sh *ssegwv1.Shape, event string) error {
	data, name := sh.GetSentinel(), sh.GetSentinelEvent()
	switch {
	case data == "" && name != "":
		return fmt.Errorf("shape.sentinel_event needs shape.sentinel, the sentinel's data")
	case data == "":
		return nil
	}
	if err := validateFieldValue("shape.sentinel", data); err != nil {
		return err
	}
	if err := validateFieldValue("shape.sentinel_event", name); err != nil {
		return err
	}
	if name == EndEvent || name == ErrorEvent {
		return fmt.Errorf("shape.sentinel_event %q is the name of the stream's terminal events", name)
	}
	if name != "" && name == s.heartbeatEvent {
		return fmt.Errorf("shape.sentinel_event %q is the name of the stream's heartbeat events", name)
	}
	if json.Valid([]byte(data)) && s.messagesMayBeNamed(name, event) {
		return fmt.Errorf("shape.sentinel %q is JSON, as the data of a message event named %q may be: a client could not tell them apart", data, name)
	}
	s.sentinel, s.sentinelEvent, s.sentinelData = true, name, []byte(data)
	return nil
}

// messagesMayBeNamed reports whether an event that carries a message may
// be named name.
func (s *shape) messagesMayBeNamed(name, event string) bool {
	switch {
	case s.oneof != nil:
		// Cases are named after their fields; with no case set, unnamed.
		return name == "" || s.oneof.Fields().ByName(protoreflect.Name(name)) != nil
	case s.eventField != nil:
		return true // a string may hold any name, an enum numbers
	}
	return name == event
}

// compile makes the encoders of the shape's parts from enc, the encoder
// of whole messages.
func (s *shape) compile(enc *pbjson.TypeEncoder) error {
	var err error
	if s.oneof != nil {
		if s.oneofJSON, err = enc.Oneof(s.oneof); err != nil {
			return fmt.Errorf("shape.event_oneof: %w", err)
		}
	}
	if s.data != nil {
		if s.dataJSON, err = enc.Field(s.data...); err != nil {
			return fmt.Errorf("shape.data_field: %w", err)
		}
	}
	return nil
}

// appendEvent appends to dst the data of the event of the message whose
// wire bytes are wire, and after it the event name when the name is read
// from a string field. It returns the buffer, the end of the data in it,
// and the event's name, which may point into the buffer. The error is a
// status error: the message cannot be written as JSON, or names its event
// with a name that cannot be sent.
func (m *method) appendEvent(dst, wire []byte) (buf []byte, dataEnd int, name string, err error) {
	s := m.shape
	if s == nil || (s.oneof == nil && s.eventField == nil && s.data == nil) {
		buf, err = m.json.MarshalWire(dst, wire)
		if err != nil {
			return dst, 0, "", m.encodingError(err)
		}
		return buf, len(buf), m.event, nil
	}
	name = m.event
	switch {
	case s.oneofJSON != nil:
		var set protoreflect.FieldDescriptor
		buf, set, err = s.oneofJSON.MarshalWire(dst, wire)
		switch {
		case err == nil && set == nil:
			// No case is set: the whole message, unnamed.
			buf, err = m.json.MarshalWire(dst, wire)
		case err == nil:
			name = string(set.Name())
		}
	case s.dataJSON != nil:
		buf, err = s.dataJSON.MarshalWire(dst, wire)
	default:
		buf, err = m.json.MarshalWire(dst, wire)
	}
	if err != nil {
		return dst, 0, "", m.encodingError(err)
	}
	dataEnd = len(buf)
	if s.eventField != nil {
		if buf, name, err = s.appendFieldName(buf, wire, m.out); err != nil {
			return dst, 0, "", status.Errorf(codes.Internal, "%s: %v", m.desc.Output().FullName(), err)
		}
	}
	return buf, dataEnd, name, nil
}

// encodingError is the status of a message that cannot be written as
// JSON.
func (m *method) encodingError(err error) error {
	return status.Errorf(codes.Internal, "encoding %s as JSON: %v", m.desc.Output().FullName(), err)
}

// appendFieldName returns the event name held by the event field in the
// message whose wire bytes are wire, of type mt: a string as it is,
// appended to dst, an enum value by its name, or by its number (appended
// to dst) when it has none. A field under an unset message has its default
// value.
func (s *shape) appendFieldName(dst, wire []byte, mt protoreflect.MessageType) (_ []byte, name string, err error) {
	fd := s.eventField[len(s.eventField)-1]
	start := len(dst)
	buf, ok := appendWireID(dst, s.eventField, wire, mt)
	if !ok {
		buf = appendValueText(dst[:start], fd, fd.Default())
	}
	text := buf[start:]
	if fd.Kind() == protoreflect.EnumKind {
		n, err := strconv.ParseInt(string(text), 10, 32)
		if err != nil {
			return dst, "", fmt.Errorf("the enum value %q of %s: %w", text, fd.FullName(), err)
		}
		if v := fd.Enum().Values().ByNumber(protoreflect.EnumNumber(n)); v != nil {
			return buf[:start], string(v.Name()), nil
		}
		return buf, transientString(text), nil
	}
	if !utf8.Valid(text) {
		return dst, "", fmt.Errorf("the event name in %s is not valid UTF-8", fd.FullName())
	}
	name = transientString(text)
	if err := checkEventName(name, s.heartbeatEvent); err != nil {
		return dst, "", fmt.Errorf("%s: %w", fd.FullName(), err)
	}
	return buf, name, nil
}
