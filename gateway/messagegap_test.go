package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/sse"
)

// TestMaxMessageGapEndsAStalledCall: a backend that sends a few messages
// and then nothing, without ending the call, as a frozen one does. With the
// method option max_message_gap, the gateway gives up on the call once it
// has waited that long for the next message: the call is cancelled, a
// resumable stream ends without a terminal event (its client resumes), a
// stream that is not resumable ends with UNAVAILABLE naming the gap, and a
// call that sent nothing at all is answered 503.
func TestMaxMessageGapEndsAStalledCall(t *testing.T) {
	const gap = 300 * time.Millisecond
	calls := make(chan *call, 10)
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		c := &call{ended: make(chan struct{})}
		defer close(c.ended)
		calls <- c
		method, _ := grpc.MethodFromServerStream(ss)
		var msgs []proto.Message
		switch {
		case strings.HasSuffix(method, "/Sequence"):
			msgs = []proto.Message{&demov1.SequenceEvent{Name: "streams/g", Seq: 1}, &demov1.SequenceEvent{Name: "streams/g", Seq: 2}}
		case strings.HasSuffix(method, "/Fail"):
			msgs = []proto.Message{&demov1.FailResponse{Index: 1}}
		} // Ticks: not even response headers
		for _, m := range msgs {
			if err := ss.SendMsg(m); err != nil {
				return err
			}
		}
		<-ss.Context().Done() // frozen: never another message, never an end
		return ss.Context().Err()
	})
	gapOption := &ssegwv1.StreamOptions{MaxMessageGap: durationpb.New(gap)}
	base := startGateway(t, conn,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithHeaderTimeout(5*time.Second), // longer than the gap
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Sequence", gapOption),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Fail", gapOption),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Ticks", gapOption))
	cancelled := func(what string) {
		t.Helper()
		select {
		case <-(<-calls).ended:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the backend call was not cancelled", what)
		}
	}

	start := time.Now()
	events := open(t, "GET", base+"/v1/streams/g/events", nil, "").rest(t)
	if took := time.Since(start); took < gap {
		t.Errorf("resumable stream ended after %v, before the gap of %v", took, gap)
	}
	if len(events) != 2 || events[1].ID != "2" {
		t.Errorf("resumable stream: events %q, want the two messages and no terminal event", events)
	}
	cancelled("resumable stream")

	events = open(t, "GET", base+"/examples.demo.v1.DemoService/Fail", nil, "").rest(t)
	if len(events) != 2 || events[1].Event != gateway.ErrorEvent {
		t.Fatalf("stream without ids: events %q, want the message and an error event", events)
	}
	st := decodeStatus(t, events[1].Data)
	if codes.Code(st.GetCode()) != codes.Unavailable || st.GetMessage() != "the backend sent no message for 300ms" {
		t.Errorf("error event %s, want UNAVAILABLE naming the gap", events[1].Data)
	}
	cancelled("stream without ids")

	resp, _ := do(t, "GET", base+"/v1/symbols/S/ticks", nil, "")
	body := make([]byte, 4096)
	n, _ := resp.Body.Read(body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body[:n]), "no message for 300ms") {
		t.Errorf("no message at all: %d %s, want 503 naming the gap", resp.StatusCode, body[:n])
	}
	cancelled("call without messages")
}

// TestMaxMessageGapIsValidated: a negative gap is refused by New.
func TestMaxMessageGapIsValidated(t *testing.T) {
	conn, _ := startBackend(t)
	_, err := gateway.New(t.Context(), conn,
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Sequence", &ssegwv1.StreamOptions{MaxMessageGap: durationpb.New(-time.Second)}))
	if err == nil || !strings.Contains(err.Error(), "max_message_gap") {
		t.Errorf("New with a negative gap: %v", err)
	}
}

// TestMaxMessageGapEndsASharedCall: the gap bounds a shared stream's
// backend call as it bounds a stream's own, for all its subscribers: a
// resumable one ends without a terminal event, so that the clients
// resume; one without ids ends with the UNAVAILABLE that names the gap.
func TestMaxMessageGapEndsASharedCall(t *testing.T) {
	const gap = 300 * time.Millisecond
	calls := make(chan *call, 10)
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		c := &call{ended: make(chan struct{})}
		defer close(c.ended)
		calls <- c
		method, _ := grpc.MethodFromServerStream(ss)
		var msg proto.Message = &demov1.FailResponse{Index: 1}
		if strings.HasSuffix(method, "/Sequence") {
			msg = &demov1.SequenceEvent{Name: "streams/g", Seq: 1}
		}
		if err := ss.SendMsg(msg); err != nil {
			return err
		}
		<-ss.Context().Done() // frozen
		return ss.Context().Err()
	})
	gapOption := &ssegwv1.StreamOptions{MaxMessageGap: durationpb.New(gap)}
	base := startGateway(t, conn,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithHeaderTimeout(5*time.Second),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Sequence", gapOption),
		gateway.WithMethodOptions("examples.demo.v1.DemoService.Fail", gapOption),
		gateway.WithSharing("examples.demo.v1.DemoService.Sequence", &ssegwv1.Sharing{Linger: durationpb.New(0)}),
		gateway.WithSharing("examples.demo.v1.DemoService.Fail", &ssegwv1.Sharing{Linger: durationpb.New(0)}))

	// The second subscriber joins live, after the message: it has only
	// the stream's end.
	for _, tc := range []struct {
		path  string
		check func(t *testing.T, events []sse.Event, joinedLate bool)
	}{
		{"/v1/streams/g/events", func(t *testing.T, events []sse.Event, joinedLate bool) {
			if len(events) > 1 || (!joinedLate && (len(events) != 1 || events[0].ID != "1")) {
				t.Errorf("resumable shared stream: events %q, want the message (unless joined after it) and no terminal event", events)
			}
		}},
		{"/examples.demo.v1.DemoService/Fail", func(t *testing.T, events []sse.Event, joinedLate bool) {
			if len(events) == 0 || events[len(events)-1].Event != gateway.ErrorEvent || (!joinedLate && len(events) != 2) {
				t.Fatalf("shared stream without ids: events %q, want the message (unless joined after it) and an error event", events)
			}
			if st := decodeStatus(t, events[len(events)-1].Data); codes.Code(st.GetCode()) != codes.Unavailable || st.GetMessage() != "the backend sent no message for 300ms" {
				t.Errorf("error event %s, want UNAVAILABLE naming the gap", events[len(events)-1].Data)
			}
		}},
	} {
		start := time.Now()
		first := open(t, "GET", base+tc.path, nil, "")
		second := open(t, "GET", base+tc.path, nil, "")
		tc.check(t, first.rest(t), false)
		tc.check(t, second.rest(t), true)
		if took := time.Since(start); took < gap {
			t.Errorf("%s ended after %v, before the gap of %v", tc.path, took, gap)
		}
		select {
		case <-(<-calls).ended:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the shared backend call was not cancelled", tc.path)
		}
		select {
		case c := <-calls:
			t.Errorf("%s: a second backend call %v for the second subscriber", tc.path, c)
		default:
		}
	}
}
