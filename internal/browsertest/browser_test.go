package browsertest

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/genproto/googleapis/api/annotations"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/demo"
)

func TestDemoPageShowsEventsAndEnd(t *testing.T) {
	b := startBackend(t)
	gw := newGateway(t, b, gateway.WithRetry(100*time.Millisecond))
	srv := startServer(t, demo.Handler(gw))
	ctx := browser(t)

	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1300, 760),
		chromedp.Navigate(srv.url()+"/"),
		chromedp.SetValue(chromedp.ID("seq-last"), "5"),
		chromedp.Click(chromedp.ID("seq-start")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the sequence to end", `document.getElementById("seq-state").textContent === "ended"`)
	items := evaluate[[]string](t, ctx, `[...document.querySelectorAll("#seq-list li")].map((li) => li.textContent)`)
	readyState := evaluate[int](t, ctx, `seq.readyState`)
	if len(items) != 5 || !strings.HasPrefix(items[0], "id 1 ") || !strings.HasPrefix(items[4], "id 5 ") {
		t.Errorf("sequence list %q, want ids 1 to 5", items)
	}
	if readyState != 2 {
		t.Errorf("EventSource readyState %d after end, want 2 (CLOSED)", readyState)
	}
	waitFor(t, ctx, "live ticks", `document.getElementById("price").textContent.startsWith("$")`)
	t.Logf("live price shown: %s", evaluate[string](t, ctx, `document.getElementById("price").textContent`))
	if dir := os.Getenv("SSEGW_SCREENSHOTS"); dir != "" {
		// An order placed and filled, for the picture.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("order-place"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the order to be filled", `document.getElementById("order-state").textContent === "filled"`)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "demo.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Closed after end: no reconnect, although the retry hint is 100ms.
	// (The page opened one stream on load; Start replaced it.)
	assertCallsStay(t, b, "Sequence", len(b.callsTo("Sequence")), time.Second)
}

// TestDemoPagePlacesAnOrderAndWatchesIt: the page places an order with
// fetch (a unary call answered as JSON), then opens the order's stream
// with EventSource and shows its events until the end.
func TestDemoPagePlacesAnOrderAndWatchesIt(t *testing.T) {
	b := startBackend(t)
	gw := newGateway(t, b, gateway.WithRetry(100*time.Millisecond))
	srv := startServer(t, demo.Handler(gw))
	ctx := browser(t)

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.url()+"/"),
		chromedp.SetValue(chromedp.ID("order-qty"), "9"),
		chromedp.SetValue(chromedp.ID("order-side"), "SELL"),
		chromedp.Click(chromedp.ID("order-place")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the order to be filled", `document.getElementById("order-state").textContent === "filled"`)
	items := evaluate[[]string](t, ctx, `[...document.querySelectorAll("#order-list li")].map((li) => li.textContent)`)
	if len(items) != 5 || !strings.HasPrefix(items[0], "orders/1 PLACED · SELL 9 ACME") ||
		!strings.HasPrefix(items[1], "id 1 · ACCEPTED") || !strings.HasPrefix(items[4], "id 4 · FILLED · filled 9 at $") {
		t.Errorf("order list %q: want the placed order, then ACCEPTED, two fills and FILLED", items)
	}
	if got := len(b.callsTo("PlaceOrder")); got != 1 {
		t.Errorf("%d PlaceOrder calls, want 1", got)
	}
	if got := len(b.callsTo("WatchOrder")); got != 1 {
		t.Errorf("%d WatchOrder calls, want 1", got)
	}
	if href := evaluate[string](t, ctx, `document.getElementById("openapi").getAttribute("href")`); href != "/openapi.json" {
		t.Errorf("the page links %q, want /openapi.json", href)
	}

	// A refused order: the page shows the JSON status.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("order-qty"), "0"), chromedp.Click(chromedp.ID("order-place"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the refusal", `document.getElementById("order-state").textContent === "refused"`)
	if got := evaluate[string](t, ctx, `document.querySelector("#order-list li").textContent`); got != "refused: HTTP 400, code 3: quantity must be from 1 to 1000000" {
		t.Errorf("refusal shown as %q", got)
	}
}

func TestCrossOriginEventSourceWithCredentials(t *testing.T) {
	b := startBackend(t)
	allowed := startServer(t, nil)
	refused := startServer(t, nil)
	gw := newGateway(t, b,
		gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{allowed.url()}, AllowCredentials: true}),
		gateway.WithForwardedCookies("session"))
	gws := startServer(t, gw)

	html := fmt.Sprintf(`<!doctype html><title>cross-origin</title><script>
document.cookie = "session=cross; path=/";
window.got = []; window.ended = false; window.failed = false;
const es = new EventSource(%q, {withCredentials: true});
es.onmessage = (e) => got.push(e.lastEventId);
es.addEventListener("end", () => { ended = true; es.close(); });
es.onerror = () => { if (es.readyState === EventSource.CLOSED) failed = true; };
window.report = () => ({got, ended, failed, state: es.readyState});
</script>`, gws.url()+"/v1/streams/x/events?interval=0.05s&last_seq=3")
	allowed.handler = page(html, nil)
	refused.handler = page(html, nil)
	allowed.stop()
	allowed.start()
	refused.stop()
	refused.start()

	t.Run("allowed origin receives events", func(t *testing.T) {
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(allowed.url()+"/page.html")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "events and end", `ended === true && got.join() === "1,2,3"`)
		calls := b.callsTo("Sequence")
		if len(calls) != 1 {
			t.Fatalf("%d backend calls, want 1", len(calls))
		}
		if got := calls[0].md.Get("cookie"); len(got) != 1 || got[0] != "session=cross" {
			t.Errorf("cookie metadata %q: the credentialed request should carry the cookie", got)
		}
	})
	t.Run("other origin is refused by the browser", func(t *testing.T) {
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(refused.url()+"/page.html")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the EventSource to fail", `failed === true`)
		if got := evaluate[[]string](t, ctx, `got`); len(got) != 0 {
			t.Errorf("refused page received %q", got)
		}
		assertCallsStay(t, b, "Sequence", 1, 500*time.Millisecond)
	})
}

