package gateway_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// publicUnavailable is the message clients get with UNAVAILABLE.
const publicUnavailable = "the backend is unavailable; retry later"

// TestTransportErrorsStayInTheLog: when the backend cannot be reached, or
// its connection breaks in the middle of a stream, gRPC describes the
// failure with the backend's address and the transport's error. Clients
// get the code and a neutral message, in the 503 body and in the error
// event; the description goes to the log.
func TestTransportErrorsStayInTheLog(t *testing.T) {
	t.Run("backend down before the stream", func(t *testing.T) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := lis.Addr().String()
		lis.Close() // nothing listens there now
		var logs logBuffer
		base := startGateway(t, dial(t, addr),
			gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
			gateway.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))

		resp, _ := do(t, "GET", base+"/v1/streams/x/events", nil, "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		st := decodeStatus(t, body)
		if codes.Code(st.GetCode()) != codes.Unavailable || st.GetMessage() != publicUnavailable {
			t.Errorf("body %s, want UNAVAILABLE with %q", body, publicUnavailable)
		}
		_, port, _ := net.SplitHostPort(addr)
		for _, leak := range []string{port, "dial", "connection", "transport"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("body %s holds %q", body, leak)
			}
		}
		if recs := logs.lines(t, "backend unavailable"); len(recs) != 1 || !strings.Contains(recs[0]["error"].(string), addr) {
			t.Errorf("log records %v, want one naming %s", recs, addr)
		}
	})
	t.Run("connection lost mid-stream", func(t *testing.T) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sent := make(chan struct{})
		srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error {
			if err := ss.SendMsg(&demov1.FailResponse{Index: 1}); err != nil {
				return err
			}
			close(sent)
			<-ss.Context().Done()
			return nil
		}))
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		var logs logBuffer
		base := startGateway(t, dial(t, lis.Addr().String()),
			gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
			gateway.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))

		// Fail has no id field: losing the backend ends it with an error.
		s := open(t, "GET", base+"/examples.demo.v1.DemoService/Fail", nil, "")
		if ev := s.next(t); ev.Event != "" {
			t.Fatalf("first event %+v, want the message", ev)
		}
		<-sent
		srv.Stop() // the connection closes under the stream
		events := s.rest(t)
		if len(events) != 1 || events[0].Event != gateway.ErrorEvent {
			t.Fatalf("events %q, want an error event", events)
		}
		if st := decodeStatus(t, events[0].Data); codes.Code(st.GetCode()) != codes.Unavailable || st.GetMessage() != publicUnavailable {
			t.Errorf("error event %s, want UNAVAILABLE with %q", events[0].Data, publicUnavailable)
		}
		if recs := logs.lines(t, "backend unavailable"); len(recs) != 1 || recs[0]["error"] == "" {
			t.Errorf("log records %v, want one with the transport's error", recs)
		}
	})
}
