package httprequest_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ssegw/ssegw/internal/httprequest"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// api compiles the kitchen-sink API: its messages are dynamic, and its
// well-known types have descriptors of their own, not the linked ones.
func api(t testing.TB) *kitchensink.Descriptors {
	t.Helper()
	if _, err := protoregistry.GlobalTypes.FindMessageByName(kitchensink.Package + ".Everything"); err == nil {
		t.Fatal("the kitchen-sink Go types are linked into this test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := kitchensink.Compile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func messageType(t testing.TB, d *kitchensink.Descriptors, name string) protoreflect.MessageType {
	t.Helper()
	mt, err := d.Types.FindMessageByName(protoreflect.FullName(kitchensink.Package + "." + name))
	if err != nil {
		t.Fatal(err)
	}
	return mt
}

// parseJSON builds the expected message from protojson text.
func parseJSON(t testing.TB, d *kitchensink.Descriptors, name, text string) proto.Message {
	t.Helper()
	m := messageType(t, d, name).New().Interface()
	if err := (protojson.UnmarshalOptions{Resolver: d.Types, AllowPartial: true}).Unmarshal([]byte(text), m); err != nil {
		t.Fatalf("expected message %s: %v", text, err)
	}
	return m
}

func query(t testing.TB, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func newBuilder(t testing.TB, d *kitchensink.Descriptors, name string, b httprequest.Binding, o httprequest.Options) *httprequest.Builder {
	t.Helper()
	if o.Resolver == nil {
		o.Resolver = d.Types
	}
	bld, err := httprequest.New(messageType(t, d, name), b, o)
	if err != nil {
		t.Fatal(err)
	}
	return bld
}

// checkEqual compares messages with proto.Equal and shows both as JSON.
func checkEqual(t testing.TB, d *kitchensink.Descriptors, want, got proto.Message) {
	t.Helper()
	if !proto.Equal(want, got) {
		o := protojson.MarshalOptions{Resolver: d.Types}
		w, _ := o.Marshal(want)
		g, _ := o.Marshal(got)
		t.Errorf("got  %s\nwant %s", g, w)
	}
}

func escape(s string) string { return url.QueryEscape(s) }
