package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssegw/ssegw/internal/kitchensink"
)

// TestProtoFilesServeABackendWithoutReflection compiles the backend's
// .proto sources at start (their imports of google/api and ssegw/v1 come
// from the gateway's own copies) and serves its streams.
func TestProtoFilesServeABackendWithoutReflection(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx, kitchensink.WithoutReflection())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dir := t.TempDir()
	if err := kitchensink.WriteSources(dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"google", "ssegw"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
	}

	inst := startGateway(t, map[string]string{"SSEGW_PROTO_PATH": dir},
		"--backend", srv.Addr, "--listen", "127.0.0.1:0", "--proto", kitchensink.SourceFiles[0])
	resp, events := readStream(t, http.DefaultClient, inst.base+"/v1/everything?request="+url.QueryEscape(`{"stringValue":"hi"}`))
	if resp.StatusCode != 200 || len(events) != 2 || !strings.Contains(string(events[0].Data), `"stringValue":"hi"`) || events[1].Event != "end" {
		t.Fatalf("%d %q", resp.StatusCode, events)
	}
}

// TestBrokenProtoFileFailsAtStart stops the gateway at once, without
// waiting for the backend, with the file, line and column of each error.
func TestBrokenProtoFileFailsAtStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "broken.proto"), []byte(`syntax = "proto3";

package broken.v1;

message Request {
  Unknown thing = 1;
}

service Broken {
  rpc Watch(Request) returns (stream Missing);
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err := run(ctx, []string{"--backend", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--discovery-timeout", "10m",
		"--proto", "broken.proto", "--proto-path", dir}, io.Discard, io.Discard)
	if ctx.Err() != nil {
		t.Fatalf("run waited for the backend: %v", err)
	}
	if err == nil {
		t.Fatal("run: no error")
	}
	file := filepath.Join(dir, "broken.proto")
	for _, want := range []string{file + ":6:3: ", "Unknown", file + ":10:38: ", "Missing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("run: %q does not mention %q", err, want)
		}
	}
}
