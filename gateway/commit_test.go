package gateway_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sse"
)

// startSilentBackend serves every method with handler, a backend that
// answers in its own way: the gateway knows it by the demo's descriptors.
func startSilentBackend(t *testing.T, handler grpc.StreamHandler) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(handler))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return dial(t, lis.Addr().String())
}

func TestHeaderTimeoutCommitsTheStream(t *testing.T) {
	release := make(chan struct{})
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		// No headers, no messages, until released: then a failure.
		select {
		case <-release:
		case <-ss.Context().Done():
		}
		return status.Error(codes.Aborted, "late failure")
	})
	base := startGateway(t, conn,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithHeaderTimeout(50*time.Millisecond))

	start := time.Now()
	s := open(t, "GET", base+"/v1/streams/quiet/events", nil, "")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("committed after %v", took)
	}
	close(release)
	events := s.rest(t)
	if len(events) != 1 || events[0].Event != "error" {
		t.Fatalf("events %q, want one error event", events)
	}
	if st := decodeStatus(t, events[0].Data); st.GetCode() != int32(codes.Aborted) || st.GetMessage() != "late failure" {
		t.Errorf("status %v", st)
	}
}

func TestBackendEndingWithoutMessages(t *testing.T) {
	conn := startSilentBackend(t, func(any, grpc.ServerStream) error { return nil })
	base := startGateway(t, conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto))

	events := open(t, "GET", base+"/v1/streams/empty/events", nil, "").rest(t)
	if len(events) != 1 || events[0].Event != "end" {
		t.Fatalf("events %q, want only end", events)
	}
}

func TestBackendDown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	base := startGateway(t, dial(t, addr), gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto))

	resp, _ := do(t, "GET", base+"/v1/streams/x/events", nil, "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	body := make([]byte, 4096)
	n, _ := resp.Body.Read(body)
	if st := decodeStatus(t, body[:n]); st.GetCode() != int32(codes.Unavailable) {
		t.Errorf("status %v, want Unavailable", st)
	}
}

func TestRetryHintCanBeTurnedOff(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithRetry(0), gateway.WithHeartbeat(20*time.Millisecond))
	// open returns once the response headers arrive: they are flushed
	// although the backend sends nothing for an hour.
	s := open(t, "GET", base+"/v1/streams/x/events?interval=1h", nil, "", sse.WithRetryEvents(), sse.WithCommentEvents())
	if ev := s.next(t); ev.Retry != 0 || ev.Comment != "ping" {
		t.Fatalf("first event %+v, want a heartbeat and no retry hint", ev)
	}
}

func TestUnavailableMidResumableStreamEndsWithoutTerminalEvent(t *testing.T) {
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		var msg proto.Message = &demov1.SequenceEvent{Name: "streams/u", Seq: 1}
		if method, _ := grpc.MethodFromServerStream(ss); strings.HasSuffix(method, "/Fail") {
			msg = &demov1.FailResponse{Index: 1}
		}
		if err := ss.SendMsg(msg); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "backend going away")
	})
	base := startGateway(t, conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto))

	// Sequence has an id field: the client should come back and resume.
	events := open(t, "GET", base+"/v1/streams/u/events", nil, "").rest(t)
	if len(events) != 1 || events[0].ID != "1" {
		t.Fatalf("events %q, want the message and no end or error event", events)
	}
	// Fail has none: the failure is final, and said so.
	events = open(t, "GET", base+"/examples.demo.v1.DemoService/Fail", nil, "").rest(t)
	if len(events) != 2 || events[1].Event != gateway.ErrorEvent {
		t.Fatalf("events %q, want the message and an error event", events)
	}
	if st := decodeStatus(t, events[1].Data); st.GetCode() != int32(codes.Unavailable) {
		t.Errorf("error event %v, want Unavailable", st)
	}
}

// TestBurstBeforeUnavailableArrivesWhole: a backend sends a burst, which
// the gateway receives ahead and writes in batches, and then becomes
// unavailable in the middle of a resumable stream. The response ends
// without a terminal event, and every message sent before the failure
// reaches the client first, in order: the client resumes after the last.
func TestBurstBeforeUnavailableArrivesWhole(t *testing.T) {
	const n = 300
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		var req demov1.SequenceRequest
		if err := ss.RecvMsg(&req); err != nil {
			return err
		}
		for seq := int64(1); seq <= n; seq++ {
			if err := ss.SendMsg(&demov1.SequenceEvent{Name: req.GetName(), Seq: seq, Payload: strings.Repeat("p", 200)}); err != nil {
				return err
			}
		}
		return status.Error(codes.Unavailable, "backend going away")
	})
	base := startGateway(t, conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto))
	for run := range 10 {
		s := open(t, "GET", base+"/v1/streams/burst/events", nil, "")
		events := s.rest(t)
		if len(events) != n {
			t.Fatalf("run %d: %d events, want %d", run, len(events), n)
		}
		for i, ev := range events {
			if want := strconv.Itoa(i + 1); ev.ID != want || ev.Event != "" {
				t.Fatalf("run %d: event %d is %q with id %q, want a message with id %s", run, i, ev.Event, ev.ID, want)
			}
		}
	}
}

// TestMessageThatCannotBeJSONEndsWithInternalError: a backend message that
// protojson cannot encode (a timestamp out of its range) ends the stream
// with an INTERNAL "error" event after the events before it, while the
// backend is still sending, and the backend call is cancelled.
func TestMessageThatCannotBeJSONEndsWithInternalError(t *testing.T) {
	const badTick = 200
	cancelled := make(chan struct{})
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		var req demov1.TicksRequest
		if err := ss.RecvMsg(&req); err != nil {
			return err
		}
		defer close(cancelled)
		for n := int64(1); ; n++ {
			tick := &demov1.Tick{Symbol: req.GetSymbol(), Number: n, Time: timestamppb.New(time.Unix(0, 0))}
			if n == badTick {
				tick.Time.Seconds = 1 << 60 // after year 9999: no RFC 3339 form
			}
			// As fast as flow control allows, so that the gateway is
			// receiving ahead when it meets the bad message.
			if err := ss.SendMsg(tick); err != nil {
				<-ss.Context().Done()
				return err
			}
		}
	})
	base := startGateway(t, conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto))
	s := open(t, "GET", base+"/v1/symbols/BAD/ticks", nil, "")
	events := s.rest(t)
	if len(events) != badTick {
		t.Fatalf("%d events, want %d ticks and an error", len(events), badTick-1)
	}
	for i, ev := range events[:badTick-1] {
		var tick demov1.Tick
		if ev.Event != "tick" || protojson.Unmarshal(ev.Data, &tick) != nil || tick.GetNumber() != int64(i+1) {
			t.Fatalf("event %d: %s %s, want tick %d", i, ev.Event, ev.Data, i+1)
		}
	}
	last := events[badTick-1]
	var st spb.Status
	if last.Event != gateway.ErrorEvent || protojson.Unmarshal(last.Data, &st) != nil {
		t.Fatalf("last event %s %s, want an error", last.Event, last.Data)
	}
	if codes.Code(st.GetCode()) != codes.Internal || !strings.Contains(st.GetMessage(), "examples.demo.v1.Tick as JSON") {
		t.Errorf("error event %s, want INTERNAL naming the message type", last.Data)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend call was not cancelled")
	}
}
