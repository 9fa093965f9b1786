package main

import (
	"net/http"
	"net/url"
	"testing"
)

// TestShapingFromTheConfigFile shapes the events of a method whose proto
// has no stream option by the methods map of the configuration file: the
// name from a field, the data from another, and a sentinel.
func TestShapingFromTheConfigFile(t *testing.T) {
	file := kitchenSinkConfig(t, "      kitchensink.v1.KitchenSink.Wrapped:\n"+
		"        shape: {event_field: kind, data_field: payload.note, sentinel: '[DONE]', sentinel_event: done}\n")
	gw := startGateway(t, nil, "--config", file)
	req := `{"envelopes":[{"kind":"note","payload":{"note":"hi"}},{"kind":"other"}]}`
	_, events := readStream(t, http.DefaultClient, gw.base+"/v1/wrapped?request="+url.QueryEscape(req))
	var got [][2]string
	for _, ev := range events {
		if ev.Data != nil {
			got = append(got, [2]string{ev.Event, string(ev.Data)})
		}
	}
	want := [][2]string{{"note", `"hi"`}, {"other", `""`}, {"done", "[DONE]"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("events %q, want %q", got, want)
	}
}
