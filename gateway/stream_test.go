package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sse"
)

func TestEventDataIsProtoJSONOfBackendMessages(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)

	// The same request straight to the backend.
	direct, err := demov1.NewDemoServiceClient(conn).Sequence(t.Context(), &demov1.SequenceRequest{
		Name: "streams/a", LastSeq: 5, Interval: durationpb.New(time.Millisecond),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, "GET", base+"/v1/streams/a/events?last_seq=5&interval=0.001s", nil, "")
	events := s.rest(t)
	if len(events) != 6 {
		t.Fatalf("got %d events, want 5 messages and end: %q", len(events), events)
	}
	for i, ev := range events[:5] {
		want, err := direct.Recv()
		if err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := protojson.Marshal(want)
		if !jsonEqual(t, ev.Data, wantJSON) {
			t.Errorf("event %d data %s, want %s", i, ev.Data, wantJSON)
		}
		if ev.Event != "" {
			t.Errorf("event %d named %q, want no name", i, ev.Event)
		}
		if ev.ID != fmt.Sprint(i+1) {
			t.Errorf("event %d id %q, want %d", i, ev.ID, i+1)
		}
	}
	if _, err := direct.Recv(); err != io.EOF {
		t.Fatalf("direct stream: %v, want EOF", err)
	}
	if end := events[5]; end.Event != gateway.EndEvent || string(end.Data) != "{}" {
		t.Errorf("last event %q %s, want end {}", end.Event, end.Data)
	}
	if got := s.resp.Header; got.Get("Cache-Control") != "no-cache" || got.Get("X-Accel-Buffering") != "no" {
		t.Errorf("response headers %v lack Cache-Control: no-cache and X-Accel-Buffering: no", got)
	}
}

func TestPathAndQueryMapping(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)

	s := open(t, "GET", base+"/v1/symbols/ZED%2F1/ticks?count=3&interval=0.001s", nil, "")
	events := s.rest(t)
	if len(events) != 4 {
		t.Fatalf("got %d events, want 3 ticks and end", len(events))
	}
	for i, ev := range events[:3] {
		if ev.Event != "tick" {
			t.Errorf("event %d named %q, want tick (from the method option)", i, ev.Event)
		}
		var tick demov1.Tick
		if err := protojson.Unmarshal(ev.Data, &tick); err != nil {
			t.Fatal(err)
		}
		if tick.GetSymbol() != "ZED/1" || tick.GetNumber() != int64(i+1) {
			t.Errorf("event %d: symbol %q number %d, want ZED/1 and %d", i, tick.GetSymbol(), tick.GetNumber(), i+1)
		}
	}
}

func TestPathTemplateAndPOSTBody(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn)

	header := http.Header{"Content-Type": {"application/json"}}
	s := open(t, "POST", base+"/v1/streams/b/events:watch", header, `{"lastSeq": 3, "interval": "0.001s", "afterSeq": 1}`)
	events := s.rest(t)
	if len(events) != 3 || events[0].ID != "2" || events[1].ID != "3" || events[2].Event != "end" {
		t.Fatalf("events %q, want ids 2 and 3, then end", events)
	}
	var ev demov1.SequenceEvent
	if err := protojson.Unmarshal(events[0].Data, &ev); err != nil || ev.GetName() != "streams/b" {
		t.Fatalf("event %s (%v): want name streams/b from the path template", events[0].Data, err)
	}
	if c := rec.next(t); c.method != "/examples.demo.v1.DemoService/Sequence" {
		t.Errorf("backend method %s", c.method)
	}
}

func TestRequestQueryParameter(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)

	// Repeated messages cannot be query parameters; the request parameter
	// carries them, and other parameters apply on top of it.
	req := `{"code": 3, "message": "from json", "after": 5, "violations": [{"field": "x", "description": "bad x"}]}`
	s := open(t, "GET", base+"/examples.demo.v1.DemoService/Fail?after=1&request="+url.QueryEscape(req), nil, "")
	events := s.rest(t)
	if len(events) != 2 {
		t.Fatalf("events %q, want one message (after=1 overrides the JSON) and an error", events)
	}
	st := decodeStatus(t, events[1].Data)
	if st.GetCode() != int32(codes.InvalidArgument) || st.GetMessage() != "from json" || len(st.GetDetails()) != 1 {
		t.Fatalf("status %v", st)
	}
	var br errdetails.BadRequest
	if err := st.GetDetails()[0].UnmarshalTo(&br); err != nil || br.GetFieldViolations()[0].GetField() != "x" {
		t.Fatalf("detail %v (%v), want the violation of field x", st.GetDetails()[0], err)
	}
}

func TestErrorEventMidStream(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)

	s := open(t, "GET", base+"/examples.demo.v1.DemoService/Fail?code=14&message=backend+gone&after=2&reason=GONE", nil, "")
	events := s.rest(t)
	if len(events) != 3 {
		t.Fatalf("events %q, want 2 messages and an error", events)
	}
	errEv := events[2]
	if errEv.Event != gateway.ErrorEvent {
		t.Fatalf("last event %q, want error", errEv.Event)
	}
	want := &spb.Status{
		Code:    int32(codes.Unavailable),
		Message: "backend gone",
		Details: []*anypb.Any{mustAny(t, &errdetails.ErrorInfo{Reason: "GONE", Domain: demo.ErrorDomain})},
	}
	if diff := cmpStatus(decodeStatus(t, errEv.Data), want); diff != "" {
		t.Error(diff)
	}
}

