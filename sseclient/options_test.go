package sseclient_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sseclient"
)

// TestConnWithFiles serves the demo with descriptors whose Sequence rule
// differs from the compiled one: a Conn given the same descriptors with
// WithFiles follows their rule, one without them follows the compiled
// rule and misses.
func TestConnWithFiles(t *testing.T) {
	fdp := protodesc.ToFileDescriptorProto(demov1.File_examples_demo_v1_demo_proto)
	for _, m := range fdp.GetService()[0].GetMethod() {
		if m.GetName() == "Sequence" {
			proto.SetExtension(m.GetOptions(), annotations.E_Http, &annotations.HttpRule{
				Pattern: &annotations.HttpRule_Get{Get: "/custom/{name=streams/*}/{last_seq}"},
			})
		}
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	backend := startBackend(t)
	gw, err := gateway.New(t.Context(), backend, gateway.WithFiles(fd))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	srv := httptest.NewServer(rec.wrap(gw))
	t.Cleanup(srv.Close)
	hc := newHTTPClient(t)
	req := &demov1.SequenceRequest{Name: "streams/files", LastSeq: 2, Interval: durationpb.New(time.Millisecond)}

	conn, err := sseclient.NewConn(srv.URL, sseclient.WithHTTPClient(hc), sseclient.WithFiles(fd))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := demov1.NewDemoServiceClient(conn).Sequence(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := recvAll(t, stream.Recv)
	if err != io.EOF || len(got) != 2 || !proto.Equal(got[1], demo.SequenceEventAt("streams/files", 2)) {
		t.Fatalf("got %v, %v", got, err)
	}
	if u := rec.all()[0].URL; !strings.HasPrefix(u, "/custom/streams/files/2?") {
		t.Errorf("request URL %s, want the custom route", u)
	}

	conn, err = sseclient.NewConn(srv.URL, sseclient.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	stream, err = demov1.NewDemoServiceClient(conn).Sequence(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.NotFound {
		t.Errorf("without WithFiles: %v, want NotFound from the gateway", err)
	}
}

func TestLoggerAndCancelCause(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		writeSSE(w, "id: 1\ndata: x\n\n")
		<-r.Context().Done()
	})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, srv.URL, nil, append(fastReconnect(2), sseclient.WithLogger(logger))...)

	errStop := errors.New("stopped by the test")
	ctx, cancel := context.WithCancelCause(testContext(t))
	defer cancel(nil)
	var last error
	for ev, err := range c.Events(ctx, "/") {
		if err != nil {
			last = err
			break
		}
		if string(ev.Data) == "x" {
			cancel(errStop)
		}
	}
	if !errors.Is(last, context.Canceled) || !errors.Is(last, errStop) {
		t.Errorf("error after cancel = %v, want context.Canceled and the cause", last)
	}
	for _, want := range []string{"sse reconnecting", "502", "sse connected", "attempt=1"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
