package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// TestEvery405CarriesAllow: a form POST to a GET route is refused, not
// streamed as a GET (grpc-gateway's fallback for long URLs), on the
// gateway's own mux and on a user's mux; every 405 says which methods the
// path has.
func TestEvery405CarriesAllow(t *testing.T) {
	conn, rec := startBackend(t)
	gw := newGateway(t, conn)
	own := serveHTTP(t, gw)
	userMux := runtime.NewServeMux()
	if err := gw.Register(userMux); err != nil {
		t.Fatal(err)
	}
	user := serveHTTP(t, userMux)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

	for _, tc := range []struct {
		name, base, method, path string
		header                   http.Header
		body, allow              string
	}{
		{"form POST to a GET route", own, "POST", "/v1/streams/x/events", form, "last_seq=1", "GET"},
		{"form POST to a GET route on a user's mux", user, "POST", "/v1/streams/x/events", form, "last_seq=1", "GET"},
		{"form POST to a default route", own, "POST", "/examples.demo.v1.DemoService/Fail?code=5", form, "", "GET"},
		{"DELETE", own, "DELETE", "/v1/symbols/A/ticks", nil, "", "GET"},
		{"GET on a POST route", own, "GET", "/v1/streams/x/events:watch", nil, "", "POST"},
		{"PUT on a path with GET and POST routes", own, "PUT", "/v1/streams/x/events:watch", nil, "", "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rec.count()
			resp, _ := do(t, tc.method, tc.base+tc.path, tc.header, tc.body)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405; body %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if n := rec.count() - before; n != 0 {
				t.Errorf("the backend received %d calls", n)
			}
		})
	}
}

// TestQueryParametersAreNeverSilentlyIgnored: on a route with body "*" a
// query parameter is refused (the gateway's own parameters excepted), as is
// one naming a field the path binds, and one that reaches into a repeated
// message; each 400 says why. WithUnknownQueryParams ignores the first two
// kinds, as grpc-gateway does.
func TestQueryParametersAreNeverSilentlyIgnored(t *testing.T) {
	conn, rec := startBackend(t)
	strict := startGateway(t, conn, gateway.WithAccessTokenParam("access_token"))
	json := http.Header{"Content-Type": {"application/json"}}
	const body = `{"lastSeq":"1","interval":"0.001s"}`

	for _, tc := range []struct {
		name, method, path, body, message string
	}{
		{"unknown parameter with body *", "POST", "/v1/streams/x/events:watch?bogus=1", body, `body: "*"`},
		{"field parameter with body *", "POST", "/v1/streams/x/events:watch?lastSeq=1", body, `body: "*"`},
		{"request parameter with body *", "POST", "/v1/streams/x/events:watch?request=%7B%7D", body, "in its body"},
		{"field bound by the path", "GET", "/v1/streams/x/events?name=streams/y", "", "path variable {name}"},
		{"field bound by the path of another route", "GET", "/v1/symbols/A/ticks?symbol=B", "", "path variable {symbol}"},
		{"field inside a repeated message", "GET", "/examples.demo.v1.DemoService/Fail?violations.field=x", "", `"request" parameter`},
		{"repeated message", "GET", "/examples.demo.v1.DemoService/Fail?violations=x", "", `"request" parameter`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rec.count()
			resp, _ := do(t, tc.method, strict+tc.path, json, tc.body)
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", resp.StatusCode, got)
			}
			if st := decodeStatus(t, got); !strings.Contains(st.GetMessage(), tc.message) {
				t.Errorf("message %q does not say %q", st.GetMessage(), tc.message)
			}
			if n := rec.count() - before; n != 0 {
				t.Errorf("the backend received %d calls", n)
			}
		})
	}

	// The gateway's own parameters stay allowed with body "*".
	events := open(t, "POST", strict+"/v1/streams/x/events:watch?lastEventID=1&access_token=t", json,
		`{"lastSeq":"2","interval":"0.001s"}`).rest(t)
	if len(events) != 2 || events[0].ID != "2" {
		t.Errorf("events %q: want event 2 (after the last event id 1) and end", events)
	}

	// With unknown parameters allowed, they are ignored as grpc-gateway
	// ignores them.
	lenient := startGateway(t, conn, gateway.WithUnknownQueryParams())
	events = open(t, "POST", lenient+"/v1/streams/x/events:watch?bogus=1&lastSeq=5", json, body).rest(t)
	if len(events) != 2 {
		t.Errorf("body * with ignored parameters: events %q, want one and end", events)
	}
	open(t, "GET", lenient+"/v1/streams/x/events?name=streams/y&last_seq=1&interval=0.001s", nil, "").rest(t)
	got := lastRequest(t, rec, "Sequence")
	if got.GetName() != "streams/x" || got.GetLastSeq() != 1 {
		t.Errorf("the backend got %v: want the path's name and the query's last_seq", got)
	}
}

// lastRequest returns the request of the backend's last call, which
// must be of method.
func lastRequest(t *testing.T, rec *recorder, method string) *demov1.SequenceRequest {
	t.Helper()
	c := rec.last(t)
	req, ok := c.request().(*demov1.SequenceRequest)
	if !strings.HasSuffix(c.method, "/"+method) || !ok {
		t.Fatalf("last call %s with %T, want %s", c.method, c.request(), method)
	}
	return req
}
