package browsertest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/openapi/openapitest"
)

// received is an event as a page's EventSource delivered it.
type received struct {
	Stream      string `json:"stream"`
	Type        string `json:"type"`
	Data        string `json:"data"`
	LastEventID string `json:"lastEventId"`
}

// object is the event as OpenAPI 3.2 models it: "event" is absent for the
// default type, "id" for an empty last event id.
func (r received) object() map[string]any {
	obj := map[string]any{"data": r.Data}
	if r.Type != "message" {
		obj["event"] = r.Type
	}
	if r.LastEventID != "" {
		obj["id"] = r.LastEventID
	}
	return obj
}

// TestEventSourceEventsMatchTheOpenAPIDocument opens EventSources on the
// demo's streams in Chromium and checks every event the page receives,
// data included, against the itemSchema of its route in the document the
// gateway serves.
func TestEventSourceEventsMatchTheOpenAPIDocument(t *testing.T) {
	b := startBackend(t)
	gw := newGateway(t, b, gateway.WithRetry(100*time.Millisecond), gateway.WithOpenAPI("/openapi.json", gateway.OpenAPIInfo{Title: "demo"}))
	html := `<!doctype html><title>events</title><script>
window.got = []; window.ended = 0;
function watch(stream, url) {
  const es = new EventSource(url);
  const record = (e) => {
    if (!(e instanceof MessageEvent)) return; // a connection failure
    got.push({stream, type: e.type, data: e.data, lastEventId: e.lastEventId});
    if (e.type === "end" || e.type === "error") { es.close(); ended++; }
  };
  for (const type of ["message", "tick", "end", "error"]) es.addEventListener(type, record);
}
watch("ticks", "/v1/symbols/ACME/ticks?interval=0.05s&count=3");
watch("sequence", "/v1/streams/s/events?interval=0.05s&lastSeq=3");
watch("fail", "/examples.demo.v1.DemoService/Fail?code=5&message=gone&after=2&reason=DEMO");
window.report = () => ({got, ended});
</script>`
	srv := startServer(t, page(html, gw))
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url()+"/page.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "three streams to end", `ended === 3`)
	var got []received
	if err := json.Unmarshal([]byte(evaluate[string](t, ctx, `JSON.stringify(got)`)), &got); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(srv.url() + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: %v %s", err, resp.Status)
	}
	doc, err := openapitest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{
		"ticks":    "/v1/symbols/{symbol}/ticks",
		"sequence": "/v1/streams/{stream}/events",
		"fail":     "/examples.demo.v1.DemoService/Fail",
	}
	counts := map[string]int{}
	for _, ev := range got {
		s, err := doc.ItemSchema("GET", paths[ev.Stream])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(ev.object()); err != nil {
			t.Errorf("%s: event %q %s (id %q) is not valid by the itemSchema: %v", ev.Stream, ev.Type, ev.Data, ev.LastEventID, err)
		}
		counts[ev.Stream+" "+ev.Type]++
	}
	want := map[string]int{"ticks tick": 3, "ticks end": 1, "sequence message": 3, "sequence end": 1, "fail message": 2, "fail error": 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%d %s events, want %d (all: %v)", counts[k], k, n, counts)
		}
	}
	for _, ev := range got {
		if ev.Stream == "fail" && ev.Type == "error" && !strings.Contains(ev.Data, `"reason":"DEMO"`) {
			t.Errorf("the error event lacks its details: %s", ev.Data)
		}
	}

	// The check has teeth: the same events, altered, are refused.
	ticks, err := doc.ItemSchema("GET", paths["ticks"])
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []received{
		{Type: "tick", Data: `{"symbol":"ACME","priceCents":23048}`},
		{Type: "tick", Data: `{"symbol":"ACME","time":"now"}`},
		{Type: "message", Data: `{"symbol":"ACME"}`},
		{Type: "end", Data: `{"done":true}`},
		{Type: "error", Data: `{"code":5,"message":"gone"}`},
	} {
		if ticks.Validate(bad.object()) == nil {
			t.Errorf("event %q %s is valid by the Ticks itemSchema", bad.Type, bad.Data)
		}
	}
}
