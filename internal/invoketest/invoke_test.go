package invoketest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ssegw/ssegw/gateway"
	kitchensinkv1 "github.com/ssegw/ssegw/gen/testdata/kitchensink/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/sseclient"
)

// testContext returns a context that ends with the test, or after ten
// seconds.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newHTTPClient returns a client whose idle connections are closed when
// the test ends.
func newHTTPClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// seenRequest is a request as the gateway received it.
type seenRequest struct {
	Method, URL   string
	Header        http.Header
	ContentLength int64
}

// recorder keeps the requests a handler received.
type recorder struct {
	mu   sync.Mutex
	reqs []seenRequest
}

func newRecorder() *recorder { return &recorder{} }

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seenRequest{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), ContentLength: r.ContentLength})
		rec.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// all returns the requests received so far.
func (rec *recorder) all() []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seenRequest(nil), rec.reqs...)
}

// kitchenSinkEnv is the kitchen-sink backend behind a gateway that knows
// it only by server reflection (its messages are dynamic there), and the
// generated client on a Conn to the gateway.
type kitchenSinkEnv struct {
	backend *kitchensink.Backend
	client  kitchensinkv1.KitchenSinkClient
	seen    *recorder // requests that reached the gateway
}

func startKitchenSinkEnv(t *testing.T, opts ...gateway.Option) *kitchenSinkEnv {
	t.Helper()
	srv, err := kitchensink.Start(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	gw, err := gateway.New(testContext(t), conn, append([]gateway.Option{gateway.WithReflection()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	hs := httptest.NewServer(rec.wrap(gw))
	t.Cleanup(hs.Close)
	sc, err := sseclient.NewConn(hs.URL, sseclient.WithHTTPClient(newHTTPClient(t)))
	if err != nil {
		t.Fatal(err)
	}
	return &kitchenSinkEnv{backend: srv.Backend, client: kitchensinkv1.NewKitchenSinkClient(sc), seen: rec}
}

// lastRequest returns the request the backend received last, as the
// generated type.
func (e *kitchenSinkEnv) lastRequest(t *testing.T, into proto.Message) proto.Message {
	t.Helper()
	c, ok := e.backend.LastCall()
	if !ok {
		t.Fatal("the backend received no call")
	}
	raw, err := proto.Marshal(c.Request)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(raw, into); err != nil {
		t.Fatal(err)
	}
	return into
}

// TestInvokeEachBindingForm calls every unary method of the kitchen-sink
// API with its generated client over a Conn: each call takes the route
// its rule gives (each verb, body "*", a body field, a custom method, the
// default route), the backend receives exactly the request, and the
// answer decodes to what the backend sent.
func TestInvokeEachBindingForm(t *testing.T) {
	env := startKitchenSinkEnv(t)
	ctx := testContext(t)
	everything := &kitchensinkv1.Everything{
		StringValue: "abc", Int64Value: -9223372036854775808, Uint64Value: 18446744073709551615, DoubleValue: -0.5,
		Color: kitchensinkv1.Color_BLUE, Inner: &kitchensinkv1.Inner{Name: "n", Colors: []kitchensinkv1.Color{kitchensinkv1.Color_RED}},
		RepeatedInner: []*kitchensinkv1.Inner{{Name: "a"}, {Count: 2}}, MapInt64: map[int64]string{-1: "x"},
		Timestamp: timestamppb.New(time.Date(2024, 2, 29, 23, 59, 59, 5e8, time.UTC)), OptionalInt32: proto.Int32(0),
	}
	for _, tc := range []struct {
		name        string
		call        func() (proto.Message, error)
		sent        proto.Message // the request
		want        proto.Message // the answer; nil for the request itself
		method, url string        // the request that reached the gateway
	}{
		{"GET with a path variable", func() (proto.Message, error) { return env.client.Get(ctx, everything) }, everything, nil,
			"GET", "/v1/items/abc?request="},
		{"GET of another binding", func() (proto.Message, error) {
			return env.client.Get(ctx, &kitchensinkv1.Everything{Int32Value: 3})
		}, &kitchensinkv1.Everything{Int32Value: 3}, nil, "GET", "/v1/items:lookup?request="},
		{"POST with the request as the body", func() (proto.Message, error) { return env.client.Create(ctx, everything) }, everything, nil,
			"POST", "/v1/items"},
		{"PUT with a body field and a field mask", func() (proto.Message, error) {
			return env.client.Update(ctx, &kitchensinkv1.UpdateRequest{Item: &kitchensinkv1.Everything{StringValue: "items/1", Int32Value: 7}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"int32_value"}}})
		}, &kitchensinkv1.UpdateRequest{Item: &kitchensinkv1.Everything{StringValue: "items/1", Int32Value: 7}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"int32_value"}}}, nil,
			"PUT", "/v1/items/1?request="},
		{"PUT without a mask keeps it empty", func() (proto.Message, error) {
			return env.client.Update(ctx, &kitchensinkv1.UpdateRequest{Item: &kitchensinkv1.Everything{StringValue: "items/2", Int32Value: 7}})
		}, &kitchensinkv1.UpdateRequest{Item: &kitchensinkv1.Everything{StringValue: "items/2", Int32Value: 7}}, nil,
			"PUT", "/v1/items/2"},
		{"DELETE", func() (proto.Message, error) {
			return env.client.Delete(ctx, &kitchensinkv1.Everything{StringValue: "gone"})
		},
			&kitchensinkv1.Everything{StringValue: "gone"}, &emptypb.Empty{}, "DELETE", "/v1/items/gone?request="},
		{"a custom HTTP method", func() (proto.Message, error) { return env.client.Search(ctx, everything) }, everything, nil,
			"SEARCH", "/v1/items"},
		{"response_body: only the field comes back", func() (proto.Message, error) { return env.client.Pick(ctx, everything) }, everything,
			&kitchensinkv1.Everything{Inner: everything.Inner}, "GET", "/v1/items/abc/inner?request="},
		{"response_body with the request as the body", func() (proto.Message, error) {
			return env.client.Pick(ctx, &kitchensinkv1.Everything{RepeatedColor: []kitchensinkv1.Color{kitchensinkv1.Color_GREEN, 42}})
		}, &kitchensinkv1.Everything{RepeatedColor: []kitchensinkv1.Color{kitchensinkv1.Color_GREEN, 42}},
			&kitchensinkv1.Everything{RepeatedColor: []kitchensinkv1.Color{kitchensinkv1.Color_GREEN, 42}}, "POST", "/v1/items:pickColors"},
		{"the default route", func() (proto.Message, error) { return env.client.Touch(ctx, everything) }, everything, nil,
			"POST", "/kitchensink.v1.KitchenSink/Touch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			received := env.lastRequest(t, tc.sent.ProtoReflect().Type().New().Interface())
			if !proto.Equal(received, tc.sent) {
				t.Errorf("the backend received %v, want %v", received, tc.sent)
			}
			want := tc.want
			if want == nil {
				want = tc.sent
			}
			if !proto.Equal(got, want) {
				t.Errorf("answer %v, want %v", got, want)
			}
			seen := env.seen.all()
			last := seen[len(seen)-1]
			if last.Method != tc.method || !strings.HasPrefix(last.URL, tc.url) || (!strings.Contains(tc.url, "?") && strings.Contains(last.URL, "?")) {
				t.Errorf("request %s %s, want %s %s", last.Method, last.URL, tc.method, tc.url)
			}
			if tc.method == "PUT" && last.ContentLength <= 0 {
				// The routes of Update take the field item as the body.
				t.Errorf("request %s %s with no body, want the body field as the body", last.Method, last.URL)
			}
		})
	}
}

