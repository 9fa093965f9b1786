package sseclient_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sseclient"
)

// recvAll reads a stream to its end and returns the messages and the
// error that ended it (io.EOF for a normal end).
func recvAll[T any](t testing.TB, recv func() (T, error)) ([]T, error) {
	t.Helper()
	var out []T
	for range 10_000 {
		msg, err := recv()
		if err != nil {
			return out, err
		}
		out = append(out, msg)
	}
	t.Fatal("stream did not end")
	return nil, nil
}

func newConn(t testing.TB, env *demoEnv, opts ...sseclient.Option) *sseclient.Conn {
	t.Helper()
	opts = append([]sseclient.Option{sseclient.WithHTTPClient(env.HTTP)}, opts...)
	conn, err := sseclient.NewConn(env.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestConnSequenceMatchesGRPC(t *testing.T) {
	env := startDemo(t)
	ctx := testContext(t)
	req := &demov1.SequenceRequest{Name: "streams/compare", LastSeq: 25, Interval: durationpb.New(time.Millisecond)}

	direct, err := demov1.NewDemoServiceClient(env.Backend).Sequence(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want, err := recvAll(t, direct.Recv)
	if err != io.EOF {
		t.Fatalf("direct gRPC stream ended with %v", err)
	}

	var header, trailer metadata.MD
	overSSE, err := demov1.NewDemoServiceClient(newConn(t, env)).Sequence(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	got, err := recvAll(t, overSSE.Recv)
	if err != io.EOF {
		t.Fatalf("SSE stream ended with %v, want io.EOF", err)
	}
	if len(got) != len(want) || len(got) != 25 {
		t.Fatalf("received %d messages over SSE and %d over gRPC, want 25", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("message %d: got %v over SSE, want %v", i, got[i], want[i])
		}
	}

	md, err := overSSE.Header()
	if err != nil {
		t.Fatal(err)
	}
	if v := md.Get("x-demo-method"); len(v) != 1 || v[0] != "sequence" {
		t.Errorf("Header()[x-demo-method] = %q, want [sequence]", v)
	}
	if v := md.Get("content-type"); len(v) != 1 || v[0] != "text/event-stream" {
		t.Errorf("Header()[content-type] = %q", v)
	}
	for key := range md {
		if key != strings.ToLower(key) {
			t.Errorf("header key %q is not lower case", key)
		}
	}
	if v := overSSE.Trailer().Get("x-demo-last-seq"); len(v) != 1 || v[0] != "25" {
		t.Errorf("Trailer()[x-demo-last-seq] = %q, want [25]", v)
	}
	if v := header.Get("x-demo-method"); len(v) != 1 || v[0] != "sequence" {
		t.Errorf("grpc.Header option got %v", header)
	}
	if v := trailer.Get("x-demo-last-seq"); len(v) != 1 || v[0] != "25" {
		t.Errorf("grpc.Trailer option got %v", trailer)
	}
	if got := env.Seen.all(); len(got) != 1 || got[0].Method != http.MethodGet || !strings.HasPrefix(got[0].URL, "/v1/streams/compare/events?request=") {
		t.Errorf("requests = %+v, want one GET of the Sequence route", got)
	}
}

func TestConnTicksPathVariable(t *testing.T) {
	env := startDemo(t)
	ctx := testContext(t)
	req := &demov1.TicksRequest{Symbol: "ACME", Count: 5, Interval: durationpb.New(time.Millisecond)}

	direct, err := demov1.NewDemoServiceClient(env.Backend).Ticks(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want, err := recvAll(t, direct.Recv)
	if err != io.EOF {
		t.Fatal(err)
	}
	overSSE, err := demov1.NewDemoServiceClient(newConn(t, env)).Ticks(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := recvAll(t, overSSE.Recv)
	if err != io.EOF {
		t.Fatalf("SSE stream ended with %v", err)
	}
	if len(got) != 5 || len(want) != 5 {
		t.Fatalf("got %d ticks over SSE and %d over gRPC, want 5", len(got), len(want))
	}
	for i := range want {
		// Ticks carry the time they were made; the rest is deterministic.
		if got[i].GetSymbol() != want[i].GetSymbol() || got[i].GetNumber() != want[i].GetNumber() ||
			got[i].GetPriceCents() != want[i].GetPriceCents() || got[i].GetTime() == nil {
			t.Errorf("tick %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if r := env.Seen.all(); len(r) != 1 || !strings.HasPrefix(r[0].URL, "/v1/symbols/ACME/ticks?") {
		t.Errorf("requests = %+v, want one to /v1/symbols/ACME/ticks", r)
	}
}

func TestConnPOSTRoute(t *testing.T) {
	env := startDemo(t)
	ctx := testContext(t)
	client := demov1.NewDemoServiceClient(newConn(t, env))
	// A request larger than the limit for URLs goes to the POST binding.
	req := &demov1.SequenceRequest{Name: "streams/post", LastSeq: 3, Interval: durationpb.New(time.Millisecond)}
	stream, err := client.Sequence(ctx, req, sseclient.PerCall(sseclient.WithMaxQueryRequestBytes(10)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := recvAll(t, stream.Recv)
	if err != io.EOF || len(got) != 3 {
		t.Fatalf("got %d messages and %v, want 3 and io.EOF", len(got), err)
	}
	for i, m := range got {
		if want := demo.SequenceEventAt("streams/post", int64(i+1)); !proto.Equal(m, want) {
			t.Errorf("message %d = %v, want %v", i, m, want)
		}
	}
	r := env.Seen.all()
	if len(r) != 1 || r[0].Method != http.MethodPost || r[0].URL != "/v1/streams/post/events:watch" {
		t.Fatalf("requests = %+v, want one POST to /v1/streams/post/events:watch", r)
	}
	if ct := r[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestConnOutgoingMetadata(t *testing.T) {
	env := startDemo(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t),
		"authorization", "Bearer token", "x-trace", "abc", "x-data-bin", "\x00\xff")
	stream, err := demov1.NewDemoServiceClient(newConn(t, env)).Sequence(ctx,
		&demov1.SequenceRequest{Name: "streams/md", LastSeq: 1, Interval: durationpb.New(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvAll(t, stream.Recv); err != io.EOF {
		t.Fatal(err)
	}
	h := env.Seen.all()[0].Header
	if got := h.Get("Authorization"); got != "Bearer token" {
		t.Errorf("Authorization = %q", got)
	}
	if got := h.Get("X-Trace"); got != "abc" {
		t.Errorf("X-Trace = %q", got)
	}
	if got := h.Get("X-Data-Bin"); got != "AP8" {
		t.Errorf("X-Data-Bin = %q, want base64 AP8", got)
	}
	if got := h.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q", got)
	}
}

func TestConnInitialLastEventID(t *testing.T) {
	env := startDemo(t)
	ctx := testContext(t)
	stream, err := demov1.NewDemoServiceClient(newConn(t, env)).Sequence(ctx,
		&demov1.SequenceRequest{Name: "streams/resume", LastSeq: 10, Interval: durationpb.New(time.Millisecond)},
		sseclient.PerCall(sseclient.WithLastEventID("7")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := recvAll(t, stream.Recv)
	if err != io.EOF {
		t.Fatal(err)
	}
	var seqs []int64
	for _, m := range got {
		seqs = append(seqs, m.GetSeq())
	}
	if fmt.Sprint(seqs) != "[8 9 10]" {
		t.Errorf("sequence numbers %v, want [8 9 10]", seqs)
	}
	if id := env.Seen.all()[0].Header.Get("Last-Event-ID"); id != "7" {
		t.Errorf("Last-Event-ID = %q, want 7", id)
	}
}

func TestConnUnsupportedMethods(t *testing.T) {
	env := startDemo(t)
	conn := newConn(t, env)
	ctx := testContext(t)
	// A unary method the gateway does not serve: its 404.
	err := conn.Invoke(ctx, "/examples.demo.v1.DemoService/Unary", &demov1.TicksRequest{}, &demov1.Tick{})
	if status.Code(err) != codes.NotFound {
		t.Errorf("Invoke = %v, want the gateway's NotFound", err)
	}
	for _, desc := range []*grpc.StreamDesc{{ClientStreams: true}, {ClientStreams: true, ServerStreams: true}} {
		if _, err := conn.NewStream(ctx, desc, "/examples.demo.v1.DemoService/Upload"); status.Code(err) != codes.Unimplemented {
			t.Errorf("NewStream(%+v) = %v, want Unimplemented", desc, err)
		}
	}
}

func TestConnRequestDoesNotFitRoute(t *testing.T) {
	env := startDemo(t)
	_, err := demov1.NewDemoServiceClient(newConn(t, env)).Sequence(testContext(t), &demov1.SequenceRequest{Name: "not-a-stream"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "streams/*") {
		t.Errorf("Sequence with a bad name = %v, want InvalidArgument naming the template", err)
	}
	if n := len(env.Seen.all()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

// TestConnStatusCodes checks that failures raised by the backend before and
// after the stream starts reach the SSE client with the code, message and
// details that a direct gRPC client sees.
func TestConnStatusCodes(t *testing.T) {
	env := startDemo(t)
	ctx := testContext(t)
	direct := demov1.NewDemoServiceClient(env.Backend)
	overSSE := demov1.NewDemoServiceClient(newConn(t, env))
	for _, code := range []codes.Code{
		codes.NotFound, codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated,
		codes.Unavailable, codes.ResourceExhausted, codes.FailedPrecondition, codes.Aborted,
	} {
		for _, after := range []int32{0, 2} {
			t.Run(fmt.Sprintf("%v/after=%d", code, after), func(t *testing.T) {
				req := &demov1.FailRequest{
					Code:       int32(code),
					Message:    fmt.Sprintf("failed with %v", code),
					After:      after,
					Violations: []*demov1.FieldViolation{{Field: "name", Description: "is wrong"}},
					Reason:     "DEMO_" + strings.ToUpper(code.String()),
				}
				ds, err := direct.Fail(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				wantMsgs, wantErr := recvAll(t, ds.Recv)
				want := status.Convert(wantErr)
				if want.Code() != code || len(want.Details()) != 2 {
					t.Fatalf("direct gRPC: %v with %d details", wantErr, len(want.Details()))
				}

				ss, err := overSSE.Fail(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				gotMsgs, gotErr := recvAll(t, ss.Recv)
				got, ok := status.FromError(gotErr)
				if !ok {
					t.Fatalf("Recv error %v is not a status error", gotErr)
				}
				if !proto.Equal(got.Proto(), want.Proto()) {
					t.Errorf("status over SSE = %v\nwant %v", got.Proto(), want.Proto())
				}
				if status.Code(gotErr) != code {
					t.Errorf("status.Code = %v, want %v", status.Code(gotErr), code)
				}
				if len(gotMsgs) != len(wantMsgs) {
					t.Fatalf("got %d messages before the error, want %d", len(gotMsgs), len(wantMsgs))
				}
				for i := range wantMsgs {
					if !proto.Equal(gotMsgs[i], wantMsgs[i]) {
						t.Errorf("message %d = %v, want %v", i, gotMsgs[i], wantMsgs[i])
					}
				}
				re, isResponseErr := errors.AsType[*sseclient.ResponseError](gotErr)
				if after == 0 {
					if !isResponseErr {
						t.Fatalf("a failure before the stream is %T, want a *ResponseError", gotErr)
					}
					if re.StatusCode != runtime.HTTPStatusFromCode(code) || !strings.Contains(string(re.Body), `"code"`) {
						t.Errorf("ResponseError: HTTP %d body %q", re.StatusCode, re.Body)
					}
				} else if isResponseErr {
					t.Errorf("a failure mid-stream is a *ResponseError: %v", gotErr)
				}
				// The failure is final: no further messages, same error.
				if _, again := ss.Recv(); status.Code(again) != code {
					t.Errorf("second Recv = %v", again)
				}
			})
		}
	}
}

// TestConnPathEscaping sends path variables with characters that need care
// and checks that the backend receives them unchanged.
func TestConnPathEscaping(t *testing.T) {
	env := startDemo(t)
	client := demov1.NewDemoServiceClient(newConn(t, env))
	for _, symbol := range []string{"ACME", "A,B;c=d:e@f+g$h&i!j*k'(l)", "with space", "100%", "ünï", "a.b~c_d-e", "A/B", "what?", "a#b", "[x]"} {
		stream, err := client.Ticks(testContext(t), &demov1.TicksRequest{Symbol: symbol, Count: 1, Interval: durationpb.New(time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		ticks, err := recvAll(t, stream.Recv)
		if err != io.EOF || len(ticks) != 1 || ticks[0].GetSymbol() != symbol {
			t.Errorf("symbol %q: got %v, %v", symbol, ticks, err)
		}
	}
	for _, name := range []string{"streams/a b,(c);d=e", "streams/ü?#%"} {
		stream, err := client.Sequence(testContext(t), &demov1.SequenceRequest{Name: name, LastSeq: 1, Interval: durationpb.New(time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := recvAll(t, stream.Recv)
		if err != io.EOF || len(got) != 1 || !proto.Equal(got[0], demo.SequenceEventAt(name, 1)) {
			t.Errorf("name %q: got %v, %v", name, got, err)
		}
	}
}
