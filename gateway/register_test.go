package gateway_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/ssegw/ssegw/gateway"
)

func TestRegisterOnExistingServeMux(t *testing.T) {
	conn, _ := startBackend(t)
	gw, err := gateway.New(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	mux := runtime.NewServeMux()
	// A REST route of the application's own.
	if err := mux.HandlePath("GET", "/v1/hello", func(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
		_, _ = io.WriteString(w, "hello")
	}); err != nil {
		t.Fatal(err)
	}
	if err := gw.Register(mux); err != nil {
		t.Fatal(err)
	}
	base := serveHTTP(t, mux)

	resp, _ := do(t, "GET", base+"/v1/hello", nil, "")
	if b, _ := io.ReadAll(resp.Body); string(b) != "hello" {
		t.Errorf("REST route answered %q", b)
	}
	events := open(t, "GET", base+"/v1/streams/m/events?last_seq=2&interval=0.001s", nil, "").rest(t)
	if len(events) != 3 || events[2].Event != gateway.EndEvent {
		t.Errorf("events %q, want 2 messages and end", events)
	}
}

func TestRoutes(t *testing.T) {
	conn, _ := startBackend(t)
	gw, err := gateway.New(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	want := []gateway.Route{
		{HTTPMethod: "GET", Path: "/v1/symbols/{symbol}/ticks", GRPCMethod: "/examples.demo.v1.DemoService/Ticks"},
		{HTTPMethod: "GET", Path: "/v1/{name=streams/*}/events", GRPCMethod: "/examples.demo.v1.DemoService/Sequence"},
		{HTTPMethod: "POST", Path: "/v1/{name=streams/*}/events:watch", Body: "*", GRPCMethod: "/examples.demo.v1.DemoService/Sequence"},
		{HTTPMethod: "GET", Path: "/examples.demo.v1.DemoService/Fail", GRPCMethod: "/examples.demo.v1.DemoService/Fail"},
		{HTTPMethod: "POST", Path: "/v1/orders", Body: "*", GRPCMethod: "/examples.demo.v1.DemoService/PlaceOrder", Unary: true},
		{HTTPMethod: "GET", Path: "/v1/{name=orders/*}/updates", GRPCMethod: "/examples.demo.v1.DemoService/WatchOrder"},
	}
	got := gw.Routes()
	if len(got) != len(want) {
		t.Fatalf("routes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("route %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
