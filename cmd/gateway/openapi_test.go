package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
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
