package openapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/openapi/openapitest"
	"github.com/ssegw/ssegw/sse"
)

// kitchenSinkGateway serves the kitchen-sink backend, known to the gateway
// by server reflection only, on a loopback HTTP server.
func kitchenSinkGateway(t *testing.T, opts ...gateway.Option) (*gateway.Gateway, string) {
	t.Helper()
	compileKitchenSink(t) // checks that no Go types are linked
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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
	gw, err := gateway.New(ctx, conn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return gw, serve(t, gw)
}

// serve serves h on a loopback port and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + lis.Addr().String()
}

// events requests a stream and returns its events, after checking that it
// is one.
func events(t *testing.T, method, url, body string) []sse.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, b)
	}
	r := sse.NewReader(resp.Body)
	var out []sse.Event
	for range 1000 {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	t.Fatal("the stream did not end")
	return nil
}

// checkEvents validates every event against the itemSchema, and checks
// the names of the events received.
func checkEvents(t *testing.T, s *jsonschema.Schema, evs []sse.Event, wantNames ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, ev := range evs {
		if err := s.Validate(openapitest.EventObject(ev)); err != nil {
			t.Errorf("event %q %s is not valid by the itemSchema: %v", ev.Event, ev.Data, err)
		}
		seen[ev.Event] = true
	}
	for _, name := range wantNames {
		if !seen[name] {
			t.Errorf("no %q event among %d", name, len(evs))
		}
	}
}

