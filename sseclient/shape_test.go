package sseclient_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/sseclient"
)

// TestConnShapedWithFiles calls shaped methods of the kitchen-sink API,
// known to the client only by descriptors compiled at start (WithFiles),
// whose options hold the stream option as a compiler left it: Feed,
// shaped by its proto option, and Wrapped, shaped by the gateway's
// options and WithMethodOptions. RecvMsg rebuilds the whole messages.
func TestConnShapedWithFiles(t *testing.T) {
	ctx := testContext(t)
	if _, err := protoregistry.GlobalTypes.FindMessageByName("kitchensink.v1.Everything"); err == nil {
		t.Fatal("the generated kitchen-sink types are linked")
	}
	srv, err := kitchensink.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	backend, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	wrapped := &ssegwv1.StreamOptions{IdField: "seq", Shape: &ssegwv1.Shape{EventField: "level", DataField: "payload.created", Sentinel: "[DONE]", SentinelEvent: "done"}}
	gw, err := gateway.New(ctx, backend, gateway.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped", wrapped))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(gw)
	t.Cleanup(hs.Close)

	d := srv.Backend.Descriptors()
	file, err := d.Files.FindFileByPath(kitchensink.SourceFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sseclient.NewConn(hs.URL, sseclient.WithHTTPClient(newHTTPClient(t)), sseclient.WithFiles(file),
		sseclient.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped", wrapped))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, request, out string
		want                 []string // the messages RecvMsg must return, as JSON
	}{{
		method:  "Feed",
		request: `{"events":[{"seq":"1","created":{"id":"a"}},{"seq":"2","note":"n"},{"seq":"3","color":"BLUE"},{"seq":"4"},{"seq":"5","at":"2020-01-01T00:00:00Z"}]}`,
		out:     "FeedEvent",
		want:    []string{`{"seq":"1","created":{"id":"a"}}`, `{"seq":"2","note":"n"}`, `{"seq":"3","color":"BLUE"}`, `{"seq":"4"}`, `{"seq":"5","at":"2020-01-01T00:00:00Z"}`},
	}, {
		method:  "Wrapped",
		request: `{"envelopes":[{"seq":"1","kind":"k","level":"LEVEL_HIGH","payload":{"created":{"id":"a"}}},{"seq":"2","level":7,"payload":{"note":"n"}},{"seq":"3"}]}`,
		out:     "Envelope",
		// What the events carry: the seq (the id), the level (the name),
		// and payload.created (the data).
		want: []string{`{"seq":"1","level":"LEVEL_HIGH","payload":{"created":{"id":"a"}}}`, `{"seq":"2","level":7,"payload":{"created":{}}}`, `{"seq":"3","payload":{"created":{}}}`},
	}} {
		t.Run(tc.method, func(t *testing.T) {
			req, _ := d.Message("kitchensink.v1.FeedRequest")
			if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(tc.request), req); err != nil {
				t.Fatal(err)
			}
			cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/kitchensink.v1.KitchenSink/"+tc.method)
			if err != nil {
				t.Fatal(err)
			}
			if err := cs.SendMsg(req); err != nil {
				t.Fatal(err)
			}
			mt, err := d.Types.FindMessageByName(protoreflect.FullName("kitchensink.v1." + tc.out))
			if err != nil {
				t.Fatal(err)
			}
			for i, text := range tc.want {
				got := mt.New().Interface()
				if err := cs.RecvMsg(got); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				want := mt.New().Interface()
				if err := (protojson.UnmarshalOptions{Resolver: d.Types}).Unmarshal([]byte(text), want); err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(got, want) {
					t.Errorf("message %d: %v, want %s", i, got, text)
				}
			}
			if err := cs.RecvMsg(dynamicpb.NewMessage(mt.Descriptor())); !errors.Is(err, io.EOF) {
				t.Errorf("after the messages: %v, want io.EOF at the sentinel", err)
			}
		})
	}
}

// TestSubscribeSentinel: with WithSentinel, the sentinel ends a typed
// stream as "end" does; an event of the same data and another name is
// data.
func TestSubscribeSentinel(t *testing.T) {
	d, err := kitchensink.Compile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	inner, err := d.Message("kitchensink.v1.Inner")
	if err != nil {
		t.Fatal(err)
	}
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "data: {\"name\":\"a\"}\n\nevent: other\ndata: [DONE]\n\ndata: {\"name\":\"b\"}\n\nevent: done\ndata: [DONE]\n\ndata: {\"name\":\"c\"}\n\n")
	})
	s, err := sseclient.Subscribe[proto.Message](testContext(t), newClient(t, srv.URL, nil), "/",
		sseclient.WithEventType("", inner), sseclient.WithSentinel("done", "[DONE]"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var names []string
	for {
		m, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, fmt.Sprint(m.ProtoReflect().Get(m.ProtoReflect().Descriptor().Fields().ByName("name"))))
	}
	if strings.Join(names, ",") != "a,b" {
		t.Errorf("messages %q before the sentinel, want a and b", names)
	}
}
