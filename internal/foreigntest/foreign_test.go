package foreigntest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jhump/protoreflect/v2/protoprint"
	"go.uber.org/goleak"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/descriptors"
	"github.com/ssegw/ssegw/sse"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Connections kept alive by http.DefaultClient between tests.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

// The command under test, and the servers, each a main package of a
// module that go.mod requires with a tool directive.
const (
	gatewayPackage     = "github.com/ssegw/ssegw/cmd/gateway"
	routeGuidePackage  = "google.golang.org/grpc/examples/route_guide/server"
	interopPackage     = "google.golang.org/grpc/interop/server"
	routeGuideModule   = "google.golang.org/grpc/examples"
	interopServiceName = "grpc.testing.TestService"
)

// TestForeignServers serves two servers this project did not write, each
// without reflection, with the gateway command.
func TestForeignServers(t *testing.T) {
	bins := build(t, gatewayPackage, routeGuidePackage, interopPackage)
	t.Run("route_guide from .proto files", func(t *testing.T) {
		testRouteGuide(t, bins[gatewayPackage], bins[routeGuidePackage])
	})
	t.Run("interop TestService from a descriptor set", func(t *testing.T) {
		set := writeDescriptorSet(t, testpb.File_grpc_testing_test_proto)
		testInterop(t, bins[gatewayPackage], bins[interopPackage], "--descriptor-set", set)
	})
	t.Run("interop TestService from .proto files", func(t *testing.T) {
		dir := writeProtoSources(t, testpb.File_grpc_testing_test_proto)
		testInterop(t, bins[gatewayPackage], bins[interopPackage], "--proto", testpb.File_grpc_testing_test_proto.Path(), "--proto-path", dir)
	})
}

// feature is a routeguide.Feature, as in route_guide_db.json and as the
// gateway prints it.
type feature struct {
	Location struct {
		Latitude  int32 `json:"latitude"`
		Longitude int32 `json:"longitude"`
	} `json:"location"`
	Name string `json:"name"`
}

// testRouteGuide runs grpc-go's route_guide example server, which offers
// no reflection, and the gateway command as an operator would, with the
// server's edition 2023 .proto file from the module cache:
//
//	gateway --backend localhost:PORT --proto route_guide.proto --proto-path DIR
//
// and reads the server-streaming ListFeatures as events, and calls the
// unary GetFeature, which has no HTTP rule, as JSON.
func testRouteGuide(t *testing.T, gateway, server string) {
	examples := moduleDir(t, routeGuideModule)
	protoDir := filepath.Join(examples, "route_guide", "routeguide")
	src, err := os.ReadFile(filepath.Join(protoDir, "route_guide.proto"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `edition = "2023";`) {
		t.Fatal("route_guide.proto is no longer an edition 2023 file; this test is about one")
	}
	db := filepath.Join(examples, "route_guide", "testdata", "route_guide_db.json")
	var all []feature
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}

	addr := startServer(t, server, "-json_db_file", db)
	g := startGateway(t, gateway, "--backend", addr, "--proto", "route_guide.proto", "--proto-path", protoDir)
	// In the order of the service's methods; RecordRoute and RouteChat,
	// client-streaming and bidirectional, are not served.
	g.printed(t, "POST /routeguide.RouteGuide/GetFeature ")
	g.printed(t, "GET  /routeguide.RouteGuide/ListFeatures ")

	const lo, hi = "lo.latitude=400000000&lo.longitude=-750000000", "hi.latitude=420000000&hi.longitude=-730000000"
	var want []feature
	for _, f := range all { // the server's inRange
		if f.Location.Latitude >= 400000000 && f.Location.Latitude <= 420000000 &&
			f.Location.Longitude >= -750000000 && f.Location.Longitude <= -730000000 {
			want = append(want, f)
		}
	}
	if len(want) < 10 {
		t.Fatalf("only %d features in the rectangle: the test data changed", len(want))
	}
	status, events, body := get(t, g.base+"/routeguide.RouteGuide/ListFeatures?"+lo+"&"+hi)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if len(events) != len(want)+1 || events[len(events)-1].Event != "end" {
		t.Fatalf("%d events (last %+v), want %d features and end", len(events), events[len(events)-1], len(want))
	}
	for i, ev := range events[:len(want)] {
		var got feature
		if err := json.Unmarshal(ev.Data, &got); err != nil || ev.Event != "" {
			t.Fatalf("event %d: %+v (%v)", i, ev, err)
		}
		if got != want[i] {
			t.Errorf("event %d: %s, want %+v", i, ev.Data, want[i])
		}
	}

	point, err := json.Marshal(want[0].Location)
	if err != nil {
		t.Fatal(err)
	}
	status, answer := post(t, g.base+"/routeguide.RouteGuide/GetFeature", string(point))
	var got feature
	if err := json.Unmarshal([]byte(answer), &got); status != http.StatusOK || err != nil || got != want[0] {
		t.Errorf("GetFeature: %d %s, want %+v", status, answer, want[0])
	}
}

