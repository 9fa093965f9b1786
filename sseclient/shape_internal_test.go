package sseclient

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/sse"
)

// TestWholeMessageJSON checks the JSON of the whole messages rebuilt from
// shaped events: nested paths that share their start, names that are
// enum numbers, a case of a newer server, ids.
func TestWholeMessageJSON(t *testing.T) {
	d, err := kitchensink.Compile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	methods := d.Service.Methods()
	for _, tc := range []struct {
		method string
		opts   *ssegwv1.StreamOptions
		ev     sse.Event
		want   string
	}{
		{"Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "payload.note", DataField: "payload.created"}},
			sse.Event{Event: "n", Data: []byte(`{"id":"a"}`)}, `{"payload":{"created":{"id":"a"},"note":"n"}}`},
		{"Wrapped", &ssegwv1.StreamOptions{IdField: "seq", Shape: &ssegwv1.Shape{EventField: "level", DataField: "payload.created"}},
			sse.Event{Event: "7", ID: "-3", Data: []byte(`{}`)}, `{"payload":{"created":{}},"level":7,"seq":"-3"}`},
		{"Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "level", DataField: "tags"}},
			sse.Event{Event: "LEVEL_LOW", Data: []byte(`["x"]`)}, `{"tags":["x"],"level":"LEVEL_LOW"}`},
		{"Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "kind", DataField: "kind"}},
			sse.Event{Event: "k", Data: []byte(`"k"`)}, `{"kind":"k"}`},
		{"Wrapped", &ssegwv1.StreamOptions{IdField: "kind", Shape: &ssegwv1.Shape{DataField: "payload"}},
			sse.Event{ID: "k", Data: []byte(`{}`)}, `{"payload":{}}`}, // a string id may be empty: not restored
		{"Wrapped", &ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "kind"}},
			sse.Event{Event: "k", Data: []byte(`{"kind":"k","seq":"1"}`)}, `{"kind":"k","seq":"1"}`},
		{"Feed", nil, sse.Event{Event: "created", ID: "4", Data: []byte(`{"id":"a"}`)}, `{"created":{"id":"a"},"seq":"4"}`},
		{"Feed", nil, sse.Event{Event: "note", ID: "5", Data: []byte(`"x"`)}, `{"note":"x","seq":"5"}`},
		{"Feed", nil, sse.Event{ID: "6", Data: []byte(`{"seq":"6"}`)}, `{"seq":"6"}`},
		{"Feed", nil, sse.Event{Event: "newer", ID: "7", Data: []byte(`{"x":1}`)}, `{}`},
	} {
		md := methods.ByName(protoreflect.Name(tc.method))
		s, err := shapeOf(md, tc.opts)
		if err != nil || s == nil {
			t.Fatalf("%s %v: %v", tc.method, tc.opts, err)
		}
		if got := string(s.whole([]byte("x"), tc.ev)); got != "x"+tc.want {
			t.Errorf("%s %v, event %q %s: %s, want %s", tc.method, tc.opts, tc.ev.Event, tc.ev.Data, got[1:], tc.want)
		}
	}
}
