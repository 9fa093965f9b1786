package kitchensink_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ssegw/ssegw/internal/kitchensink"
)

func start(t *testing.T, opts ...kitchensink.Option) (*kitchensink.Server, *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
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

// call runs a server-streaming call with dynamic messages and returns what
// it received.
func call(ctx context.Context, t *testing.T, conn *grpc.ClientConn, d *kitchensink.Descriptors, method string, req proto.Message) ([]*dynamicpb.Message, error) {
	t.Helper()
	md := d.Service.Methods().ByName(protoreflect.Name(method))
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/"+kitchensink.ServiceName+"/"+method)
	if err != nil {
		return nil, err
	}
	if err := cs.SendMsg(req); err != nil {
		return nil, err
	}
	if err := cs.CloseSend(); err != nil {
		return nil, err
	}
	var out []*dynamicpb.Message
	for {
		m := dynamicpb.NewMessage(md.Output())
		err := cs.RecvMsg(m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func TestEchoRecordsTheRequest(t *testing.T) {
	srv, conn := start(t)
	d := srv.Backend.Descriptors()
	if _, err := protoregistry.GlobalTypes.FindMessageByName(kitchensink.Package + ".Everything"); err == nil {
		t.Fatal("the kitchen-sink Go types are linked into this test; the backend must work from descriptors only")
	}
	req, _ := d.Message(kitchensink.Package + ".Everything")
	const text = `{"int64Value":"-9223372036854775808","color":"BLUE","doubleValue":"NaN",
		"mapBool":{"true":"yes"},"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s"}}`
	if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), req); err != nil {
		t.Fatal(err)
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-test", "1")
	got, err := call(ctx, t, conn, d, "Echo", req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !proto.Equal(got[0], req) {
		t.Fatalf("echo = %v, want %v", got, req)
	}
	c, ok := srv.Backend.LastCall()
	if !ok || c.Method != "/kitchensink.v1.KitchenSink/Echo" || !proto.Equal(c.Request, req) || c.Metadata.Get("x-test")[0] != "1" {
		t.Fatalf("recorded %+v", c)
	}
}

func TestEmitSendsThenFails(t *testing.T) {
	srv, conn := start(t)
	d := srv.Backend.Descriptors()
	req, _ := d.Message(kitchensink.Package + ".EmitRequest")
	text := `{"messages":[{"int32Value":1},{"int32Value":2}],"failCode":5,"failMessage":"gone"}`
	if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), req); err != nil {
		t.Fatal(err)
	}
	got, err := call(t.Context(), t, conn, d, "Emit", req)
	if len(got) != 2 || status.Code(err) != codes.NotFound || status.Convert(err).Message() != "gone" {
		t.Fatalf("got %d messages and %v", len(got), err)
	}
}

func TestWatchResumes(t *testing.T) {
	srv, conn := start(t)
	d := srv.Backend.Descriptors()
	req, _ := d.Message(kitchensink.Package + ".WatchRequest")
	text := `{"name":"counters/a","afterSeq":"3","lastSeq":"5","interval":"0.001s","level":"LEVEL_HIGH"}`
	if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), req); err != nil {
		t.Fatal(err)
	}
	got, err := call(t.Context(), t, conn, d, "Watch", req)
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v", got, err)
	}
	for i, m := range got {
		b, _ := protojson.Marshal(m)
		seq := m.Get(m.Descriptor().Fields().ByName("seq")).Int()
		if seq != int64(4+i) || m.Get(m.Descriptor().Fields().ByName("level")).Enum() != 2 {
			t.Fatalf("event %d: %s", i, b)
		}
	}
}

func TestFeedSendsThenFails(t *testing.T) {
	srv, conn := start(t)
	d := srv.Backend.Descriptors()
	req, _ := d.Message(kitchensink.Package + ".FeedRequest")
	text := `{"envelopes":[{"seq":"7","kind":"a"},{"kind":"b"}],"interval":"0.001s","failCode":5,"failMessage":"gone"}`
	if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), req); err != nil {
		t.Fatal(err)
	}
	got, err := call(t.Context(), t, conn, d, "Wrapped", req)
	if len(got) != 2 || status.Code(err) != codes.NotFound || status.Convert(err).Message() != "gone" {
		t.Fatalf("got %d messages and %v", len(got), err)
	}
	want := req.Get(req.Descriptor().Fields().ByName("envelopes")).List()
	for i, m := range got {
		if !proto.Equal(m, want.Get(i).Message().Interface()) {
			t.Errorf("message %d: %v, want %v", i, m, want.Get(i))
		}
	}
}

func TestFeedRepeats(t *testing.T) {
	srv, conn := start(t)
	d := srv.Backend.Descriptors()
	req, _ := d.Message(kitchensink.Package + ".FeedRequest")
	text := `{"events":[{"seq":"9","note":"a"},{"created":{"id":"x"}}],"repeat":true}`
	if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), req); err != nil {
		t.Fatal(err)
	}
	md := d.Service.Methods().ByName("Feed")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/"+kitchensink.ServiceName+"/Feed")
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(req); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		m := dynamicpb.NewMessage(md.Output())
		if err := cs.RecvMsg(m); err != nil {
			t.Fatal(err)
		}
		fields := m.Descriptor().Fields()
		if seq := m.Get(fields.ByName("seq")).Int(); seq != int64(i+1) {
			t.Errorf("message %d: seq %d", i, seq)
		}
		if which := m.WhichOneof(m.Descriptor().Oneofs().ByName("event")); (i%2 == 0) != (which.Name() == "note") {
			t.Errorf("message %d: case %s", i, which.Name())
		}
	}
}

