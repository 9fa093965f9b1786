package sseclient

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

func TestExpandPath(t *testing.T) {
	seq := &demov1.SequenceRequest{Name: "streams/a b", AfterSeq: 7}
	tick := &demov1.TicksRequest{Symbol: "A/B"}
	for _, tc := range []struct {
		tmpl string
		msg  interface{ ProtoReflect() protoreflect.Message }
		want string // "" for an error
	}{
		{"/v1/{name=streams/*}/events", seq, "/v1/streams/a%20b/events"},
		{"/v1/{name=streams/*}/events:watch", seq, "/v1/streams/a%20b/events:watch"},
		{"/v1/{name=**}", seq, "/v1/streams/a%20b"},
		{"/v1/{name}/x", seq, "/v1/streams%2Fa%20b/x"},
		{"/v1/{name=shelves/*}/x", seq, ""},        // literal mismatch
		{"/v1/{name=streams/*/x}/events", seq, ""}, // too few segments
		{"/v1/{after_seq}/x", seq, "/v1/7/x"},
		{"/v1/{last_seq}/x", seq, "/v1/0/x"},
		{"/v1/{symbol}/ticks", tick, "/v1/A%2FB/ticks"},
		{"/v1/{symbol=*/*}/ticks", tick, "/v1/A/B/ticks"},
		{"/v1/{name=streams/**}", &demov1.SequenceRequest{Name: "streams/a,b/c d/(e)"}, "/v1/streams/a,b/c%20d/(e)"},
		{"/v1/{name=streams/**}", &demov1.SequenceRequest{Name: "streams/a?b"}, ""},
		{"/v1/{name=streams/**}", &demov1.SequenceRequest{Name: "streams//b"}, ""},
		{"/v1/{name=streams/*}", &demov1.SequenceRequest{Name: "streams/a?b"}, "/v1/streams/a%3Fb"},
		{"/v1/{nope}/x", seq, ""},
		{"/v1/{interval}/x", seq, ""},
		{"/v1/{name/x", seq, ""},
		{"/v1/{symbol}/ticks", &demov1.TicksRequest{}, ""}, // empty
	} {
		got, err := expandPath(tc.tmpl, tc.msg.ProtoReflect())
		if tc.want == "" {
			if err == nil {
				t.Errorf("expandPath(%q) = %q, want an error", tc.tmpl, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("expandPath(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
		}
	}
}

func TestPlanRequest(t *testing.T) {
	cfg := defaultConfig()
	seqMethod := demov1.File_examples_demo_v1_demo_proto.Services().Get(0).Methods().ByName("Sequence")
	req := &demov1.SequenceRequest{Name: "streams/x", LastSeq: 3}

	p, err := planRequest("/examples.demo.v1.DemoService/Sequence", seqMethod, req, &cfg)
	if err != nil || p.method != http.MethodGet || !strings.HasPrefix(p.target, "/v1/streams/x/events?request=") || p.body != nil {
		t.Errorf("small request: %+v, %v", p, err)
	}

	cfg.maxQueryRequest = 5
	p, err = planRequest("/examples.demo.v1.DemoService/Sequence", seqMethod, req, &cfg)
	if err != nil || p.method != http.MethodPost || p.target != "/v1/streams/x/events:watch" || !strings.Contains(string(p.body), `"lastSeq"`) {
		t.Errorf("large request: %+v, %v", p, err)
	}

	fail := demov1.File_examples_demo_v1_demo_proto.Services().Get(0).Methods().ByName("Fail")
	p, err = planRequest("/examples.demo.v1.DemoService/Fail", fail, &demov1.FailRequest{}, &cfg)
	if err != nil || p.method != http.MethodGet || p.target != "/examples.demo.v1.DemoService/Fail" {
		t.Errorf("default route: %+v, %v", p, err)
	}

	if md := findMethod("/examples.demo.v1.DemoService/Sequence", nil, nil); md == nil || md.FullName() != "examples.demo.v1.DemoService.Sequence" {
		t.Errorf("findMethod = %v", md)
	}
	if md := findMethod("/no.Such/Method", nil, nil); md != nil {
		t.Errorf("findMethod of an unknown method = %v", md)
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		base   string
		opts   []Option
		target string
		want   string
	}{
		{"http://h:1", nil, "/v1/x?a=1", "http://h:1/v1/x?a=1"},
		{"http://h:1/prefix/", nil, "/v1/x", "http://h:1/prefix/v1/x"},
		{"http://h:1/prefix", nil, "v1/x", "http://h:1/prefix/v1/x"},
		{"http://h:1/s?k=v", nil, "?a=1", "http://h:1/s?k=v&a=1"},
		{"http://h:1", nil, "", "http://h:1/"},
		{"", []Option{WithHost("h"), WithPort(8080), WithPath("/events")}, "", "http://h:8080/events"},
		{"", []Option{WithScheme("HTTPS"), WithHost("::1"), WithPort(443)}, "/e", "https://[::1]:443/e"},
		{"http://h:1", []Option{WithHost("g")}, "/e", "http://g:1/e"},
		{"http://h:1", []Option{WithPort(0)}, "/e", "http://h/e"},
		{"http://h:1", nil, "https://other/e#frag", "https://other/e"},
		{"", nil, "/e", ""},
		{"http://h:1", nil, "ftp://h/e", ""},
		{"", []Option{WithScheme("ftp"), WithHost("h")}, "/e", ""},
	} {
		cfg, err := newConfig(tc.base, tc.opts)
		var got string
		if err == nil {
			got, err = cfg.resolve(tc.target)
		}
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q + %q = %q, want an error", tc.base, tc.target, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q + %q = %q, %v; want %q", tc.base, tc.target, got, err, tc.want)
		}
	}
	if _, err := New("not a url"); err == nil {
		t.Error("New with a relative base URL: no error")
	}
}

func TestBackoff(t *testing.T) {
	s := &EventStream{cfg: defaultConfig()}
	s.cfg.reconnectionTime = 100 * time.Millisecond
	s.cfg.maxDelay = time.Second
	within := func(d, lo time.Duration) bool { return d >= lo && d <= lo+lo/5 }
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		if d := s.backoff(attempt, nil); !within(d, want) {
			t.Errorf("attempt %d: %v, want %v plus up to a fifth", attempt, d, want)
		}
	}
	// The server's retry replaces the base, and raises the cap.
	s.retry = 3 * time.Second
	if d := s.backoff(1, nil); !within(d, 3*time.Second) {
		t.Errorf("with retry 3s: %v", d)
	}
	if d := s.backoff(3, nil); !within(d, 3*time.Second) {
		t.Errorf("with retry 3s, attempt 3: %v", d)
	}
	// Retry-After lengthens the wait up to the cap.
	s.retry = 0
	re := &ResponseError{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"1"}}}
	if d := s.backoff(1, re); !within(d, time.Second) {
		t.Errorf("with Retry-After 1: %v", d)
	}
	re.Header.Set("Retry-After", "120")
	if d := s.backoff(1, re); !within(d, time.Second) {
		t.Errorf("with Retry-After 120 and a 1s cap: %v", d)
	}
	s.cfg.reconnectionTime = 0
	if d := s.backoff(3, nil); d != 0 {
		t.Errorf("with no reconnection time: %v", d)
	}
}