// TestStreamsMatchTheDocument runs real streams through a gateway that
// knows the kitchen-sink backend only by reflection, and validates every
// event it writes against the itemSchema of the route's document: messages
// with every kind of field and extreme values, ids, heartbeat events, and
// the end and error events.
func TestStreamsMatchTheDocument(t *testing.T) {
	gw, base := kitchenSinkGateway(t, gateway.WithHeartbeat(20*time.Millisecond), gateway.WithHeartbeatEvent("beat"))
	raw, err := gw.OpenAPI(gateway.OpenAPIInfo{Title: "kitchen sink", Servers: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapitest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	emit, err := doc.ItemSchema("POST", "/v1/emit")
	if err != nil {
		t.Fatal(err)
	}

	messages := strings.Join(edgeMessages[kitchensink.Package+".Everything"], ",")
	t.Run("every kind of field, then end", func(t *testing.T) {
		evs := events(t, "POST", base+"/v1/emit", `{"messages":[`+messages+`]}`)
		if n := len(edgeMessages[kitchensink.Package+".Everything"]); len(evs) < n+1 {
			t.Fatalf("%d events, want %d messages and end", len(evs), n)
		}
		checkEvents(t, emit, evs, "", "end")
	})
	t.Run("a failure after messages", func(t *testing.T) {
		evs := events(t, "POST", base+"/v1/emit", `{"messages":[{"int64Value":"1"}],"failCode":9,"failMessage":"no"}`)
		checkEvents(t, emit, evs, "", "error")
	})
	t.Run("ids and heartbeat events", func(t *testing.T) {
		watch, err := doc.ItemSchema("GET", "/v1/counters/{counter}/watch")
		if err != nil {
			t.Fatal(err)
		}
		evs := events(t, "GET", base+"/v1/counters/c/watch?lastSeq=3&interval=0.1s&level=LEVEL_HIGH", "")
		checkEvents(t, watch, evs, "", "beat", "end")
		var ids []string
		for _, ev := range evs {
			if ev.Event == "" {
				ids = append(ids, ev.ID)
			}
		}
		if evs[len(evs)-1].Event != "end" || strings.Join(ids, ",") != "1,2,3" {
			t.Errorf("message ids %q, last event %q", ids, evs[len(evs)-1].Event)
		}
	})
	t.Run("data that breaks the schema is refused", func(t *testing.T) {
		for _, ev := range []sse.Event{
			{Data: []byte(`{"int64Value":1}`)},
			{Event: "end", Data: []byte(`{"extra":1}`)},
			{Event: "error", Data: []byte(`{"code":5}`)},
			{Event: "tick", Data: []byte(`{}`)},
			{Data: []byte(`not json`)},
		} {
			if emit.Validate(openapitest.EventObject(ev)) == nil {
				t.Errorf("event %q %s is valid by the itemSchema", ev.Event, ev.Data)
			}
		}
	})
}

// TestDocumentedQueryParametersAreAccepted sends every documented query
// parameter of a route with a value of its schema's type, and checks that
// the gateway takes them and echoes a message valid by the document.
func TestDocumentedQueryParametersAreAccepted(t *testing.T) {
	gw, base := kitchenSinkGateway(t)
	raw, err := gw.OpenAPI(gateway.OpenAPIInfo{})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	op := "/paths/" + ptr("/v1/everything") + "/get"
	query := url.Values{}
	for _, p := range at(t, doc, op+"/parameters").([]any) {
		p := p.(map[string]any)
		name := p["name"].(string)
		if p["in"] != "query" || name == "request" || strings.HasPrefix(name, "choice") {
			continue // one member of a oneof at most; request is the whole message
		}
		schema := p["schema"].(map[string]any)
		switch v := sample(t, doc, schema); v.(type) {
		case nil:
			continue
		case map[string]string:
			for k, s := range v.(map[string]string) {
				query.Add(name+"["+k+"]", s)
			}
		default:
			query.Add(name, fmt.Sprint(v))
		}
	}
	if len(query) < 30 {
		t.Fatalf("only %d query parameters sent: %v", len(query), query)
	}
	d, err := openapitest.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.ItemSchema("GET", "/v1/everything")
	if err != nil {
		t.Fatal(err)
	}
	evs := events(t, "GET", base+"/v1/everything?"+query.Encode(), "")
	checkEvents(t, s, evs, "", "end")
	if len(evs) != 2 || !strings.Contains(string(evs[0].Data), `"int64Value":"-7"`) || !strings.Contains(string(evs[0].Data), `"mapInt32":{"-3":"v"}`) ||
		!strings.Contains(string(evs[0].Data), `"color":"RED"`) {
		t.Errorf("the echo does not hold the parameters: %v", evs)
	}
}

// sample returns a value for a parameter schema, nil to skip it.
func sample(t *testing.T, doc map[string]any, s map[string]any) any {
	t.Helper()
	if r, ok := s["$ref"].(string); ok {
		s = at(t, doc, strings.TrimPrefix(r, "#")).(map[string]any)
		if names, ok := lookup(s, "/anyOf/0/enum"); ok {
			return names.([]any)[len(names.([]any))-1] // an enum, by its last name
		}
	}
	switch {
	case s["type"] == "array":
		return sample(t, doc, s["items"].(map[string]any))
	case s["type"] == "object":
		v := sample(t, doc, s["additionalProperties"].(map[string]any))
		if v == nil {
			return nil
		}
		key := "k"
		if names, ok := s["propertyNames"].(map[string]any); ok {
			if _, ok := names["enum"]; ok {
				key = "true"
			} else {
				key = "-3"
				if names["pattern"] == "^(0|[1-9][0-9]*)$" {
					key = "3"
				}
			}
		}
		return map[string]string{key: fmt.Sprint(v)}
	case s["contentMediaType"] == "application/json":
		return `{"a":1}`
	case s["format"] == "date-time":
		return "2026-01-02T03:04:05Z"
	case s["pattern"] == `^-?[0-9]+(\.[0-9]{1,9})?s$`:
		return "1.5s"
	case s["format"] == "int64":
		return "-7"
	case s["pattern"] == "^(0|[1-9][0-9]*)$":
		return "7"
	case s["contentEncoding"] == "base64":
		return "AQI="
	case s["type"] == "string":
		return "v"
	case s["type"] == "integer":
		return 7
	case s["type"] == "boolean":
		return true
	case s["anyOf"] != nil:
		return 1.5 // a float
	}
	t.Fatalf("no sample for %v", s)
	return nil
}

// TestDocumentedPathsReachTheirFields fills the path parameters of routes
// whose variables span several segments, as a client of the document does,
// and checks that the gateway serves the URL and sets the field to the
// form the parameters' descriptions give.
func TestDocumentedPathsReachTheirFields(t *testing.T) {
	gw, base := kitchenSinkGateway(t)
	raw, err := gw.OpenAPI(gateway.OpenAPIInfo{})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		values map[string]string
		want   string
	}{
		{"/v1/things/{thing}/echo", map[string]string{"thing": "a b"}, "things/a b"},
		{"/v1/tree/{string_value}:deep", map[string]string{"string_value": "x"}, "tree/x"},
		// The rest of a path: its slashes unescaped, as the description
		// says, and an escaped one kept escaped.
		{"/v1/tree/{string_value}:deep", map[string]string{"string_value": "x/y"}, "tree/x/y"},
		{"/v1/tree/{string_value}:deep", map[string]string{"string_value": "x%2Fy"}, "tree/x%2Fy"},
	} {
		op := "/paths/" + ptr(tc.path) + "/get"
		target := tc.path
		for name, v := range tc.values {
			p := param(t, doc, op, name, "path")
			if p["allowReserved"] == true {
				target = strings.ReplaceAll(target, "{"+name+"}", strings.ReplaceAll(v, " ", "%20"))
			} else {
				target = strings.ReplaceAll(target, "{"+name+"}", (&url.URL{Path: v}).EscapedPath())
			}
		}
		evs := events(t, "GET", base+target, "")
		var got struct{ StringValue string }
		if len(evs) != 2 || json.Unmarshal(evs[0].Data, &got) != nil || got.StringValue != tc.want {
			t.Errorf("GET %s: %v, want stringValue %q", target, evs, tc.want)
		}
	}

	// A route whose body is the request lists no query parameter, and the
	// gateway refuses the request parameter there.
	create := "/paths/" + ptr("/v1/items") + "/post"
	if q := params(t, doc, create, "query"); len(q) != 0 {
		t.Errorf("query parameters of POST /v1/items (body \"*\"): %q", q)
	}
	resp, err := http.Post(base+"/v1/items?request=%7B%7D", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /v1/items?request={}: %s, want 400", resp.Status)
	}
}