// post sends a JSON body to url and returns the status and the answer.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(answer)
}

// testInterop runs grpc-go's interop server, which offers no reflection,
// and the gateway command with source, the flags that give it
// grpc.testing's descriptors (a descriptor set, as `buf build -o` would
// write it, or the .proto files), and calls the server-streaming
// StreamingOutputCall, with an enum in a query parameter, and the unary
// UnaryCall and EmptyCall.
func testInterop(t *testing.T, gateway, server string, source ...string) {
	addr := startServer(t, server) // it listens on every interface: its own choice
	g := startGateway(t, gateway, append(append([]string{"--backend", addr}, source...), "--service", interopServiceName)...)
	g.printed(t, "GET  /grpc.testing.TestService/StreamingOutputCall ")

	method := g.base + "/grpc.testing.TestService/StreamingOutputCall?request=" +
		url.QueryEscape(`{"responseParameters":[{"size":3},{"size":1}]}`)
	want := []string{`{"payload":{"body":"AAAA"}}`, `{"payload":{"body":"AA=="}}`}

	t.Run("response_parameters in the request parameter", func(t *testing.T) {
		checkPayloads(t, method, want)
	})
	t.Run("enum query parameter", func(t *testing.T) {
		checkPayloads(t, method+"&response_type=COMPRESSABLE", want)
		checkPayloads(t, method+"&response_type=0", want)
		if status, _, body := get(t, method+"&response_type=CRUMBLY"); status != http.StatusBadRequest || !strings.Contains(body, "CRUMBLY") {
			t.Errorf("an unknown enum name: %d %s, want 400 naming it", status, body)
		}
	})
	t.Run("unary calls", func(t *testing.T) {
		for _, tc := range []struct{ method, body, want string }{
			{"UnaryCall", `{"responseSize":3}`, `{"payload":{"body":"AAAA"}}`},
			{"EmptyCall", `{}`, `{}`},
		} {
			status, answer := post(t, g.base+"/grpc.testing.TestService/"+tc.method, tc.body)
			if status != http.StatusOK || !sameJSON(t, sse.Event{Data: []byte(answer)}, tc.want) {
				t.Errorf("%s: %d %s, want %s", tc.method, status, answer, tc.want)
			}
		}
		status, answer := post(t, g.base+"/grpc.testing.TestService/UnaryCall", `{"responseStatus":{"code":7,"message":"denied"}}`)
		if status != http.StatusForbidden || !strings.Contains(answer, `"denied"`) {
			t.Errorf("a failing UnaryCall: %d %s, want 403 with its status", status, answer)
		}
	})
}

// checkPayloads reads the stream at url and compares each event's data,
// as JSON, with want, then expects the end.
func checkPayloads(t *testing.T, url string, want []string) {
	t.Helper()
	status, events, body := get(t, url)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if len(events) != len(want)+1 || events[len(want)].Event != "end" {
		t.Fatalf("events %q, want %d messages and end", events, len(want))
	}
	for i, w := range want {
		if !sameJSON(t, events[i], w) {
			t.Errorf("event %d: %s, want %s", i, events[i].Data, w)
		}
	}
}

func sameJSON(t *testing.T, ev sse.Event, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(ev.Data, &a); err != nil {
		t.Fatalf("event data %q: %v", ev.Data, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(a, b)
}

// writeDescriptorSet writes fd and its imports as a FileDescriptorSet,
// imports first, as `buf build -o` does, and returns the file's name.
// writeProtoSources writes fd and the files it imports, but for the
// well-known types the gateway has built in, as .proto sources into a
// directory, and returns it. grpc-go's module holds the interop server's
// generated code, not its .proto files, which live in grpc/grpc-proto;
// the sources printed from the same descriptors are what an operator
// would have from there.
func writeProtoSources(t *testing.T, fd protoreflect.FileDescriptor) string {
	t.Helper()
	dir := t.TempDir()
	var files []protoreflect.FileDescriptor
	seen := map[string]bool{}
	var add func(protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] || strings.HasPrefix(fd.Path(), "google/protobuf/") {
			return
		}
		seen[fd.Path()] = true
		for i := range fd.Imports().Len() {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		files = append(files, fd)
	}
	add(fd)
	var printer protoprint.Printer
	if err := printer.PrintProtosToFileSystem(files, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeDescriptorSet writes fd and every file it imports, each after its
// imports, as a FileDescriptorSet, and returns the file's path.
func writeDescriptorSet(t *testing.T, fd protoreflect.FileDescriptor) string {
	t.Helper()
	raw, err := proto.Marshal(descriptors.SetOf(fd))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "grpc_testing.binpb")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
