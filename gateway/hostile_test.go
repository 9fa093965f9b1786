package gateway_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssegw/ssegw/gateway"
)

// TestHostileInput sends malformed, oversized and malicious requests. Each
// gets a 4xx JSON status that names the problem, the backend sees no call,
// and the gateway keeps serving.
func TestHostileInput(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn, gateway.WithMaxRequestBytes(64<<10))
	json := http.Header{"Content-Type": {"application/json"}}

	for _, tc := range []struct {
		name, method, path string
		header             http.Header
		body               string
		status             int
		message            string
	}{
		{"unknown path", "GET", "/v1/nothing", nil, "", 404, "no route"},
		{"unsupported method", "DELETE", "/v1/symbols/A/ticks", nil, "", 405, "not allowed"},
		{"PUT on a GET route", "PUT", "/v1/streams/x/events", nil, "", 405, "not allowed"},
		{"unknown query parameter", "GET", "/v1/symbols/A/ticks?cuont=3", nil, "", 400, `has no field "cuont"`},
		{"unknown nested query parameter", "GET", "/v1/symbols/A/ticks?interval.nanos.x=1", nil, "", 400, "interval.nanos.x"},
		{"malformed query escape", "GET", "/v1/symbols/A/ticks?count=%zz", nil, "", 400, "malformed query"},
		{"unparsable number", "GET", "/v1/symbols/A/ticks?count=many", nil, "", 400, `"count"`},
		{"number out of range", "GET", "/v1/symbols/A/ticks?count=99999999999", nil, "", 400, `"count"`},
		{"unparsable duration", "GET", "/v1/symbols/A/ticks?interval=soon", nil, "", 400, `"interval"`},
		{"two values for one field", "GET", "/v1/symbols/A/ticks?count=1&count=2", nil, "", 400, "count"},
		{"invalid UTF-8 in a path variable", "GET", "/v1/symbols/%FF%FE/ticks", nil, "", 400, "UTF-8"},
		{"invalid UTF-8 in a query value", "GET", "/examples.demo.v1.DemoService/Fail?code=2&message=%C3%28", nil, "", 400, "UTF-8"},
		{"path traversal in a template", "GET", "/v1/streams/../events", nil, "", 400, `".."`},
		{"encoded path traversal", "GET", "/v1/streams/%2E%2E/events", nil, "", 400, `".."`},
		{"dot segment", "GET", "/v1/symbols/./ticks", nil, "", 400, `"."`},
		{"unknown field in request JSON", "GET", "/examples.demo.v1.DemoService/Fail?request=" + url.QueryEscape(`{"nope":1}`), nil, "", 400, "nope"},
		{"invalid request JSON", "GET", "/examples.demo.v1.DemoService/Fail?request=%7B", nil, "", 400, `"request"`},
		{"request JSON given twice", "GET", "/examples.demo.v1.DemoService/Fail?request=%7B%7D&request=%7B%7D", nil, "", 400, "2 times"},
		{"request JSON over the size limit", "GET", "/examples.demo.v1.DemoService/Fail?request=" + url.QueryEscape(`{"message":"`+strings.Repeat("x", 70<<10)+`"}`), nil, "", 400, "larger than"},
		{"Last-Event-ID that does not fit the resume field", "GET", "/v1/streams/x/events", http.Header{"Last-Event-Id": {"seven"}}, "", 400, "after_seq"},
		{"huge Last-Event-ID", "GET", "/v1/streams/x/events", http.Header{"Last-Event-Id": {strings.Repeat("9", 5000)}}, "", 400, "longer than"},
		{"Last-Event-ID with CR LF", "GET", "/v1/streams/x/events?lastEventID=1%0D%0Aevent:%20x", nil, "", 400, "line break"},
		{"Last-Event-ID given twice", "GET", "/v1/streams/x/events", http.Header{"Last-Event-Id": {"3", "7"}}, "", 400, "Last-Event-ID given 2 times"},
		{"last event id parameter given twice", "GET", "/v1/streams/x/events?lastEventID=3&lastEventID=7", nil, "", 400, `"lastEventID" given 2 times`},
		{"Last-Event-ID with invalid UTF-8", "GET", "/v1/streams/x/events?lastEventID=%FF", nil, "", 400, "UTF-8"},
		{"unknown field in POST body", "POST", "/v1/streams/x/events:watch", json, `{"nope": true}`, 400, "nope"},
		{"POST body that is not JSON", "POST", "/v1/streams/x/events:watch", http.Header{"Content-Type": {"text/plain"}}, "x", 400, "application/json"},
		{"truncated POST body", "POST", "/v1/streams/x/events:watch", json, `{"lastSeq": `, 400, "request body"},
		{"oversize POST body", "POST", "/v1/streams/x/events:watch", json, `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rec.count()
			resp, _ := do(t, tc.method, base+tc.path, tc.header, tc.body)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if st := decodeStatus(t, body); !strings.Contains(st.GetMessage(), tc.message) {
				t.Errorf("message %q does not mention %q", st.GetMessage(), tc.message)
			}
			if n := rec.count() - before; n != 0 {
				t.Errorf("the backend received %d calls, want none", n)
			}
		})
	}

	// Still serving.
	if events := open(t, "GET", base+"/v1/streams/ok/events?last_seq=2&interval=0.001s", nil, "").rest(t); len(events) != 3 {
		t.Errorf("after the hostile requests: events %q", events)
	}
}

func TestUnknownQueryParamsCanBeAllowed(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithUnknownQueryParams())
	events := open(t, "GET", base+"/v1/streams/ok/events?last_seq=1&interval=0.001s&_=1700000000", nil, "").rest(t)
	if len(events) != 2 {
		t.Errorf("events %q", events)
	}
}

func TestUnavailableBackendAnswers503WithRetryAfter(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithRetry(2500*1e6))
	resp, _ := do(t, "GET", base+"/examples.demo.v1.DemoService/Fail?code=14&message=down", nil, "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("status %d, Retry-After %q; want 503 and 3 (the retry hint, rounded up)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestHeaderAllowlistCannotBeBypassed(t *testing.T) {
	conn, rec := startBackend(t)
	for _, name := range []string{"Connection", "keep-alive", "Host", "TE", "te", "Transfer-Encoding", "Upgrade",
		"grpc-timeout", "GRPC-Encoding", "Grpc-Status", "content-type", "Content-Length", ":authority", "Last-Event-ID", "Cookie"} {
		if _, err := gateway.New(t.Context(), conn, gateway.WithIncomingHeaders(name)); err == nil {
			t.Errorf("WithIncomingHeaders(%q) accepted", name)
		}
	}

	base := startGateway(t, conn, gateway.WithIncomingHeaders("x-TENANT"))
	open(t, "GET", base+"/v1/streams/h/events?interval=1h", http.Header{
		"X-Tenant":       {"a", "b"},
		"Grpc-Timeout":   {"1n"},
		"Grpc-Encoding":  {"gzip"},
		"Te":             {"trailers"},
		"Authorization":  {"Bearer not-allowed-here"},
		"Content-Type":   {"application/grpc"},
		"X-Forwarded-To": {"evil"},
	}, "")
	md := rec.next(t).md
	if got := md.Get("x-tenant"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("x-tenant %q, want both values", got)
	}
	for _, key := range []string{"authorization", "x-forwarded-to"} {
		if got := md.Get(key); got != nil {
			t.Errorf("%s %q was forwarded", key, got)
		}
	}
	if got := md.Get("grpc-encoding"); len(got) > 0 && got[0] == "gzip" {
		t.Errorf("grpc-encoding %q came from the HTTP request", got)
	}
}
