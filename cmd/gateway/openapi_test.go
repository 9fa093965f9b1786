package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPrintOpenAPI(t *testing.T) {
	var out bytes.Buffer
	err := runEnv(t.Context(), []string{"--demo", "--print-openapi", "--openapi-server", "https://api.example.com,/relative"},
		func(string) (string, bool) { return "", false }, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string
		Info    struct{ Title string }
		Servers []struct{ URL string }
		Paths   map[string]any
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("--print-openapi printed no JSON document: %v\n%s", err, out.String())
	}
	if doc.OpenAPI != "3.2.0" || doc.Info.Title != "ssegw demo" || len(doc.Servers) != 2 || doc.Servers[0].URL != "https://api.example.com" || doc.Servers[1].URL != "/relative" {
		t.Errorf("document head %+v", doc)
	}
	for _, path := range []string{"/v1/symbols/{symbol}/ticks", "/v1/streams/{stream}/events", "/v1/streams/{stream}/events:watch", "/examples.demo.v1.DemoService/Fail"} {
		if doc.Paths[path] == nil {
			t.Errorf("no path %s", path)
		}
	}

	out.Reset()
	err = runEnv(t.Context(), []string{"--demo", "--print-openapi", "--listen", "[::]:9000"}, func(string) (string, bool) { return "", false }, &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), `"url": "http://localhost:9000"`) {
		t.Errorf("the default server of a gateway listening on [::]:9000: %v\n%.300s", err, out.String())
	}

	err = runEnv(t.Context(), []string{"--demo", "--print-openapi", "--openapi-server", "api.example.com"}, func(string) (string, bool) { return "", false }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "openapi.servers") {
		t.Errorf("a server URL without a scheme: %v", err)
	}
}

func TestOpenAPIIsServedBesideHealth(t *testing.T) {
	isDocument := func(code int, body string) bool {
		return code == http.StatusOK && strings.Contains(body, `"openapi": "3.2.0"`)
	}
	t.Run("on the admin listener", func(t *testing.T) {
		gw := startGateway(t, nil, "--demo", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
		admin := "http://" + gw.line(t, "health and metrics on http://")
		if at := gw.line(t, "OpenAPI description at "); at != admin+"/openapi.json" {
			t.Errorf("printed the description's URL as %s", at)
		}
		if code, body := get(t, http.DefaultClient, admin+"/openapi.json"); !isDocument(code, body) {
			t.Errorf("admin /openapi.json: %d %.200s", code, body)
		}
		if code, _ := get(t, http.DefaultClient, gw.base+"/openapi.json"); code != http.StatusNotFound {
			t.Errorf("main /openapi.json with an admin listener: %d, want 404", code)
		}
		_, body := get(t, http.DefaultClient, admin+"/openapi.json")
		if !strings.Contains(body, `"url": "`+gw.base+`"`) {
			t.Errorf("the description does not name the main listener %s as its server", gw.base)
		}
	})
	t.Run("on the main listener too", func(t *testing.T) {
		gw := startGateway(t, nil, "--demo", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--openapi-on-listen")
		if code, body := get(t, http.DefaultClient, gw.base+"/openapi.json"); !isDocument(code, body) {
			t.Errorf("main /openapi.json with openapi.on_listen: %d %.200s", code, body)
		}
	})
	t.Run("without an admin listener", func(t *testing.T) {
		gw := startGateway(t, nil, "--demo", "--listen", "127.0.0.1:0")
		if code, body := get(t, http.DefaultClient, gw.base+"/openapi.json"); !isDocument(code, body) {
			t.Errorf("/openapi.json: %d %.200s", code, body)
		}
	})
	t.Run("turned off", func(t *testing.T) {
		gw := startGateway(t, map[string]string{"SSEGW_OPENAPI": "false"}, "--demo", "--listen", "127.0.0.1:0")
		if code, _ := get(t, http.DefaultClient, gw.base+"/openapi.json"); code != http.StatusNotFound {
			t.Errorf("/openapi.json when turned off: %d, want 404", code)
		}
	})
}

// TestADescriptionThatFailsStopsNoRoute: a route the OpenAPI description
// cannot describe (a repeated field in the path, which the gateway fills
// from comma-separated values) makes --print-openapi fail with the error,
// while a serving gateway serves its routes, logs the error once, and
// answers /openapi.json with 500 and a JSON status that says why.
func TestADescriptionThatFailsStopsNoRoute(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	file := kitchenSinkConfig(t, "      kitchensink.v1.KitchenSink.Get: {get: '/v1/lists/{repeated_string}'}\n")

	var out bytes.Buffer
	err := runEnv(ctx, []string{"--config", file, "--print-openapi"}, func(string) (string, bool) { return "", false }, &out, io.Discard)
	if err == nil || exitCode(err) == 0 || !strings.Contains(err.Error(), "repeated_string") {
		t.Errorf("--print-openapi of a route it cannot describe: %v (exit status %d)", err, exitCode(err))
	}
	if out.Len() != 0 {
		t.Errorf("--print-openapi printed %.200q", out.String())
	}

	var logs syncBuffer
	gw := startGatewayLogging(t, &logs, nil, "--config", file)
	if code, body := get(t, http.DefaultClient, gw.base+"/v1/lists/a,b"); code != http.StatusOK || !strings.Contains(body, `"repeatedString":["a","b"]`) {
		t.Errorf("GET /v1/lists/a,b: %d %.200s", code, body)
	}
	for range 2 {
		code, body := get(t, http.DefaultClient, gw.base+"/openapi.json")
		var st struct {
			Code    int
			Message string
			Details []any
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil || code != http.StatusInternalServerError || st.Code != 13 || st.Details == nil ||
			!strings.Contains(st.Message, "the OpenAPI document could not be built") || !strings.Contains(st.Message, "repeated_string") {
			t.Errorf("/openapi.json: %d %.300s", code, body)
		}
	}
	if n := strings.Count(logs.String(), "the OpenAPI description could not be built"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, logs.String())
	}
}
