package gateway_test

import (
	"log/slog"
	"strings"
	"testing"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// TestIDThatCannotBeSentWarnsOnce: a backend whose id field holds a line
// break, which cannot stand in an SSE id. Every event goes without its id,
// and the log gets one warning for them all, not one per event.
func TestIDThatCannotBeSentWarnsOnce(t *testing.T) {
	const n = 50
	conn, _ := startBackend(t)
	var logs logBuffer
	base := startGateway(t, conn,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", &ssegwv1.StreamOptions{IdField: "symbol"}))

	events := open(t, "GET", base+"/v1/symbols/A%0AB/ticks?count=50&interval=0.001s", nil, "").rest(t)
	if len(events) != n+1 {
		t.Fatalf("%d events, want %d ticks and end", len(events), n)
	}
	for _, ev := range events[:n] {
		if ev.Event != "tick" || ev.ID != "" {
			t.Fatalf("event %+v, want a tick without id", ev)
		}
	}
	if warnings := strings.Count(logs.String(), `"msg":"event id cannot be sent`); warnings != 1 {
		t.Errorf("%d warnings, want 1 for all %d events", warnings, n)
	}
}
