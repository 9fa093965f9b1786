package sseclient_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/durationpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sseclient"
)

// TestMain checks that no goroutine outlives the tests. Idle keep-alive
// connections belong to the HTTP transport (examples use the default
// one); they are closed first.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		http.DefaultClient.CloseIdleConnections()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestNoGoroutineOutlivesStream runs streams that end in every way and
// checks that no goroutine is left once they are over, while the servers
// keep running.
func TestNoGoroutineOutlivesStream(t *testing.T) {
	env := startDemo(t)
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	conn, err := sseclient.NewConn(env.URL, sseclient.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	client := demov1.NewDemoServiceClient(conn)
	c, err := sseclient.New(env.URL, sseclient.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	// The gateway connects to the backend on its first call; let it, so
	// that its gRPC transport exists before the snapshot.
	warm, err := client.Sequence(ctx, &demov1.SequenceRequest{Name: "streams/warm", LastSeq: 1, Interval: durationpb.New(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvAll(t, warm.Recv); err != io.EOF {
		t.Fatal(err)
	}
	tr.CloseIdleConnections()
	before := goleak.IgnoreCurrent()

	// Read to the end.
	s, err := client.Sequence(ctx, &demov1.SequenceRequest{Name: "streams/leak", LastSeq: 3, Interval: durationpb.New(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvAll(t, s.Recv); err != io.EOF {
		t.Fatal(err)
	}
	// Cancelled in the middle.
	cctx, cancel := context.WithCancel(ctx)
	s, err = client.Sequence(cctx, &demov1.SequenceRequest{Name: "streams/leak", Interval: durationpb.New(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	// Failed mid-stream.
	f, err := client.Fail(ctx, &demov1.FailRequest{Code: 5, After: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvAll(t, f.Recv); err == io.EOF {
		t.Fatal("Fail ended normally")
	}
	// Raw iterator left early, and a typed stream closed early.
	for range c.Events(ctx, "/v1/streams/leak/events?interval=1ms") {
		break
	}
	ts, err := sseclient.Subscribe[*demov1.SequenceEvent](ctx, c, "/v1/streams/leak/events?interval=1ms")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Recv(); err != nil {
		t.Fatal(err)
	}
	ts.Close()

	tr.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}