func TestReflectionAndDescriptorSet(t *testing.T) {
	srv, conn := start(t)
	stream, err := reflectionv1.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range resp.GetListServicesResponse().GetService() {
		found = found || s.GetName() == kitchensink.ServiceName
	}
	if !found {
		t.Fatalf("reflection lists %v", resp.GetListServicesResponse())
	}

	raw, err := srv.Backend.Descriptors().DescriptorSet()
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
	if _, err := files.FindDescriptorByName(kitchensink.ServiceName); err != nil {
		t.Fatal(err)
	}
}

func TestWithoutReflection(t *testing.T) {
	_, conn := start(t, kitchensink.WithoutReflection())
	stream, err := reflectionv1.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err == nil {
		_ = stream.Send(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{}})
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("reflection without reflection: %v", err)
	}
}

func TestUnaryMethodsAnswer(t *testing.T) {
	srv, conn := start(t)
	d := srv.Backend.Descriptors()
	unmarshal := protojson.UnmarshalOptions{Resolver: d.Types}
	newMessage := func(name, text string) *dynamicpb.Message {
		m, err := d.Message(protoreflect.FullName(kitchensink.Package + "." + name))
		if err != nil {
			t.Fatal(err)
		}
		if err := unmarshal.Unmarshal([]byte(text), m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	invoke := func(ctx context.Context, method string, req proto.Message, opts ...grpc.CallOption) (*dynamicpb.Message, error) {
		out := dynamicpb.NewMessage(d.Service.Methods().ByName(protoreflect.Name(method)).Output())
		return out, conn.Invoke(ctx, "/"+kitchensink.ServiceName+"/"+method, req, out, opts...)
	}

	req := newMessage("Everything", `{"stringValue":"s","int64Value":"-1"}`)
	if got, err := invoke(t.Context(), "Get", req); err != nil || !proto.Equal(got, req) {
		t.Errorf("Get: %v, %v; want the request back", got, err)
	}
	if got, err := invoke(t.Context(), "Delete", req); err != nil || got.Descriptor().FullName() != "google.protobuf.Empty" {
		t.Errorf("Delete: %v, %v; want an empty message", got, err)
	}
	if c, ok := srv.Backend.LastCall(); !ok || c.Method != "/kitchensink.v1.KitchenSink/Delete" || !proto.Equal(c.Request, req) {
		t.Errorf("recorded %+v", c)
	}

	var header, trailer metadata.MD
	answer := newMessage("EmitRequest", `{"messages":[{"stringValue":"first"},{"stringValue":"second"}],"headerMetadata":{"x-h":"1"},"trailerMetadata":{"x-t":"2"}}`)
	got, err := invoke(t.Context(), "Answer", answer, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil || got.Get(got.Descriptor().Fields().ByName("string_value")).String() != "first" {
		t.Errorf("Answer: %v, %v; want the first message", got, err)
	}
	if header.Get("x-h")[0] != "1" || trailer.Get("x-t")[0] != "2" {
		t.Errorf("metadata %v and %v", header, trailer)
	}
	_, err = invoke(t.Context(), "Answer", newMessage("EmitRequest", `{"failCode":9,"failMessage":"no"}`))
	if status.Code(err) != codes.FailedPrecondition || status.Convert(err).Message() != "no" {
		t.Errorf("Answer failing: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = invoke(ctx, "Answer", newMessage("EmitRequest", `{"delay":"20s"}`))
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("Answer past the deadline: %v", err)
	}
}

func TestChatAndCollectEcho(t *testing.T) {
	srv, conn := start(t)
	inner := func(name string) *dynamicpb.Message {
		m, err := srv.Backend.Descriptors().Message(kitchensink.Package + ".Inner")
		if err != nil {
			t.Fatal(err)
		}
		m.Set(m.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString(name))
		return m
	}
	a, b := inner("a"), inner("b")
	for _, tc := range []struct {
		method string
		desc   grpc.StreamDesc
		want   []string
	}{
		{"Chat", grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, []string{"a", "b"}},
		{"Collect", grpc.StreamDesc{ClientStreams: true}, []string{"b"}},
	} {
		cs, err := conn.NewStream(t.Context(), &tc.desc, "/"+kitchensink.ServiceName+"/"+tc.method)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []proto.Message{a, b} {
			if err := cs.SendMsg(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := cs.CloseSend(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			m := dynamicpb.NewMessage(a.Descriptor())
			if err := cs.RecvMsg(m); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", tc.method, err)
			}
			got = append(got, m.Get(m.Descriptor().Fields().ByName("name")).String())
			if !tc.desc.ServerStreams {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s answered %q, want %q", tc.method, got, tc.want)
		}
	}
}
