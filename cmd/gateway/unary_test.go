package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// send sends a JSON body with method to url and returns the status and
// body of the answer.
func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestUnarySwitch: unary methods are served by default, the route table
// says which routes are unary, and --unary=false (or SSEGW_UNARY=false)
// serves the streams alone.
func TestUnarySwitch(t *testing.T) {
	backend, _ := startBackend(t)
	order := `{"symbol":"ACME","side":"BUY","quantity":"3"}`

	on := startGateway(t, nil, "--backend", backend, "--backend-name", "demo", "--listen", "127.0.0.1:0")
	if status, body := send(t, "POST", on.base+"/v1/orders", order); status != http.StatusOK || !strings.Contains(body, `"PLACED"`) {
		t.Errorf("PlaceOrder: %d %s", status, body)
	}
	if rest := on.line(t, "POST /v1/orders  ->  "); rest != "/examples.demo.v1.DemoService/PlaceOrder  (unary, backend demo)" {
		t.Errorf("route line %q", rest)
	}

	for _, off := range []*instance{
		startGateway(t, nil, "--backend", backend, "--listen", "127.0.0.1:0", "--unary=false"),
		startGateway(t, map[string]string{"SSEGW_UNARY": "false"}, "--backend", backend, "--listen", "127.0.0.1:0"),
	} {
		if status, body := send(t, "POST", off.base+"/v1/orders", order); status != http.StatusNotFound {
			t.Errorf("PlaceOrder with unary off: %d %s, want 404", status, body)
		}
		if status, _ := get(t, http.DefaultClient, off.base+"/v1/streams/s/events?last_seq=1&interval=0.001s"); status != http.StatusOK {
			t.Errorf("a stream with unary off: %d", status)
		}
	}
}

// TestUnaryMethodOverride: a configuration file routes a unary method
// with the verbs and response_body of its methods map, for protos that
// cannot carry the rule.
func TestUnaryMethodOverride(t *testing.T) {
	backend, _ := startBackend(t)
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	content := "listen: 127.0.0.1:0\nunary: {timeout: 10s}\nbackends:\n  - name: demo\n    target: " + backend + "\n    methods:\n" +
		"      examples.demo.v1.DemoService.PlaceOrder: {put: '/v2/orders', patch: '/v2/orders/{symbol}', response_body: name}\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	gw := startGateway(t, nil, "--config", file)
	if status, body := send(t, "PUT", gw.base+"/v2/orders", `{"symbol":"ACME","side":"SELL","quantity":"1"}`); status != http.StatusOK || body != `"orders/1"` {
		t.Errorf("PUT: %d %s, want the order's name", status, body)
	}
	if status, body := send(t, "PATCH", gw.base+"/v2/orders/ACME", `{"side":"SELL","quantity":"1"}`); status != http.StatusOK || body != `"orders/2"` {
		t.Errorf("PATCH: %d %s, want the order's name", status, body)
	}
	if status, _ := send(t, "POST", gw.base+"/v1/orders", `{}`); status != http.StatusNotFound {
		t.Errorf("the proto's route answered %d, want 404 once overridden", status)
	}
}
