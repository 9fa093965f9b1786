package gateway_test

import (
	"strings"
	"testing"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
)

// feedEvents are events of the kitchen-sink Feed, one of every case of
// its oneof (messages, scalars, a well-known type), a zero scalar case,
// an empty message case, and one with no case set, with the events the
// Feed's option makes of them: named after the case, with its value as
// data, then the sentinel.
const feedEvents = `{"events":[
	{"seq":"1","created":{"id":"a","title":"<b>é</b>","color":"BLUE"}},
	{"seq":"2","deleted":{"id":"a","reason":"gone"}},
	{"seq":"3","note":"héllo \"x\"\n"},
	{"seq":"4","count":"-9223372036854775808"},
	{"seq":"5","color":"CRIMSON"},
	{"seq":"6","at":"2024-02-29T23:59:59.5Z"},
	{"seq":"7","everything":{"int64Value":"1","repeatedColor":["RED",9],"choiceInner":{"name":"n"}}},
	{"seq":"8","blob":"AQL/"},
	{"seq":"9","color":"COLOR_UNSPECIFIED"},
	{"seq":"10"},
	{"seq":"11","created":{}}
]}`

var feedWant = []wantEvent{
	{"created", "1", `{"id":"a","title":"<b>é</b>","color":"BLUE"}`},
	{"deleted", "2", `{"id":"a","reason":"gone"}`},
	{"note", "3", `"héllo \"x\"\n"`},
	{"count", "4", `"-9223372036854775808"`},
	{"color", "5", `"RED"`},
	{"at", "6", `"2024-02-29T23:59:59.500Z"`},
	{"everything", "7", `{"int64Value":"1","repeatedColor":["RED",9],"choiceInner":{"name":"n"}}`},
	{"blob", "8", `"AQL/"`},
	{"color", "9", `"COLOR_UNSPECIFIED"`},
	{"", "10", `{"seq":"10"}`},
	{"created", "11", `{}`},
	{"", "11", "[DONE]"}, // the last event id stays
}

// TestShapedByTheProtoOption streams Feed, whose proto option names each
// event after the case of a oneof and ends the stream with a sentinel,
// through a gateway that knows the backend only by reflection, over
// HTTP/1.1 and HTTP/2, by GET and POST.
func TestShapedByTheProtoOption(t *testing.T) {
	_, conn := startKitchenSink(t)
	base := serveH1H2(t, newGateway(t, conn))
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			client := clientFor(t, proto)
			checkEventsAre(t, shapedEvents(t, client, "POST", base+"/v1/feed", feedEvents), feedWant)
			checkEventsAre(t, shapedEvents(t, client, "GET", base+"/v1/feed?"+requestParam(feedEvents), ""), feedWant)
		})
	}
}

// wrappedEnvelopes are messages of the kitchen-sink Wrapped, which its
// tests shape by the gateway's options.
const wrappedEnvelopes = `{"envelopes":[
	{"seq":"1","kind":"created","level":"LEVEL_HIGH","payload":{"created":{"id":"a"}},"tags":["x","y"]},
	{"seq":"2","kind":"","level":7,"payload":{"note":"n"}},
	{"seq":"3","kind":"x y","payload":{}},
	{"seq":"4"}
]}`

