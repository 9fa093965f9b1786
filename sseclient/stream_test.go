package sseclient_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sseclient"
)

func TestSubscribe(t *testing.T) {
	env := startDemo(t)
	c := newClient(t, env.URL, env.HTTP)
	s, err := sseclient.Subscribe[*demov1.SequenceEvent](testContext(t), c, "/v1/streams/typed/events?last_seq=4&interval=1ms")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Header().Get("X-Demo-Method"); got != "sequence" {
		t.Errorf("header X-Demo-Method = %q", got)
	}
	n := 0
	for msg, err := range s.All() {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if want := demo.SequenceEventAt("streams/typed", int64(n)); !proto.Equal(msg, want) {
			t.Errorf("message %d = %v, want %v", n, msg, want)
		}
	}
	if n != 4 {
		t.Errorf("received %d messages, want 4", n)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Errorf("Recv after the end = %v, want io.EOF", err)
	}
	if got := s.Trailer().Get("x-demo-last-seq"); len(got) != 1 || got[0] != "4" {
		t.Errorf("trailer = %v", s.Trailer())
	}
	if s.LastEventID() != "4" {
		t.Errorf("LastEventID = %q, want 4", s.LastEventID())
	}
}

func TestSubscribeFailures(t *testing.T) {
	env := startDemo(t)
	c := newClient(t, env.URL, env.HTTP)
	// Before the stream: Subscribe returns the status.
	_, err := sseclient.Subscribe[*demov1.FailResponse](testContext(t), c, "/examples.demo.v1.DemoService/Fail?code=7&message=denied")
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || st.Message() != "denied" {
		t.Errorf("Subscribe = %v, want PermissionDenied: denied", err)
	}
	// Mid-stream: Recv returns it after the messages.
	s, err := sseclient.Subscribe[*demov1.FailResponse](testContext(t), c, "/examples.demo.v1.DemoService/Fail?code=5&message=gone&after=2&reason=DEMO")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := recvAll(t, s.Recv)
	if len(msgs) != 2 || msgs[1].GetIndex() != 2 {
		t.Errorf("messages = %v", msgs)
	}
	if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "gone" || len(st.Details()) != 1 {
		t.Errorf("Recv = %v with details %v, want NotFound: gone with one detail", err, st.Details())
	}
}

func TestSubscribeEventTypes(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, strings.Join([]string{
			"event: tick\ndata: {\"symbol\":\"ACME\",\"number\":\"1\",\"futureField\":true}\n\n",
			"event: seq\ndata: {\"name\":\"streams/a\",\"seq\":\"7\"}\n\n",
			"event: other\ndata: {\"x\":1}\n\n",
			"event: ping\ndata\n\n",
			"event: end\ndata: {}\n\n",
		}, ""))
	})
	c := newClient(t, srv.URL, nil)
	s, err := sseclient.Subscribe[proto.Message](testContext(t), c, "/",
		sseclient.WithEventType("tick", &demov1.Tick{}), sseclient.WithEventType("seq", &demov1.SequenceEvent{}))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := recvAll(t, s.Recv)
	if err != io.EOF || len(msgs) != 2 {
		t.Fatalf("got %v and %v, want a Tick and a SequenceEvent", msgs, err)
	}
	if tick, ok := msgs[0].(*demov1.Tick); !ok || tick.GetSymbol() != "ACME" || tick.GetNumber() != 1 {
		t.Errorf("first message = %v", msgs[0])
	}
	if seq, ok := msgs[1].(*demov1.SequenceEvent); !ok || seq.GetSeq() != 7 {
		t.Errorf("second message = %v", msgs[1])
	}

	// A mapped type must implement the stream's type.
	if _, err := sseclient.Subscribe[*demov1.SequenceEvent](testContext(t), c, "/", sseclient.WithEventType("tick", &demov1.Tick{})); err == nil {
		t.Error("Subscribe with a mapping to another type: no error")
	}
}

func TestSubscribeMalformedData(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "data: {not json\n\nevent: end\ndata: {}\n\n")
	})
	s, err := sseclient.Subscribe[*demov1.Tick](testContext(t), newClient(t, srv.URL, nil), "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "examples.demo.v1.Tick") {
		t.Errorf("Recv = %v, want Internal naming the type", err)
	}
}

func TestSubscribeEndWithoutEndEvent(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "data: {\"symbol\":\"A\"}\n\n")
	})
	s, err := sseclient.Subscribe[*demov1.Tick](testContext(t), newClient(t, srv.URL, nil), "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("Recv after the connection closed = %v, want Unavailable", err)
	}
}
