package descriptors_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // google.rpc.ErrorInfo, linked as a program's error details are
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ssegw/ssegw/internal/descriptors"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// backend starts the kitchen-sink backend and connects to it.
func backend(t *testing.T, opts ...kitchensink.Option) (*kitchensink.Server, *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := kitchensink.Start(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return srv, conn
}

// writeSources writes the kitchen-sink sources under a new directory
// without the gateway's own imports (google/api, ssegw/v1), which a user's
// tree does not hold, and returns the directory.
func writeSources(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := kitchensink.WriteSources(dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"google", "ssegw"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sources returns each source of the kitchen-sink API.
func sources(t *testing.T, srv *kitchensink.Server) map[string]descriptors.Source {
	t.Helper()
	d := srv.Backend.Descriptors()
	set, err := d.DescriptorSet()
	if err != nil {
		t.Fatal(err)
	}
	setFile := filepath.Join(t.TempDir(), "kitchensink.binpb")
	if err := os.WriteFile(setFile, set, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeSources(t)
	return map[string]descriptors.Source{
		"reflection":     descriptors.Reflection(),
		"descriptor set": descriptors.DescriptorSetFile(setFile),
		"proto files":    descriptors.ProtoFiles([]string{kitchensink.SourceFiles[0]}, dir),
		"files":          descriptors.Files(d.Service.ParentFile()),
	}
}

func TestEachSourceFindsTheKitchenSink(t *testing.T) {
	srv, conn := backend(t)
	want := srv.Backend.Descriptors().Service
	for name, src := range sources(t, srv) {
		t.Run(name, func(t *testing.T) {
			set, err := src.Load(t.Context(), conn, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Services) != 1 || set.Services[0].FullName() != kitchensink.ServiceName {
				t.Fatalf("services %v, want only %s (not reflection's)", serviceNames(set), kitchensink.ServiceName)
			}
			got := set.Services[0]
			if got.Methods().Len() != want.Methods().Len() {
				t.Fatalf("%d methods, want %d", got.Methods().Len(), want.Methods().Len())
			}
			for i := range want.Methods().Len() {
				w, g := want.Methods().Get(i), got.Methods().Get(i)
				if g.FullName() != w.FullName() || g.Input().FullName() != w.Input().FullName() ||
					g.Output().FullName() != w.Output().FullName() || g.IsStreamingServer() != w.IsStreamingServer() {
					t.Errorf("method %d: %s(%s) returns %s, want %s(%s) returns %s", i,
						g.FullName(), g.Input().FullName(), g.Output().FullName(),
						w.FullName(), w.Input().FullName(), w.Output().FullName())
				}
			}
			modern := got.Methods().ByName("EchoModern").Input().ParentFile()
			if modern.Syntax() != protoreflect.Editions {
				t.Errorf("%s: syntax %v, want editions", modern.Path(), modern.Syntax())
			}

			again, err := src.Load(t.Context(), conn, []string{kitchensink.ServiceName})
			if err != nil || len(again.Services) != 1 {
				t.Fatalf("by name: %v, %v", serviceNames(again), err)
			}
			if _, err := src.Load(t.Context(), conn, []string{"nope.v1.Missing"}); err == nil || !strings.Contains(err.Error(), "nope.v1.Missing") {
				t.Errorf("a missing service: %v, want an error naming it", err)
			}
		})
	}
}

func serviceNames(set *descriptors.Set) []protoreflect.FullName {
	if set == nil {
		return nil
	}
	var out []protoreflect.FullName
	for _, sd := range set.Services {
		out = append(out, sd.FullName())
	}
	return out
}

// TestResolverUsesTheBackendsFiles resolves what only the backend's files
// declare: a type that travels in an Any, and proto2 extensions. The
// program's types serve the well-known types and google.rpc error details,
// and other linked types only when the descriptors are the program's own.
func TestResolverUsesTheBackendsFiles(t *testing.T) {
	srv, conn := backend(t)
	for name, src := range sources(t, srv) {
		t.Run(name, func(t *testing.T) {
			set, err := src.Load(t.Context(), conn, nil)
			if err != nil {
				t.Fatal(err)
			}
			types := set.Types
			files := set.Services[0].ParentFile().Imports()

			mt, err := types.FindMessageByURL("type.googleapis.com/kitchensink.v1.BackendOnly")
			if err != nil {
				t.Fatal(err)
			}
			if mt.Descriptor().ParentFile() != imported(files, "testdata/kitchensink/v1/types.proto") {
				t.Error("BackendOnly is not the type of the backend's types.proto")
			}
			everything := newMessage(t, types, kitchensink.Package+".Everything")
			const anyJSON = `{"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","level":"7","color":"BLUE"}}`
			if err := (protojson.UnmarshalOptions{Resolver: types}).Unmarshal([]byte(anyJSON), everything); err != nil {
				t.Fatal(err)
			}
			out, err := protojson.MarshalOptions{Resolver: types}.Marshal(everything)
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.ReplaceAll(string(out), " ", ""); !strings.Contains(s, `"secret":"s"`) || !strings.Contains(s, `"color":"BLUE"`) {
				t.Errorf("Any printed as %s", out)
			}

			xt, err := types.FindExtensionByName(kitchensink.Package + ".note")
			if err != nil {
				t.Fatal(err)
			}
			if xt.TypeDescriptor().ParentFile() != imported(files, "testdata/kitchensink/v1/legacy.proto") {
				t.Error("note is not the extension of the backend's legacy.proto")
			}
			legacy := newMessage(t, types, kitchensink.Package+".Legacy")
			if err := (protojson.UnmarshalOptions{Resolver: types}).Unmarshal([]byte(`{"id":"a","[kitchensink.v1.note]":"n","[kitchensink.v1.marks]":[1,2]}`), legacy); err != nil {
				t.Fatal(err)
			}
			wire, err := proto.Marshal(legacy)
			if err != nil {
				t.Fatal(err)
			}
			decoded := newMessage(t, types, kitchensink.Package+".Legacy")
			if err := (proto.UnmarshalOptions{Resolver: types}).Unmarshal(wire, decoded); err != nil {
				t.Fatal(err)
			}
			if len(decoded.GetUnknown()) != 0 || decoded.Get(xt.TypeDescriptor()).String() != "n" {
				t.Errorf("extension decoded as %v (unknown %x)", decoded, decoded.GetUnknown())
			}
			if byNumber, err := types.FindExtensionByNumber(kitchensink.Package+".Legacy", 101); err != nil || byNumber.TypeDescriptor().Name() != "marks" {
				t.Errorf("extension 101: %v, %v", byNumber, err)
			}

			for _, url := range []string{"type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/google.protobuf.Timestamp"} {
				if _, err := types.FindMessageByURL(url); err != nil {
					t.Errorf("%s: %v", url, err)
				}
			}
			// Linked into this program (by the reflection client), but not
			// one of the backend's types.
			const linked = "grpc.reflection.v1.ServerReflectionRequest"
			_, err = types.FindMessageByName(linked)
			if trusted := name == "files"; (err == nil) != trusted {
				t.Errorf("%s found: %v; want found only from compiled-in files", linked, err == nil)
			}
		})
	}
}

func newMessage(t *testing.T, types *descriptors.Resolver, name protoreflect.FullName) *dynamicpb.Message {
	t.Helper()
	mt, err := types.FindMessageByName(name)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := mt.New().Interface().(*dynamicpb.Message)
	if !ok {
		t.Fatalf("%s is %T, want a dynamic message", name, mt.New().Interface())
	}
	return m
}

// TestReflectionMissing is a backend without reflection, as most are: the
// error says so on one line.
func TestReflectionMissing(t *testing.T) {
	_, conn := backend(t, kitchensink.WithoutReflection())
	for _, names := range [][]string{nil, {kitchensink.ServiceName}} {
		_, err := descriptors.Reflection().Load(t.Context(), conn, names)
		if !errors.Is(err, descriptors.ErrNoReflection) {
			t.Fatalf("Load(%v): %v, want ErrNoReflection", names, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%v): %q is not one line", names, err)
		}
	}
}

func TestProtoFilesKeepComments(t *testing.T) {
	set, err := descriptors.ProtoFiles(kitchensink.SourceFiles, writeSources(t)).Load(t.Context(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sd := set.Services[0]
	loc := sd.ParentFile().SourceLocations().ByDescriptor(sd)
	if !strings.Contains(loc.LeadingComments, "KitchenSink is the test backend's service.") {
		t.Errorf("leading comments of %s: %q", sd.FullName(), loc.LeadingComments)
	}
	if loc.StartLine == 0 {
		t.Errorf("no source position for %s", sd.FullName())
	}
}

// TestProtoFilesBuiltInImports compiles a file that imports the gateway's
// options, google.api.http and well-known types from nowhere on the import
// path, and then with the user's own copy of google/api/http.proto, which
// wins.
func TestProtoFilesBuiltInImports(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "acme/v1/feed.proto"), `edition = "2023";

package acme.v1;

import "google/api/annotations.proto";
import "google/protobuf/timestamp.proto";
import "ssegw/v1/options.proto";

message WatchRequest {
  string name = 1;
}

message Update {
  google.protobuf.Timestamp time = 1;
}

service Feed {
  rpc Watch(WatchRequest) returns (stream Update) {
    option (google.api.http) = {get: "/v1/{name=feeds/*}:watch"};
    option (ssegw.v1.stream) = {event: "update"};
  }
}
`)
	set, err := descriptors.ProtoFiles([]string{"acme/v1/feed.proto"}, dir).Load(t.Context(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Services) != 1 || set.Services[0].FullName() != "acme.v1.Feed" {
		t.Fatalf("services %v", serviceNames(set))
	}
	watch := set.Services[0].Methods().Get(0)
	if got, want := watch.Output().Fields().ByName("time").Message(), (&timestamppb.Timestamp{}).ProtoReflect().Descriptor(); got != want {
		t.Errorf("google.protobuf.Timestamp is not the program's own descriptor")
	}
	opts := watch.Options()
	if raw, err := proto.Marshal(opts); err != nil || len(raw) == 0 {
		t.Errorf("method options %v (%v): the http rule and stream options are missing", opts, err)
	}
	if _, err := set.Types.FindMessageByName("google.api.UserMarker"); err == nil {
		t.Fatal("google.api.UserMarker found before the user declared it")
	}

	// The user's copy of an import on the import path wins over the
	// built-in one.
	http, err := os.ReadFile("../../proto/google/api/http.proto")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "google/api/http.proto"), string(http)+"\nmessage UserMarker {}\n")
	set, err = descriptors.ProtoFiles([]string{"acme/v1/feed.proto"}, dir).Load(t.Context(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Types.FindMessageByName("google.api.UserMarker"); err != nil {
		t.Errorf("the user's google/api/http.proto was not used: %v", err)
	}
}

// TestProtoFilesNames accepts a file by its name inside an import path, and
// the current directory as the default import path, as protoc does.
func TestProtoFilesNames(t *testing.T) {
	dir := writeSources(t)
	onDisk := filepath.Join(dir, filepath.FromSlash(kitchensink.SourceFiles[0]))
	for _, tc := range []struct {
		name        string
		files       []string
		importPaths []string
	}{
		{"file name inside the import path", []string{onDisk}, []string{dir}},
		{"relative file name inside a relative import path", []string{filepath.Join(filepath.Base(dir), kitchensink.SourceFiles[0])}, []string{filepath.Base(dir)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(filepath.Dir(dir))
			set, err := descriptors.ProtoFiles(tc.files, tc.importPaths...).Load(t.Context(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Services) != 1 || set.Services[0].ParentFile().Path() != kitchensink.SourceFiles[0] {
				t.Errorf("services %v", serviceNames(set))
			}
		})
	}
	t.Run("default import path", func(t *testing.T) {
		t.Chdir(dir)
		if _, err := descriptors.ProtoFiles([]string{kitchensink.SourceFiles[0]}).Load(t.Context(), nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestProtoFilesErrors names the file, line and column of each problem.
func TestProtoFilesErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "syntax.proto"), `syntax = "proto3";

package broken.v1;

message M {
  string name = 1
  int32 n = 2;
}
`)
	writeFile(t, filepath.Join(dir, "types.proto"), `syntax = "proto3";

package broken.v1;

message M {
  Missing a = 1;
  Absent b = 2;
}
`)
	writeFile(t, filepath.Join(dir, "imports.proto"), `syntax = "proto3";

package broken.v1;

import "nowhere/v1/missing.proto";
`)
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"syntax.proto", []string{filepath.Join(dir, "syntax.proto") + ":7:3: syntax error"}},
		{"types.proto", []string{
			"2 errors",
			filepath.Join(dir, "types.proto") + ":6:3: ", "Missing",
			filepath.Join(dir, "types.proto") + ":7:3: ", "Absent",
		}},
		{"imports.proto", []string{filepath.Join(dir, "imports.proto") + ":5:8: ", "nowhere/v1/missing.proto", dir}},
		{"nope.proto", []string{"nope.proto: not found in the import paths (" + dir + ")"}},
	} {
		_, err := descriptors.ProtoFiles([]string{tc.file}, dir).Load(t.Context(), nil, nil)
		if err == nil {
			t.Errorf("%s compiled", tc.file)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q, want it to contain %q", tc.file, err, w)
			}
		}
	}
	if _, err := descriptors.ProtoFiles(nil, dir).Load(t.Context(), nil, nil); err == nil {
		t.Error("no files compiled")
	}
}

func TestDescriptorSetErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.binpb")
	garbage := filepath.Join(dir, "garbage.binpb")
	writeFile(t, garbage, "not a descriptor set")
	for _, path := range []string{missing, garbage} {
		if _, err := descriptors.DescriptorSetFile(path).Load(t.Context(), nil, nil); err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
			t.Errorf("%s: %v, want an error naming the file", path, err)
		}
	}
}

// imported returns the import of this path, or nil.
func imported(imports protoreflect.FileImports, path string) protoreflect.FileDescriptor {
	for i := range imports.Len() {
		if fd := imports.Get(i).FileDescriptor; fd.Path() == path {
			return fd
		}
	}
	return nil
}
