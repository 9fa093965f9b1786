package config

import "strings"

// validateShape checks what can be checked of a method's shaping without
// its descriptors: options that exclude each other, and names and data
// that cannot stand in an event. key names a key of the method.
func (c *loaded) validateShape(m Method, key func(string) string) error {
	s := m.Shape
	if s == nil {
		return nil
	}
	sk := func(k string) string { return key("shape." + k) }
	switch {
	case s.EventOneof != "" && m.Event != "":
		return c.errorf(sk("event_oneof"), "and event (%s) exclude each other: events are named after the oneof's cases", c.origin(key("event")))
	case s.EventOneof != "" && s.EventField != "":
		return c.errorf(sk("event_oneof"), "and shape.event_field (%s) exclude each other: events are named after the oneof's cases", c.origin(sk("event_field")))
	case s.EventOneof != "" && s.DataField != "":
		return c.errorf(sk("event_oneof"), "and shape.data_field (%s) exclude each other: the data is the value of the case that is set", c.origin(sk("data_field")))
	case s.EventField != "" && m.Event != "":
		return c.errorf(sk("event_field"), "and event (%s) exclude each other: events are named by the field", c.origin(key("event")))
	case s.SentinelEvent != "" && s.Sentinel == "":
		return c.errorf(sk("sentinel_event"), "needs shape.sentinel, the sentinel's data")
	case s.SentinelEvent == "end" || s.SentinelEvent == "error":
		return c.errorf(sk("sentinel_event"), "%q is the name of the stream's terminal events", s.SentinelEvent)
	}
	for _, k := range []struct{ name, v string }{{"sentinel", s.Sentinel}, {"sentinel_event", s.SentinelEvent}} {
		if strings.ContainsAny(k.v, "\r\n\x00") {
			return c.errorf(sk(k.name), "%q contains a line break or NUL", k.v)
		}
	}
	return nil
}