func TestErrorBeforeStreamIsHTTPStatus(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)

	for _, tc := range []struct {
		code codes.Code
		http int
	}{
		{codes.NotFound, http.StatusNotFound},
		{codes.InvalidArgument, http.StatusBadRequest},
		{codes.PermissionDenied, http.StatusForbidden},
		{codes.Unauthenticated, http.StatusUnauthorized},
		{codes.Unavailable, http.StatusServiceUnavailable},
		{codes.ResourceExhausted, http.StatusTooManyRequests},
		{codes.FailedPrecondition, http.StatusBadRequest},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			q := url.Values{"code": {fmt.Sprint(int(tc.code))}, "message": {"no " + tc.code.String()}, "reason": {"WHY"}}
			resp, _ := do(t, "GET", base+"/examples.demo.v1.DemoService/Fail?"+q.Encode(), nil, "")
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.http {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.http, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			want := &spb.Status{
				Code:    int32(tc.code),
				Message: "no " + tc.code.String(),
				Details: []*anypb.Any{mustAny(t, &errdetails.ErrorInfo{Reason: "WHY", Domain: demo.ErrorDomain})},
			}
			if diff := cmpStatus(decodeStatus(t, body), want); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestEndEventCarriesTrailersAndHeadersAreForwarded(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithOutgoingMetadata("x-demo-method", "x-demo-last-seq"))

	s := open(t, "GET", base+"/v1/streams/t/events?last_seq=2&interval=0.001s", nil, "")
	if got := s.resp.Header.Get("X-Demo-Method"); got != "sequence" {
		t.Errorf("response header X-Demo-Method %q, want sequence", got)
	}
	events := s.rest(t)
	end := events[len(events)-1]
	var payload struct {
		Trailers map[string][]string `json:"trailers"`
	}
	if err := json.Unmarshal(end.Data, &payload); err != nil {
		t.Fatal(err)
	}
	if end.Event != "end" || fmt.Sprint(payload.Trailers) != "map[x-demo-last-seq:[2]]" {
		t.Errorf("end event %q %s, want the x-demo-last-seq trailer", end.Event, end.Data)
	}
}

func TestHeartbeatsOnIdleStream(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn,
		gateway.WithHeartbeat(30*time.Millisecond),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", &ssegwv1.StreamOptions{
			HeartbeatInterval: durationpb.New(40 * time.Millisecond),
			HeartbeatEvent:    "beat",
		}))

	t.Run("comments", func(t *testing.T) {
		s := open(t, "GET", base+"/v1/streams/idle/events?interval=1h", nil, "", sse.WithCommentEvents())
		for i := range 3 {
			if ev := s.next(t); ev.Comment != "ping" || ev.Data != nil {
				t.Fatalf("event %d: %+v, want a ping comment", i, ev)
			}
		}
	})
	t.Run("per-method named event", func(t *testing.T) {
		s := open(t, "GET", base+"/v1/symbols/Q/ticks?interval=1h", nil, "")
		start := time.Now()
		for i := range 3 {
			if ev := s.next(t); ev.Event != "beat" || len(ev.Data) != 0 {
				t.Fatalf("event %d: %+v, want a beat event", i, ev)
			}
		}
		if took := time.Since(start); took < 3*40*time.Millisecond {
			t.Errorf("3 heartbeats in %v, faster than the method's 40ms period", took)
		}
	})
}

func TestClientDisconnectCancelsBackend(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn)

	s := open(t, "GET", base+"/v1/symbols/C/ticks?interval=0.01s", nil, "")
	c := rec.next(t)
	s.next(t) // a tick: the backend is streaming
	s.cancel()
	select {
	case <-c.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend's stream context did not end after the client left")
	}
}

func TestLastEventIDReachesBackend(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn)
	path := base + "/v1/streams/r/events?last_seq=10&interval=0.001s"

	for _, tc := range []struct {
		name   string
		url    string
		header http.Header
		want   string
	}{
		{"header", path, http.Header{"Last-Event-Id": {"7"}}, "7"},
		{"query parameter", path + "&lastEventID=4", nil, "4"},
		{"header wins over query", path + "&lastEventID=4", http.Header{"Last-Event-Id": {"8"}}, "8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, "GET", tc.url, tc.header, "")
			c := rec.next(t)
			if got := c.md.Get("last-event-id"); len(got) != 1 || got[0] != tc.want {
				t.Errorf("metadata last-event-id %q, want %q", got, tc.want)
			}
			first := s.next(t)
			var ev demov1.SequenceEvent
			if err := protojson.Unmarshal(first.Data, &ev); err != nil {
				t.Fatal(err)
			}
			if want := mustInt(t, tc.want) + 1; ev.GetSeq() != want {
				t.Errorf("first seq %d, want %d: the resume field after_seq was not set", ev.GetSeq(), want)
			}
		})
	}
}

