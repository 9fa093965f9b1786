package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssegw/ssegw/internal/kitchensink"
)

// TestShapingFromTheConfigFile shapes the events of a method whose proto
// has no stream option by the methods map of the configuration file: the
// name from a field, the data from another, and a sentinel.
func TestShapingFromTheConfigFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	content := "listen: 127.0.0.1:0\nbackends:\n  - target: " + srv.Addr + "\n    methods:\n" +
		"      kitchensink.v1.KitchenSink.Wrapped:\n" +
		"        shape: {event_field: kind, data_field: payload.note, sentinel: '[DONE]', sentinel_event: done}\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
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
