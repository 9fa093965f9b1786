package openapi_test

import (
	"testing"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/openapi/openapitest"
	"github.com/ssegw/ssegw/sse"
)

// TestShapedStreamsMatchTheDocument runs streams whose events are shaped,
// by the proto option of Feed and by the gateway's options for Wrapped,
// and validates every event against the itemSchema of the route: events
// named after each case of a oneof (messages, scalars, a well-known type)
// or by an enum field (unknown numbers included), data from a field, a
// message with no case set, the sentinel and the end.
func TestShapedStreamsMatchTheDocument(t *testing.T) {
	gw, base := kitchenSinkGateway(t, gateway.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped",
		&ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "level", DataField: "payload.created"}}))
	raw, err := gw.OpenAPI(gateway.OpenAPIInfo{Title: "kitchen sink"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapitest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := doc.ItemSchema("POST", "/v1/feed")
	if err != nil {
		t.Fatal(err)
	}
	evs := events(t, "POST", base+"/v1/feed", `{"events":[
		{"seq":"1","created":{"id":"a","color":"BLUE"}},{"seq":"2","deleted":{"id":"a"}},{"seq":"3","note":"n"},
		{"seq":"4","count":"-1"},{"seq":"5","color":9},{"seq":"6","at":"2024-02-29T23:59:59Z"},
		{"seq":"7","everything":{"int64Value":"1","mapBool":{"true":"t"}}},{"seq":"8","blob":"AQ=="},{"seq":"9"}]}`)
	checkEvents(t, feed, evs, "created", "deleted", "note", "count", "color", "at", "everything", "blob", "")
	if last := evs[len(evs)-1]; last.Event != "" || string(last.Data) != "[DONE]" {
		t.Errorf("the last event is %q %s, want the sentinel", last.Event, last.Data)
	}

	wrapped, err := doc.ItemSchema("POST", "/v1/wrapped")
	if err != nil {
		t.Fatal(err)
	}
	evs = events(t, "POST", base+"/v1/wrapped", `{"envelopes":[{"level":"LEVEL_LOW","payload":{"created":{"title":"t"}}},{"level":42},{}]}`)
	checkEvents(t, wrapped, evs, "LEVEL_LOW", "42", "LEVEL_UNSPECIFIED", "end")

	for _, ev := range []sse.Event{
		{Event: "created", Data: []byte(`"text"`)},
		{Event: "note", Data: []byte(`{}`)},
		{Event: "nope", Data: []byte(`{}`)},
		{Data: []byte(`[DONE] `)},
		{Event: "end", Data: []byte(`{}`)},
	} {
		if feed.Validate(openapitest.EventObject(ev)) == nil {
			t.Errorf("event %q %s of Feed is valid by the itemSchema", ev.Event, ev.Data)
		}
	}
	if wrapped.Validate(openapitest.EventObject(sse.Event{Event: "LEVEL_LOW", Data: []byte(`{"created":{}}`)})) == nil {
		t.Error("an event of Wrapped with the whole payload is valid by the itemSchema")
	}
}