// TestShapedByOptions shapes Wrapped, which has no stream option, with
// WithMethodOptions: names from a string field (empty: unnamed) or an
// enum field (by value name, an unknown number by its number), data from
// a field (a message, one under an unset message, a list, a scalar), and
// the end or a named sentinel.
func TestShapedByOptions(t *testing.T) {
	_, conn := startKitchenSink(t)
	const method = "kitchensink.v1.KitchenSink.Wrapped"
	for _, tc := range []struct {
		name string
		opts *ssegwv1.StreamOptions
		want []wantEvent
	}{{
		name: "named by a string field, the data a message field",
		opts: &ssegwv1.StreamOptions{IdField: "seq", Shape: &ssegwv1.Shape{EventField: "kind", DataField: "payload"}},
		want: []wantEvent{
			{"created", "1", `{"created":{"id":"a"}}`},
			{"", "2", `{"note":"n"}`},
			{"x y", "3", `{}`},
			{"", "4", `{}`},
			{"end", "4", `{}`},
		},
	}, {
		name: "named by an enum field, the data under a message, a named sentinel",
		opts: &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "level", DataField: "payload.created", Sentinel: "[DONE]", SentinelEvent: "done"}},
		want: []wantEvent{
			{"LEVEL_HIGH", "", `{"id":"a"}`},
			{"7", "", `{}`},
			{"LEVEL_UNSPECIFIED", "", `{}`},
			{"LEVEL_UNSPECIFIED", "", `{}`},
			{"done", "", `[DONE]`},
		},
	}, {
		name: "the data a list, under the method's event name",
		opts: &ssegwv1.StreamOptions{Event: "tags", Shape: &ssegwv1.Shape{DataField: "tags"}},
		want: []wantEvent{
			{"tags", "", `["x","y"]`},
			{"tags", "", `[]`},
			{"tags", "", `[]`},
			{"tags", "", `[]`},
			{"end", "", `{}`},
		},
	}, {
		name: "the data a scalar",
		opts: &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{DataField: "seq", Sentinel: "[DONE]"}},
		want: []wantEvent{
			{"", "", `"1"`},
			{"", "", `"2"`},
			{"", "", `"3"`},
			{"", "", `"4"`},
			{"", "", `[DONE]`},
		},
	}, {
		name: "the whole message named by a field",
		opts: &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "payload.note"}},
		want: []wantEvent{
			{"", "", `{"seq":"1","kind":"created","level":"LEVEL_HIGH","payload":{"created":{"id":"a"}},"tags":["x","y"]}`},
			{"n", "", `{"seq":"2","level":7,"payload":{"note":"n"}}`},
			{"", "", `{"seq":"3","kind":"x y","payload":{}}`},
			{"", "", `{"seq":"4"}`},
			{"end", "", `{}`},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			base := serveH1H2(t, newGateway(t, conn, gateway.WithMethodOptions(method, tc.opts)))
			for _, proto := range protocols {
				t.Run(proto, func(t *testing.T) {
					checkEventsAre(t, shapedEvents(t, clientFor(t, proto), "POST", base+"/v1/wrapped", wrappedEnvelopes), tc.want)
				})
			}
		})
	}
}

// TestShapedNamesThatCannotBeSent: a string field that names an event
// with a line break, or as a terminal event, ends the stream with an
// error event after the events before it.
func TestShapedNamesThatCannotBeSent(t *testing.T) {
	_, conn := startKitchenSink(t)
	base := serveH1H2(t, newGateway(t, conn, gateway.WithHeartbeatEvent("beat"), gateway.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped",
		&ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "kind", DataField: "seq"}})))
	for _, kind := range []string{`a\nb`, `a\rb`, `end`, `error`, `beat`} {
		t.Run(kind, func(t *testing.T) {
			evs := shapedEvents(t, clientFor(t, "h1"), "POST", base+"/v1/wrapped", `{"envelopes":[{"seq":"1","kind":"ok"},{"seq":"2","kind":"`+kind+`"},{"seq":"3"}]}`)
			if len(evs) != 2 || evs[0].Event != "ok" || evs[1].Event != "error" ||
				!strings.Contains(string(evs[1].Data), `"code":13`) || !strings.Contains(string(evs[1].Data), "kitchensink.v1.Envelope.kind") {
				t.Errorf("events %q", evs)
			}
		})
	}
}