// TestCrossOriginUnaryPut: a page on an allowed origin calls a unary
// method routed as PUT with fetch; Chromium's preflight asks for PUT and
// Content-Type, the gateway allows them, and the page reads the JSON
// answer and an exposed header. The page of another origin is refused.
func TestCrossOriginUnaryPut(t *testing.T) {
	b := startBackend(t)
	allowed := startServer(t, nil)
	other := startServer(t, nil)
	gw := newGateway(t, b,
		gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{allowed.url()}, ExposedHeaders: []string{"X-Demo-Method"}}),
		gateway.WithOutgoingMetadata("x-demo-method"),
		gateway.WithMethodHTTPRule("examples.demo.v1.DemoService.PlaceOrder", &annotations.HttpRule{
			Pattern: &annotations.HttpRule_Put{Put: "/v1/orders/{symbol}"}, Body: "*",
		}))
	gws := startServer(t, gw)
	html := fmt.Sprintf(`<!doctype html><title>cross-origin unary</title><script>
window.result = null;
fetch(%q, {method: "PUT", headers: {"Content-Type": "application/json"}, body: JSON.stringify({side: "BUY", quantity: "5"})})
  .then(async (res) => { result = {status: res.status, method: res.headers.get("X-Demo-Method"), order: await res.json()}; })
  .catch((err) => { result = {failed: String(err)}; });
window.report = () => result;
</script>`, gws.url()+"/v1/orders/ACME")
	allowed.handler = page(html, nil)
	other.handler = page(html, nil)
	for _, s := range []*server{allowed, other} {
		s.stop()
		s.start()
	}

	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(allowed.url()+"/page.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the answer", `result !== null`)
	got := evaluate[map[string]any](t, ctx, `result`)
	order, _ := got["order"].(map[string]any)
	if got["status"] != float64(200) || got["method"] != "place-order" || order["symbol"] != "ACME" || order["state"] != "PLACED" {
		t.Errorf("result %v", got)
	}
	if n := len(b.callsTo("PlaceOrder")); n != 1 {
		t.Fatalf("%d PlaceOrder calls, want 1", n)
	}

	ctx = browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(other.url()+"/page.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the refusal", `result !== null`)
	if got := evaluate[map[string]any](t, ctx, `result`); got["failed"] == nil {
		t.Errorf("the other origin got %v, want a failed fetch", got)
	}
	if n := len(b.callsTo("PlaceOrder")); n != 1 {
		t.Errorf("%d PlaceOrder calls, want still 1", n)
	}
}