func TestResumeLosesNothingAndRepeatsNothing(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)
	url := base + "/v1/streams/resume/events?last_seq=20&interval=0.001s"

	var got []int64
	first := open(t, "GET", url, nil, "")
	for range 7 {
		got = append(got, seqOf(t, first.next(t)))
	}
	last := first.events.LastEventID()
	first.cancel()

	second := open(t, "GET", url, http.Header{"Last-Event-Id": {last}}, "")
	for _, ev := range second.rest(t) {
		if ev.Event == "" {
			got = append(got, seqOf(t, ev))
		}
	}
	for i, seq := range got {
		if seq != int64(i+1) {
			t.Fatalf("sequence %v: want 1..20, each once", got)
		}
	}
	if len(got) != 20 {
		t.Fatalf("sequence %v: want 1..20", got)
	}
}

func TestIncomingHeaderAllowlist(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn, gateway.WithIncomingHeaders("Authorization", "X-Tenant"))

	header := http.Header{"Authorization": {"Bearer t0k"}, "X-Tenant": {"acme"}, "X-Other": {"no"}, "Cookie": {"a=b"}}
	open(t, "GET", base+"/v1/symbols/A/ticks?interval=1h", header, "")
	md := rec.next(t).md
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer t0k" {
		t.Errorf("authorization %q", got)
	}
	if got := md.Get("x-tenant"); len(got) != 1 || got[0] != "acme" {
		t.Errorf("x-tenant %q", got)
	}
	if got := md.Get("x-other"); got != nil {
		t.Errorf("x-other %q was forwarded", got)
	}
	if got := md.Get("cookie"); got != nil {
		t.Errorf("cookie %q was forwarded", got)
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	conn, _ := startBackend(t)
	files := gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto)
	for _, tc := range []struct {
		name string
		opts []gateway.Option
		want string
	}{
		{"reserved incoming header", []gateway.Option{gateway.WithIncomingHeaders("grpc-timeout")}, "reserved"},
		{"hop-by-hop header", []gateway.Option{gateway.WithIncomingHeaders("Connection")}, "reserved"},
		{"unknown service", []gateway.Option{gateway.WithServices("no.Such")}, "no.Such"},
		{"id field missing", []gateway.Option{gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", &ssegwv1.StreamOptions{IdField: "nope"})}, "id_field"},
		{"id field not scalar", []gateway.Option{gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", &ssegwv1.StreamOptions{IdField: "time"})}, "not a scalar"},
		{"resume field missing", []gateway.Option{gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", &ssegwv1.StreamOptions{ResumeField: "after"})}, "resume_field"},
		{"event name with line break", []gateway.Option{gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", &ssegwv1.StreamOptions{Event: "a\nb"})}, "line break"},
		{"options for an unknown method", []gateway.Option{gateway.WithMethodOptions("examples.demo.v1.DemoService.Nope", &ssegwv1.StreamOptions{})}, "Nope"},
		{"missing descriptor set", []gateway.Option{gateway.WithDescriptorSetFile("/nonexistent.binpb")}, "descriptor set"},
		{"no body read timeout", []gateway.Option{gateway.WithBodyReadTimeout(0)}, "body read timeout"},
		{"body buffers below the request size", []gateway.Option{gateway.WithMaxRequestBytes(2 << 20), gateway.WithMaxBodyBufferBytes(1 << 20)}, "at least the maximum request size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gateway.New(t.Context(), conn, append([]gateway.Option{files}, tc.opts...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestGatewayCommitsWithoutWaitingForFirstMessage(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/streams/slow/events?interval=1h", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no response while the backend sends nothing: %v", err)
	}
	defer resp.Body.Close()
	ev, err := sse.NewReader(resp.Body, sse.WithRetryEvents()).Next()
	if err != nil || ev.Retry != gateway.DefaultRetry {
		t.Fatalf("first event %+v (%v), want the retry hint", ev, err)
	}
}

func seqOf(t *testing.T, ev sse.Event) int64 {
	t.Helper()
	var se demov1.SequenceEvent
	if err := protojson.Unmarshal(ev.Data, &se); err != nil {
		t.Fatalf("event %q: %v", ev.Data, err)
	}
	if want := demo.SequenceEventAt(se.GetName(), se.GetSeq()); !proto.Equal(&se, want) {
		t.Fatalf("event %v, want %v", &se, want)
	}
	if ev.ID != fmt.Sprint(se.GetSeq()) {
		t.Fatalf("event id %q for seq %d", ev.ID, se.GetSeq())
	}
	return se.GetSeq()
}

func decodeStatus(t *testing.T, data []byte) *spb.Status {
	t.Helper()
	var st spb.Status
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &st); err != nil {
		t.Fatalf("status %s: %v", data, err)
	}
	return &st
}

func cmpStatus(got, want *spb.Status) string {
	if proto.Equal(got, want) {
		return ""
	}
	g, _ := protojson.Marshal(got)
	w, _ := protojson.Marshal(want)
	return fmt.Sprintf("status %s, want %s", g, w)
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}
