package browsertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/openapi/openapitest"
)

// TestShapedEventsInTheBrowser opens an EventSource in Chromium on the
// kitchen-sink Feed, whose events are named after the case of a oneof and
// end with "data: [DONE]", with a listener per case, as a page written
// for it would: each listener receives its case's JSON, onmessage the
// message with no case and the sentinel, after which the page closes the
// stream. Every event is valid by the route's itemSchema.
func TestShapedEventsInTheBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	gw, err := gateway.New(ctx, conn, gateway.WithOpenAPI("/openapi.json", gateway.OpenAPIInfo{Title: "kitchen sink"}))
	if err != nil {
		t.Fatal(err)
	}
	request := `{"events":[{"seq":"1","created":{"id":"a","title":"<b>"}},{"seq":"2","note":"hé"},{"seq":"3","count":"-9007199254740993"},` +
		`{"seq":"4","color":"BLUE"},{"seq":"5","at":"2024-02-29T23:59:59Z"},{"seq":"6"},{"seq":"7","deleted":{"id":"a"}}]}`
	html := `<!doctype html><title>feed</title><script>
window.got = []; window.done = false;
const es = new EventSource("/v1/feed?request=` + url.QueryEscape(request) + `");
const record = (e) => got.push({type: e.type, data: e.data, lastEventId: e.lastEventId});
for (const type of ["created", "deleted", "note", "count", "color", "at", "everything", "blob", "end", "error"]) es.addEventListener(type, record);
es.onmessage = (e) => {
  record(e);
  if (e.data === "[DONE]") { es.close(); done = true; }
};
window.note = () => { const n = got.find(e => e.type === "note"); return JSON.parse(n.data); };
</script>`
	hs := startServer(t, page(html, gw))
	bctx := browser(t)
	if err := chromedp.Do(bctx, chromedp.Navigate(hs.url()+"/page.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "the sentinel", `done`)
	var got []received
	if err := json.Unmarshal([]byte(evaluate[string](t, bctx, `JSON.stringify(got)`)), &got); err != nil {
		t.Fatal(err)
	}
	want := []received{
		{Type: "created", Data: `{"id":"a","title":"<b>"}`, LastEventID: "1"},
		{Type: "note", Data: `"hé"`, LastEventID: "2"},
		{Type: "count", Data: `"-9007199254740993"`, LastEventID: "3"},
		{Type: "color", Data: `"BLUE"`, LastEventID: "4"},
		{Type: "at", Data: `"2024-02-29T23:59:59Z"`, LastEventID: "5"},
		{Type: "message", Data: `{"seq":"6"}`, LastEventID: "6"},
		{Type: "deleted", Data: `{"id":"a"}`, LastEventID: "7"},
		{Type: "message", Data: `[DONE]`, LastEventID: "7"},
	}
	if len(got) != len(want) {
		t.Fatalf("the page received %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if note := evaluate[string](t, bctx, `note()`); note != "hé" {
		t.Errorf("the page parsed the note as %q", note)
	}

	resp, err := http.Get(hs.url() + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapitest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := doc.ItemSchema("GET", "/v1/feed")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range got {
		if err := s.Validate(ev.object()); err != nil {
			t.Errorf("event %q %s is not valid by the itemSchema: %v", ev.Type, ev.Data, err)
		}
	}
}
