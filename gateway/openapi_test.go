package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"

	"github.com/ssegw/ssegw/gateway"
)

func TestWithOpenAPIServesTheDocument(t *testing.T) {
	conn, rec := startBackend(t)
	gw := newGateway(t, conn, gateway.WithOpenAPI("/openapi.json", gateway.OpenAPIInfo{Title: "Demo", Version: "2"}))
	base := serveHTTP(t, gw)

	resp, _ := do(t, http.MethodGet, base+"/openapi.json", nil, "")
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string
		Info    struct{ Title, Version string }
		Servers []struct{ URL string }
		Paths   map[string]map[string]any
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.2.0" || doc.Info.Title != "Demo" || doc.Info.Version != "2" || len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("document head: %+v", doc)
	}
	for _, rt := range gw.Routes() {
		path := strings.NewReplacer("{name=streams/*}", "streams/{stream}", "{name=orders/*}", "orders/{order}").Replace(rt.Path)
		if _, ok := doc.Paths[path][strings.ToLower(rt.HTTPMethod)]; !ok {
			t.Errorf("the document has no operation for %s %s", rt.HTTPMethod, rt.Path)
		}
	}
	if len(doc.Paths) != 6 {
		t.Errorf("%d paths, want the 6 of the demo's routes", len(doc.Paths))
	}
	// A unary route answers JSON; a stream, events.
	for path, want := range map[string]string{"/v1/orders": "application/json", "/v1/orders/{order}/updates": "text/event-stream"} {
		for _, op := range doc.Paths[path] {
			content, _ := op.(map[string]any)["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)
			if _, ok := content[want]; !ok || len(content) != 1 {
				t.Errorf("%s answers %v, want %s", path, content, want)
			}
		}
	}
	if slices.ContainsFunc(gw.Routes(), func(rt gateway.Route) bool { return rt.Path == "/openapi.json" }) {
		t.Error("the document is listed as a route")
	}
	resp, _ = do(t, http.MethodPost, base+"/openapi.json", nil, "")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /openapi.json: %s", resp.Status)
	}
	if rec.count() != 0 {
		t.Errorf("serving the document called the backend %d times", rec.count())
	}
}

func TestOpenAPIRefuses(t *testing.T) {
	conn, _ := startBackend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := gateway.New(ctx, conn, gateway.WithOpenAPI("/examples.demo.v1.DemoService/Fail", gateway.OpenAPIInfo{}))
	if err == nil || !strings.Contains(err.Error(), "is a route's path") {
		t.Errorf("New with the document on a route's path: %v", err)
	}
	if _, err := gateway.OpenAPI(gateway.OpenAPIInfo{}); err == nil {
		t.Error("OpenAPI of no gateway succeeded")
	}
	gw := newGateway(t, conn)
	if _, err := gateway.OpenAPI(gateway.OpenAPIInfo{}, gw, gw); err == nil || !strings.Contains(err.Error(), "two operations") {
		t.Errorf("OpenAPI of two gateways with the same routes: %v", err)
	}
}

// TestWithOpenAPIServesTheRoutesOfADocumentThatFails: a route the document
// cannot describe (a repeated field in the path, which the gateway fills
// from comma-separated values) does not stop the gateway. Its routes are
// served, the document's path answers 500 with a JSON status that says
// why, and the failure is logged once.
func TestWithOpenAPIServesTheRoutesOfADocumentThatFails(t *testing.T) {
	_, conn := startKitchenSink(t)
	var logs logBuffer
	rule := &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/lists/{repeated_string}"}}
	gw := newGateway(t, conn,
		gateway.WithOpenAPI("/openapi.json", gateway.OpenAPIInfo{}),
		gateway.WithMethodHTTPRule("kitchensink.v1.KitchenSink.Get", rule),
		gateway.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	base := serveHTTP(t, gw)
	if _, err := gw.OpenAPI(gateway.OpenAPIInfo{}); err == nil {
		t.Fatal("the document of a repeated path field was built: the test needs a route it cannot describe")
	}

	resp := callUnary(t, http.MethodGet, base+"/v1/lists/a,b", nil, "")
	if resp.status != http.StatusOK || !strings.Contains(string(resp.body), `"repeatedString":["a","b"]`) {
		t.Errorf("GET /v1/lists/a,b: %d %s", resp.status, resp.body)
	}
	for range 2 {
		resp, _ := do(t, http.MethodGet, base+"/openapi.json", nil, "")
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET /openapi.json: %s %q %s", resp.Status, resp.Header.Get("Content-Type"), body)
		}
		code, message := statusOf(t, body)
		if code != int(codes.Internal) || !strings.Contains(message, "the OpenAPI document could not be built") || !strings.Contains(message, "repeated_string") {
			t.Errorf("GET /openapi.json: %s", body)
		}
	}
	if n := strings.Count(logs.String(), "the OpenAPI document could not be built"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, logs.String())
	}
}