func TestEventSourceResumesAcrossGatewayRestart(t *testing.T) {
	b := startBackend(t)
	gw := newGateway(t, b, gateway.WithRetry(200*time.Millisecond))
	var mu sync.Mutex
	var lastEventIDs []string
	var requests atomic.Int32
	recordIDs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/events") {
			requests.Add(1)
			if id := r.Header.Get("Last-Event-ID"); id != "" {
				mu.Lock()
				lastEventIDs = append(lastEventIDs, id)
				mu.Unlock()
			}
		}
		gw.ServeHTTP(w, r)
	})
	srv := startServer(t, page(`<!doctype html><title>resume</title><script>
window.seqs = []; window.ended = false;
const es = new EventSource("/v1/streams/restart/events?interval=0.05s&last_seq=40");
es.onmessage = (e) => seqs.push(Number(e.lastEventId));
es.addEventListener("end", () => { ended = true; es.close(); });
window.report = () => ({seqs, ended, state: es.readyState});
</script>`, recordIDs))
	ctx := browser(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url()+"/page.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the first events", `seqs.length >= 8`)
	srv.stop() // the gateway goes away mid-stream, connections and all
	srv.start()
	waitFor(t, ctx, "the stream to end", `ended === true`)

	seqs := evaluate[[]int](t, ctx, `seqs`)
	mu.Lock()
	defer mu.Unlock()
	want := make([]int, 40)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(seqs, want) {
		t.Errorf("sequence %v, want 1..40 with no gap and no repeat", seqs)
	}
	if requests.Load() < 2 || len(lastEventIDs) == 0 {
		t.Fatalf("%d requests, Last-Event-IDs %q: the browser did not reconnect with Last-Event-ID", requests.Load(), lastEventIDs)
	}
	resumed := b.callsTo("Sequence")[1].md.Get("last-event-id")
	if len(resumed) != 1 || resumed[0] != lastEventIDs[0] {
		t.Errorf("backend saw last-event-id %q, browser sent %q", resumed, lastEventIDs[0])
	}
}

func TestCookieAndTokenReachTheBackend(t *testing.T) {
	b := startBackend(t)
	gw := newGateway(t, b, gateway.WithForwardedCookies("session"), gateway.WithAccessTokenParam("access_token"))
	srv := startServer(t, page(`<!doctype html><title>auth</title><script>
document.cookie = "session=s3cret; path=/";
document.cookie = "other=nope; path=/";
window.opened = 0;
const a = new EventSource("/v1/streams/cookie/events?interval=1h");
a.onopen = () => { opened++;
  const b = new EventSource("/v1/streams/token/events?interval=1h&access_token=t0k3n");
  b.onopen = () => opened++;
};
</script>`, gw))
	ctx := browser(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url()+"/page.html")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "both streams to open", `opened === 2`)
	calls := b.callsTo("Sequence")
	if len(calls) != 2 {
		t.Fatalf("%d backend calls, want 2", len(calls))
	}
	if got := calls[0].md.Get("cookie"); len(got) != 1 || got[0] != "session=s3cret" {
		t.Errorf("cookie metadata %q, want only the session cookie", got)
	}
	if got := calls[1].md.Get("authorization"); len(got) != 1 || got[0] != "Bearer t0k3n" {
		t.Errorf("authorization metadata %q, want the token from the query", got)
	}
}

// assertCallsStay checks, for a while, that the backend receives no more
// calls to method than want.
func assertCallsStay(t *testing.T, b *backend, method string, want int, during time.Duration) {
	t.Helper()
	deadline := time.Now().Add(during)
	for time.Now().Before(deadline) {
		if got := len(b.callsTo(method)); got != want {
			t.Fatalf("%d calls to %s, want %d", got, method, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDemoListsShowTheirNumbers: the demo page's lists leave room for
// their numbers: with the default 20 events of the sequence, "20." must
// fit in the list's left padding, not be cut off at the panel's edge.
func TestDemoListsShowTheirNumbers(t *testing.T) {
	b := startBackend(t)
	gw := newGateway(t, b)
	srv := startServer(t, demo.Handler(gw))
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1300, 820), chromedp.Navigate(srv.url()+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the sequence to end", `document.getElementById("seq-state").textContent === "ended"`)
	for _, list := range []string{"seq-list", "fail-list"} {
		// The width of the widest marker the list shows, or would show
		// with 20 items, against the room the list gives it.
		room := evaluate[[]float64](t, ctx, fmt.Sprintf(`(() => {
			const ol = document.getElementById(%q);
			const style = getComputedStyle(ol);
			const c = document.createElement("canvas").getContext("2d");
			c.font = style.font;
			const widest = Math.max(20, ol.children.length) + ". ";
			return [parseFloat(style.paddingLeft), c.measureText(widest).width, ol.children.length];
		})()`, list))
		if room[0] < room[1] {
			t.Errorf("#%s: left padding %.1fpx, but its marker for item 20 is %.1fpx wide (%v items)", list, room[0], room[1], room[2])
		}
	}
}
