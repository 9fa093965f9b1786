package gateway

import (
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/internal/descriptors"
	protos "github.com/ssegw/ssegw/proto"
	"github.com/ssegw/ssegw/sse"
)

// TestDescriptorSources serves the demo backend with each descriptor
// source. With reflection and a descriptor set the gateway knows nothing of
// the backend's Go types and works with dynamic messages.
func TestDescriptorSources(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := demo.NewServer()
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	for _, tc := range []struct {
		name    string
		source  Option
		dynamic bool
	}{
		{"reflection", WithReflection(), true},
		{"descriptor set", WithDescriptorSetFile(writeDescriptorSet(t, demov1.File_examples_demo_v1_demo_proto)), true},
		{"proto files", WithProtoFiles([]string{"examples/demo/v1/demo.proto"}, writeDemoSource(t)), true},
		{"compiled in", WithFiles(demov1.File_examples_demo_v1_demo_proto), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(t.Context(), conn, tc.source)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Routes()) != 6 {
				t.Errorf("routes %v, want 6", g.Routes())
			}
			for _, rt := range g.routes {
				_, isDynamic := rt.method.out.New().Interface().(*dynamicpb.Message)
				if isDynamic != tc.dynamic {
					t.Errorf("%s: dynamic messages %v, want %v", rt.GRPCMethod, isDynamic, tc.dynamic)
				}
			}
			hs := httptest.NewServer(g)
			defer hs.Close()

			events := readAll(t, hs.URL+"/v1/streams/s/events?last_seq=3&interval=0.001s")
			if len(events) != 4 || events[0].ID != "1" || events[3].Event != "end" {
				t.Fatalf("events %q: want ids 1 to 3 (the id_field option) and end", events)
			}
			for i, ev := range events[:3] {
				var got demov1.SequenceEvent
				if err := protojson.Unmarshal(ev.Data, &got); err != nil {
					t.Fatal(err)
				}
				if want := demo.SequenceEventAt("streams/s", int64(i+1)); !proto.Equal(&got, want) {
					t.Errorf("event %d: %v, want %v", i, &got, want)
				}
			}
			ticks := readAll(t, hs.URL+"/v1/symbols/X/ticks?count=1&interval=0.001s")
			if len(ticks) != 2 || ticks[0].Event != "tick" {
				t.Errorf("ticks %q: want one event named tick (the event option) and end", ticks)
			}
			failed := readAll(t, hs.URL+"/examples.demo.v1.DemoService/Fail?code=9&after=1&reason=R")
			if len(failed) != 2 || failed[1].Event != "error" {
				t.Fatalf("events %q, want a message and an error", failed)
			}
			if want := `"reason":"R"`; !containsCompact(failed[1].Data, want) {
				t.Errorf("error event %s lacks the ErrorInfo detail %s", failed[1].Data, want)
			}
		})
	}
}

// writeDescriptorSet writes fd and its imports as a FileDescriptorSet, as
// `buf build -o` would.
func writeDescriptorSet(t *testing.T, fd protoreflect.FileDescriptor) string {
	t.Helper()
	raw, err := proto.Marshal(descriptors.SetOf(fd))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "demo.binpb")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeDemoSource writes the demo's .proto file alone (its imports are
// built in) under a new directory, and returns the directory.
func writeDemoSource(t *testing.T) string {
	t.Helper()
	const name = "examples/demo/v1/demo.proto"
	src, err := fs.ReadFile(protos.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readAll(t *testing.T, url string) []sse.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	r := sse.NewReader(resp.Body)
	var out []sse.Event
	for range 1000 {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	t.Fatal("stream did not end")
	return nil
}

// containsCompact reports whether JSON data, with spaces removed, contains
// want.
func containsCompact(data []byte, want string) bool {
	return strings.Contains(strings.ReplaceAll(string(data), " ", ""), want)
}
