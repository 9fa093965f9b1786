package openapi

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// eventSchema returns a reference to the schema of the events of a
// streaming route's method, adding it to the components under the name
// "<method full name>.Event". It follows the generic event schema of
// OpenAPI 3.2 (an object with data, event, id and retry, as the
// text/event-stream parsing rules leave them), with one branch per kind of
// event: the messages, or their shaped cases; the heartbeat event, when
// heartbeats are events; and the terminal "end" (or the sentinel) and
// "error" events. JSON data is a string whose contentSchema describes it.
func (b *builder) eventSchema(rt Route) (*Schema, error) {
	md := rt.Desc
	if s, ok := b.events[md.FullName()]; ok {
		return s, nil
	}
	st := rt.Stream
	s := &Schema{Description: fmt.Sprintf("An event of the stream of %s, as EventSource delivers it: "+
		"\"event\" is its name (absent for an unnamed event, which goes to onmessage), \"data\" its data, "+
		"\"id\" the last event id. Comments, such as heartbeats, are not events.", md.FullName())}
	messages, err := b.messageEvents(md.Output(), st)
	if err != nil {
		return nil, err
	}
	if st.IDField != "" {
		for _, m := range messages {
			id, _ := m.Properties.get("id")
			id.Description = fmt.Sprintf("The value of the response field `%s`: a resume cursor, which a reconnecting EventSource sends back as Last-Event-ID.", st.IDField)
		}
	}
	s.AnyOf = messages
	if st.HeartbeatEvent != "" {
		s.AnyOf = append(s.AnyOf, event("heartbeat", "A heartbeat, sent when the stream has been quiet for a while.", named(st.HeartbeatEvent), textData("")))
	}
	if st.Shape.Sentinel != "" {
		s.AnyOf = append(s.AnyOf, event("sentinel", "Ends the stream when the backend ends it.", named(st.Shape.SentinelEvent), textData(st.Shape.Sentinel)))
	} else {
		b.endEvents = true
		s.AnyOf = append(s.AnyOf, event("end", "Ends the stream when the backend ends it.", named("end"), jsonData(ref(streamEndSchema))))
	}
	s.AnyOf = append(s.AnyOf, event("error", "Ends the stream when the backend fails after the stream started.", named("error"), jsonData(ref(streamErrorSchema))))

	name := string(md.FullName()) + ".Event"
	r := b.comps.add(name, s)
	b.events[md.FullName()] = r
	return r, nil
}

// messageEvents returns the branches of the events that carry response
// messages of type out, or their shaped parts.
func (b *builder) messageEvents(out protoreflect.MessageDescriptor, st *Stream) ([]*Schema, error) {
	sh := st.Shape
	data := jsonData(b.comps.message(out))
	if sh.DataField != "" {
		if sh.EventOneof != "" {
			return nil, fmt.Errorf("a data field cannot be used with an event oneof, whose case is the data")
		}
		fd, err := resolveField(out, sh.DataField)
		if err != nil {
			return nil, fmt.Errorf("data field: %w", err)
		}
		data = jsonData(b.comps.fieldSchema(fd))
	}
	switch {
	case sh.EventOneof != "":
		od := out.Oneofs().ByName(protoreflect.Name(sh.EventOneof))
		if od == nil {
			return nil, fmt.Errorf("event oneof: %s has no oneof %q", out.FullName(), sh.EventOneof)
		}
		var branches []*Schema
		for i := range od.Fields().Len() {
			fd := od.Fields().Get(i)
			desc := comment(fd)
			if desc == "" {
				desc = fmt.Sprintf("A response whose oneof `%s` holds `%s`: its value.", od.Name(), fd.Name())
			}
			branches = append(branches, event(string(fd.Name()), desc, named(string(fd.Name())), jsonData(b.comps.valueSchema(fd))))
		}
		return branches, nil
	case sh.EventField != "":
		fd, err := resolveField(out, sh.EventField)
		if err != nil {
			return nil, fmt.Errorf("event field: %w", err)
		}
		if fd.IsList() || fd.IsMap() {
			return nil, fmt.Errorf("event field %s is repeated", fd.FullName())
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			return []*Schema{event("message", fmt.Sprintf("A response message, named by its field `%s`.", sh.EventField), &Schema{Type: "string"}, data)}, nil
		case protoreflect.EnumKind:
			var branches []*Schema
			values := fd.Enum().Values()
			for i := range values.Len() {
				v := values.Get(i)
				branches = append(branches, event(string(v.Name()), fmt.Sprintf("A response message whose field `%s` is %s.", sh.EventField, v.Name()), named(string(v.Name())), data))
			}
			return branches, nil
		}
		return nil, fmt.Errorf("event field %s is neither a string nor an enum", fd.FullName())
	}
	desc := "A response message."
	return []*Schema{event(orDefault(st.Event, "message"), desc, named(st.Event), data)}, nil
}

// event is the schema of one kind of event, the generic event schema of
// OpenAPI 3.2 with the given "event" and "data" members.
func event(title, desc string, name, data *Schema) *Schema {
	s := &Schema{Title: title, Description: desc, Type: "object", Required: []string{"data"}, AdditionalProperties: boolSchema(false)}
	s.property("event", name)
	s.property("data", data)
	s.property("id", &Schema{Type: "string"})
	s.property("retry", &Schema{Type: "integer", Minimum: "0", Description: "The reconnection delay, in milliseconds."})
	if name.boolean == nil {
		s.Required = []string{"event", "data"}
	}
	return s
}

// named is the schema of the "event" member of events named name: absent
// for unnamed events.
func named(name string) *Schema {
	if name == "" {
		return boolSchema(false)
	}
	return constant(name)
}

// jsonData is the schema of data that holds JSON described by s.
func jsonData(s *Schema) *Schema {
	return &Schema{Type: "string", ContentMediaType: "application/json", ContentSchema: s}
}

// textData is the schema of data that is exactly text.
func textData(text string) *Schema {
	c := constant(text)
	c.Type = "string"
	return c
}

// orDefault returns a, or b when a is empty.
func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