func TestRetryable(t *testing.T) {
	for code, want := range map[int]bool{408: true, 429: true, 500: true, 502: true, 503: true, 504: true,
		400: false, 401: false, 403: false, 404: false, 409: false, 501: false, 505: false, 200: false, 202: false} {
		if got := retryable(&ResponseError{StatusCode: code}); got != want {
			t.Errorf("retryable(%d) = %v", code, got)
		}
	}
	if !retryable(errors.New("connection refused")) || retryable(permanentError{errors.New("bad")}) {
		t.Error("retryable of plain and permanent errors")
	}
}

func TestCodeFromHTTPStatus(t *testing.T) {
	for httpStatus, want := range map[int]codes.Code{
		400: codes.InvalidArgument, 401: codes.Unauthenticated, 403: codes.PermissionDenied, 404: codes.NotFound,
		405: codes.Unimplemented, 408: codes.DeadlineExceeded, 409: codes.Aborted, 412: codes.FailedPrecondition,
		416: codes.OutOfRange, 418: codes.FailedPrecondition, 429: codes.ResourceExhausted, 499: codes.Canceled,
		500: codes.Internal, 501: codes.Unimplemented, 502: codes.Unavailable, 503: codes.Unavailable,
		504: codes.DeadlineExceeded, 507: codes.Internal, 302: codes.Unknown, 200: codes.Unknown,
	} {
		if got := CodeFromHTTPStatus(httpStatus); got != want {
			t.Errorf("CodeFromHTTPStatus(%d) = %v, want %v", httpStatus, got, want)
		}
	}
}

func TestDecodeStatus(t *testing.T) {
	data := []byte(`{"code":5,"message":"gone","details":[` +
		`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"R","domain":"d"},` +
		`{"@type":"type.googleapis.com/unknown.Type","x":1}],` +
		`"trailers":{"X-Key":["a","b"]}}`)
	p, trailers, err := decodeStatus(data, newResolver(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.GetCode() != 5 || p.GetMessage() != "gone" || len(p.GetDetails()) != 1 {
		t.Errorf("status = %v", p)
	}
	if got := trailers.Get("x-key"); len(got) != 2 {
		t.Errorf("trailers = %v", trailers)
	}
	if _, _, err := decodeStatus([]byte(`{"message":"no code"}`), newResolver(nil)); err == nil {
		t.Error("a status without a code decoded")
	}
	err, _ = errorEventStatus([]byte("not json"), newResolver(nil))
	if err == nil || !strings.Contains(err.Error(), "Internal") {
		t.Errorf("malformed error event = %v", err)
	}
}