// TestShapingRefused: options that cannot shape a method's events are
// refused by New, with the option named.
func TestShapingRefused(t *testing.T) {
	_, conn := startKitchenSink(t)
	for _, tc := range []struct {
		name   string
		method string
		opts   *ssegwv1.StreamOptions
		extra  []gateway.Option
		want   string
	}{
		{"a event name and a oneof", "Feed", &ssegwv1.StreamOptions{Event: "x"}, nil, "shape.event_oneof excludes event"},
		{"a oneof and an event field", "Feed", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "note"}}, nil, "shape.event_oneof excludes shape.event_field"},
		{"a oneof and a data field", "Feed", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{DataField: "created"}}, nil, "shape.event_oneof excludes shape.data_field"},
		{"an event name and an event field", "Wrapped", &ssegwv1.StreamOptions{Event: "x", Shape: &ssegwv1.Shape{EventField: "kind"}}, nil, "shape.event_field excludes event"},
		{"no such oneof", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventOneof: "event"}}, nil, `shape.event_oneof: kitchensink.v1.Envelope has no oneof "event"`},
		{"the oneof of an optional field", "Emit", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventOneof: "_optional_int32"}}, nil, "shape.event_oneof: \"_optional_int32\" is the oneof of the optional field"},
		{"a case named as heartbeats", "Feed", nil, []gateway.Option{gateway.WithHeartbeatEvent("note")}, "shape.event_oneof: case kitchensink.v1.FeedEvent.note: the event name \"note\" is the name of the stream's heartbeat events"},
		{"an event field of a message", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "payload"}}, nil, "shape.event_field: field kitchensink.v1.Envelope.payload is a message"},
		{"an event field of a number", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "seq"}}, nil, "shape.event_field: field kitchensink.v1.Envelope.seq is a int64, neither a string nor an enum"},
		{"an event field that is repeated", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "tags"}}, nil, "shape.event_field: field kitchensink.v1.Envelope.tags is repeated"},
		{"no such data field", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{DataField: "payload.nope"}}, nil, `shape.data_field: kitchensink.v1.FeedEvent has no field "nope"`},
		{"a data field under a list", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{DataField: "tags.x"}}, nil, "shape.data_field: field kitchensink.v1.Envelope.tags is not a singular message"},
		{"a data field in a well-known type", "Watch", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{DataField: "time.seconds"}}, nil, "shape.data_field: pbjson: google.protobuf.Timestamp is written whole in JSON"},
		{"a sentinel event without data", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{SentinelEvent: "done"}}, nil, "shape.sentinel_event needs shape.sentinel"},
		{"a sentinel named as heartbeats", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{Sentinel: "x", SentinelEvent: "beat"}}, []gateway.Option{gateway.WithHeartbeatEvent("beat")}, `shape.sentinel_event "beat" is the name of the stream's heartbeat events`},
		{"a sentinel named error", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{Sentinel: "x", SentinelEvent: "error"}}, nil, `shape.sentinel_event "error" is the name of the stream's terminal events`},
		{"a sentinel with a line break", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{Sentinel: "a\nb"}}, nil, "shape.sentinel \"a\\nb\" contains a line break"},
		{"a JSON sentinel like a message", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{Sentinel: "{}"}}, nil, `shape.sentinel "{}" is JSON, as the data of a message event named "" may be`},
		{"a JSON sentinel like a case", "Feed", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{Sentinel: "null", SentinelEvent: "note"}}, nil, `shape.sentinel "null" is JSON`},
		{"a JSON sentinel with a string field", "Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "kind", Sentinel: "0", SentinelEvent: "done"}}, nil, `shape.sentinel "0" is JSON`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.extra
			if tc.opts != nil {
				opts = append(opts, gateway.WithMethodOptions("kitchensink.v1.KitchenSink."+tc.method, tc.opts))
			}
			_, err := gateway.New(t.Context(), conn, opts...)
			if err == nil || !strings.Contains(err.Error(), "kitchensink.v1.KitchenSink."+tc.method+": "+tc.want) {
				t.Errorf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
	t.Run("a JSON sentinel no message event can be confused with", func(t *testing.T) {
		newGateway(t, conn, gateway.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped",
			&ssegwv1.StreamOptions{Event: "item", Shape: &ssegwv1.Shape{Sentinel: "{}"}}))
	})
}