// TestInvokeStatusAndMetadata: a failure is the backend's status, code
// and message intact, and a *ResponseError; outgoing metadata reaches the
// backend; the backend's header and trailer metadata come back in the
// response headers (grpc.Header); the context's deadline travels as
// Grpc-Timeout and ends the call with DeadlineExceeded; an answer over
// grpc.MaxCallRecvMsgSize is ResourceExhausted; client-streaming and
// bidirectional methods are Unimplemented.
func TestInvokeStatusAndMetadata(t *testing.T) {
	env := startKitchenSinkEnv(t, gateway.WithIncomingHeaders("Authorization", "X-Tenant"), gateway.WithOutgoingMetadata("x-header", "x-trailer"))
	ctx := testContext(t)

	_, err := env.client.Answer(ctx, &kitchensinkv1.EmitRequest{FailCode: int32(codes.NotFound), FailMessage: "gone"})
	if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "gone" {
		t.Errorf("failure %v, want NotFound: gone", err)
	}
	var re *sseclient.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Errorf("failure %v: want a *ResponseError with 404", err)
	}

	var header, trailer metadata.MD
	out := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer t0k3n", "x-tenant", "acme")
	got, err := env.client.Answer(out, &kitchensinkv1.EmitRequest{
		Messages:        []*kitchensinkv1.Everything{{StringValue: "answer"}},
		HeaderMetadata:  map[string]string{"x-header": "h"},
		TrailerMetadata: map[string]string{"x-trailer": "t"},
	}, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil || got.GetStringValue() != "answer" {
		t.Fatalf("Answer: %v, %v", got, err)
	}
	if header.Get("x-header")[0] != "h" || header.Get("x-trailer")[0] != "t" || header.Get("content-type")[0] != "application/json" {
		t.Errorf("header metadata %v", header)
	}
	if len(trailer) != 0 {
		t.Errorf("trailer metadata %v, want none: the gateway sends trailer metadata as headers", trailer)
	}
	c, _ := env.backend.LastCall()
	if c.Metadata.Get("authorization")[0] != "Bearer t0k3n" || c.Metadata.Get("x-tenant")[0] != "acme" {
		t.Errorf("backend metadata %v", c.Metadata)
	}

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = env.client.Answer(short, &kitchensinkv1.EmitRequest{Delay: durationpb.New(20 * time.Second)})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("a call past its deadline: %v, want DeadlineExceeded", err)
	}
	seen := env.seen.all()
	if timeout := seen[len(seen)-1].Header.Get("Grpc-Timeout"); timeout == "" || !strings.ContainsAny(timeout[len(timeout)-1:], "num") {
		t.Errorf("Grpc-Timeout %q, want the context's deadline in milli-, micro- or nanoseconds", timeout)
	}

	big := &kitchensinkv1.Everything{StringValue: strings.Repeat("x", 4096)}
	if _, err := env.client.Touch(ctx, big, grpc.MaxCallRecvMsgSize(1024)); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("an answer over the size limit: %v, want ResourceExhausted", err)
	}
	if got, err := env.client.Touch(ctx, big); err != nil || got.GetStringValue() != big.StringValue {
		t.Errorf("a large request (in the body): %v", err)
	}

	if _, err := env.client.Chat(ctx); status.Code(err) != codes.Unimplemented {
		t.Errorf("a bidirectional method: %v, want Unimplemented", err)
	}
	if _, err := env.client.Collect(ctx); status.Code(err) != codes.Unimplemented {
		t.Errorf("a client-streaming method: %v, want Unimplemented", err)
	}
}
