package gateway_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// startKitchenSink starts the kitchen-sink backend, whose Go types this
// test binary does not link, and connects to it.
func startKitchenSink(t *testing.T, opts ...kitchensink.Option) (*kitchensink.Server, *grpc.ClientConn) {
	t.Helper()
	if _, err := protoregistry.GlobalTypes.FindMessageByName(kitchensink.Package + ".Everything"); err == nil {
		t.Fatal("the kitchen-sink Go types are linked into this test binary")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv, dial(t, srv.Addr)
}

// TestEachDescriptorSourceServesTheKitchenSink streams a message holding
// an Any of a type only the backend's files declare, and sends a proto2
// extension, through a gateway built from each descriptor source.
func TestEachDescriptorSourceServesTheKitchenSink(t *testing.T) {
	srv, conn := startKitchenSink(t)
	d := srv.Backend.Descriptors()
	set, err := d.DescriptorSet()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	setFile := filepath.Join(dir, "kitchensink.binpb")
	if err := os.WriteFile(setFile, set, 0o644); err != nil {
		t.Fatal(err)
	}
	sources := filepath.Join(dir, "src")
	if err := kitchensink.WriteSources(sources); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"google", "ssegw"} { // built into the gateway
		if err := os.RemoveAll(filepath.Join(sources, sub)); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name   string
		source gateway.Option
	}{
		{"reflection", gateway.WithReflection()},
		{"descriptor set", gateway.WithDescriptorSetFile(setFile)},
		{"proto files", gateway.WithProtoFiles([]string{kitchensink.SourceFiles[0]}, sources)},
		{"files", gateway.WithFiles(d.Service.ParentFile())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := startGateway(t, conn, tc.source)
			everything := `{"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s"}}`
			events := open(t, "GET", base+"/v1/everything?request="+url.QueryEscape(everything), nil, "").rest(t)
			if len(events) != 2 || !strings.Contains(string(events[0].Data), `"secret":"s"`) {
				t.Errorf("events %q, want the Any with its BackendOnly fields, then end", events)
			}
			legacy := `{"id":"a","[kitchensink.v1.note]":"n"}`
			events = open(t, "GET", base+"/v1/legacy/a?request="+url.QueryEscape(legacy), nil, "").rest(t)
			if len(events) != 2 || events[1].Event != "end" {
				t.Errorf("events %q, want the message, then end", events)
			}
			c, ok := srv.Backend.LastCall()
			if !ok || c.Method != "/kitchensink.v1.KitchenSink/EchoLegacy" {
				t.Fatalf("last call %+v", c)
			}
			if got, _ := protojson.Marshal(c.Request); !strings.Contains(string(got), `"[kitchensink.v1.note]":"n"`) {
				t.Errorf("the backend received %s, without the extension", got)
			}
		})
	}
}

// TestNoReflectionSaysWhatToDo is a backend without reflection, as most
// are: New says so on one line and names the other sources.
func TestNoReflectionSaysWhatToDo(t *testing.T) {
	_, conn := startKitchenSink(t, kitchensink.WithoutReflection())
	_, err := gateway.New(t.Context(), conn)
	if !errors.Is(err, gateway.ErrNoReflection) {
		t.Fatalf("New: %v, want ErrNoReflection", err)
	}
	msg := err.Error()
	for _, want := range []string{"reflection", "WithDescriptorSetFile", "WithProtoFiles", "WithFiles"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not mention %s", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("%q is not one line", msg)
	}
}
