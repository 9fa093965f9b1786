package openapi_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/openapi"
)

// compileKitchenSink compiles the kitchen-sink API from its sources, with
// comments, and returns its descriptors as a gateway has them: read back
// from a descriptor set, as from `buf build` or server reflection. It
// checks that the API's Go types are not linked into the test: the
// document must come from descriptors alone.
func compileKitchenSink(t testing.TB) *kitchensink.Descriptors {
	t.Helper()
	if _, err := protoregistry.GlobalTypes.FindMessageByName(kitchensink.Package + ".Everything"); err == nil {
		t.Fatal("the kitchen-sink Go types are linked into this test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	compiled, err := kitchensink.Compile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := compiled.DescriptorSet()
	if err != nil {
		t.Fatal(err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(raw, set); err != nil {
		t.Fatal(err)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	d := &kitchensink.Descriptors{Files: files, Types: &protoregistry.Types{}}
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		err = registerTypes(d.Types, fd.Messages(), fd.Extensions())
		return err == nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := files.FindDescriptorByName(kitchensink.ServiceName)
	if err != nil {
		t.Fatal(err)
	}
	d.Service = sd.(protoreflect.ServiceDescriptor)
	return d
}

// registerTypes registers a dynamic type for every message and extension.
func registerTypes(types *protoregistry.Types, msgs protoreflect.MessageDescriptors, exts protoreflect.ExtensionDescriptors) error {
	for i := range msgs.Len() {
		md := msgs.Get(i)
		if err := types.RegisterMessage(dynamicpb.NewMessageType(md)); err != nil {
			return err
		}
		if err := registerTypes(types, md.Messages(), md.Extensions()); err != nil {
			return err
		}
	}
	for i := range exts.Len() {
		if err := types.RegisterExtension(dynamicpb.NewExtensionType(exts.Get(i))); err != nil {
			return err
		}
	}
	return nil
}

// method returns a method of the kitchen-sink service.
func method(t testing.TB, d *kitchensink.Descriptors, name string) protoreflect.MethodDescriptor {
	t.Helper()
	md := d.Service.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		t.Fatalf("no method %s", name)
	}
	return md
}

// build builds a document and decodes it.
func build(t *testing.T, routes []openapi.Route, opts ...openapi.Option) ([]byte, map[string]any) {
	t.Helper()
	raw, err := openapi.Build(openapi.Info{Title: "kitchen sink", Version: "1"}, routes, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return raw, doc
}

// at returns the value at a JSON pointer of v, or fails the test.
func at(t *testing.T, v any, pointer string) any {
	t.Helper()
	got, ok := lookup(v, pointer)
	if !ok {
		t.Fatalf("nothing at %s", pointer)
	}
	return got
}

// lookup returns the value at a JSON pointer of v.
func lookup(v any, pointer string) (any, bool) {
	if pointer == "" {
		return v, true
	}
	for tok := range strings.SplitSeq(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// param returns the parameter of an operation with a name and location.
func param(t *testing.T, doc map[string]any, op, name, in string) map[string]any {
	t.Helper()
	for _, p := range at(t, doc, op+"/parameters").([]any) {
		p := p.(map[string]any)
		if p["name"] == name && p["in"] == in {
			return p
		}
	}
	t.Fatalf("%s has no %s parameter %q", op, in, name)
	return nil
}

// params returns the names of an operation's parameters in one location.
func params(t *testing.T, doc map[string]any, op, in string) []string {
	t.Helper()
	var names []string
	ps, _ := lookup(doc, op+"/parameters")
	list, _ := ps.([]any)
	for _, p := range list {
		p := p.(map[string]any)
		if p["in"] == in {
			names = append(names, p["name"].(string))
		}
	}
	return names
}

// ptr escapes a JSON pointer token.
func ptr(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}
