package openapi

import "google.golang.org/protobuf/reflect/protoreflect"

// Route is one HTTP route that the document describes: a gRPC method bound
// to an HTTP method and a path template, as a google.api.http rule binds it.
type Route struct {
	// Method is the HTTP method: GET, PUT, POST, DELETE, PATCH, or the
	// verb of a custom rule.
	Method string
	// Path is the path template in google.api.http syntax, such as
	// "/v1/{name=shelves/*}/books" or "/v1/books:search".
	Path string
	// Body is the request field the request body fills: "*" for the whole
	// request, the name of a field, or "" for a route without a body.
	Body string
	// ResponseBody is the response field whose value is the response body
	// of a unary route; "" for the whole response message.
	ResponseBody string
	// Desc is the gRPC method.
	Desc protoreflect.MethodDescriptor
	// Stream describes the events of a server-streaming route; nil for a
	// unary route, whose response is JSON.
	Stream *Stream
}

// Stream says how a server-streaming route turns response messages into
// Server-Sent Events.
type Stream struct {
	// Event is the event name of every message; "" sends unnamed events,
	// which EventSource delivers to onmessage.
	Event string
	// IDField is the dotted path of the response field whose value is each
	// event's id, a resume cursor; "" for events without ids. A stream
	// whose events have ids is resumable: the document lists the
	// Last-Event-ID header and query parameter for it.
	IDField string
	// ResumeField is the dotted path of the request field that receives a
	// reconnecting client's Last-Event-ID; "" when it reaches the backend
	// only as metadata.
	ResumeField string
	// HeartbeatEvent is the name of heartbeat events (with empty data);
	// "" for heartbeat comments, which are not events.
	HeartbeatEvent string
	// Shape, when set, takes event names and data from the response
	// message instead of sending each whole message.
	Shape Shape
}

// Shape takes an event's name and data from the fields of each response
// message, and may end the stream with a sentinel event.
type Shape struct {
	// EventOneof names a oneof of the response message: each message
	// becomes an event named after the case that is set (the case field's
	// name), whose data is that field's value. Messages with no case set
	// are not described.
	EventOneof string
	// EventField is the dotted path of a string or enum field of the
	// response whose value names the event (an enum by its value names).
	EventField string
	// DataField is the dotted path of the response field whose value is
	// the event data, instead of the whole message. It cannot be used with
	// EventOneof, whose case is the data.
	DataField string
	// Sentinel is the data of the event that ends a stream normally,
	// instead of the "end" event, such as "[DONE]".
	Sentinel string
	// SentinelEvent is the name of the sentinel event; "" for an unnamed
	// one.
	SentinelEvent string
}
