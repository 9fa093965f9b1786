package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// TestQuietStalledClientIsClosedByTheUserTimeout: a client on a quiet
// stream (only heartbeats) stops taking data, as one whose network
// vanished does. Heartbeats are a few bytes, so the gateway's socket
// buffer would hold them for minutes and no write would reach its
// deadline; the TCP user timeout on the listener (the write timeout)
// closes the connection once its data has waited unacknowledged that
// long, and the stream ends. A client beside it that keeps reading is
// not affected.
func TestQuietStalledClientIsClosedByTheUserTimeout(t *testing.T) {
	backend, _ := startBackend(t)
	gw := startGateway(t, nil, "--backend", backend, "--backend-name", "demo", "--listen", "127.0.0.1:0",
		"--write-timeout", "1s", "--heartbeat", "10ms")
	path := "/v1/streams/quiet/events?interval=1h" // the backend sends nothing for an hour
	labels := `backend="demo",method="GET",route="/v1/{name=streams/*}/events"`

	// The stalled client: the smallest receive window, so that its window
	// shuts after a few hundred heartbeats.
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	stalled, err := dialer.DialContext(t.Context(), "tcp", strings.TrimPrefix(gw.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	fmt.Fprintf(stalled, "GET %s HTTP/1.1\r\nHost: gateway\r\nAccept: text/event-stream\r\n\r\n", path)
	status, err := bufio.NewReader(stalled).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("stalled client: status line %q, %v", status, err)
	}
	// From here on it reads nothing.

	// The reading client.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", gw.base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	reader := sse.NewReader(resp.Body, sse.WithCommentEvents())
	beats := make(chan struct{}, 1)
	go func() {
		for {
			if _, err := reader.Next(); err != nil {
				return
			}
			select {
			case beats <- struct{}{}:
			default:
			}
		}
	}()

	start := time.Now()
	var families map[string]float64
	eventually(t, 15*time.Second, "the stalled stream ended", func() bool {
		families = scrapeText(t, gw.base+"/metrics")
		return families[`ssegw_streams_open{`+labels+`}`] == 1
	})
	t.Logf("stalled stream ended %v after it was opened", time.Since(start).Round(10*time.Millisecond))
	// The server usually sees the closed connection first in its reader,
	// as a client that went away, and otherwise in the stream's write.
	gone := families[`ssegw_streams_ended_total{backend="demo",code="Canceled",method="GET",reason="client_closed",route="/v1/{name=streams/*}/events"}`] +
		families[`ssegw_streams_ended_total{backend="demo",code="Canceled",method="GET",reason="slow_consumer",route="/v1/{name=streams/*}/events"}`]
	if gone != 1 {
		t.Errorf("streams ended as gone or slow: %v, want 1; metrics: %v", gone, families)
	}

	// The reading client still gets heartbeats.
	for range 3 {
		select {
		case <-beats:
		case <-time.After(5 * time.Second):
			t.Fatal("the reading client gets no more heartbeats")
		}
	}
	// The stalled connection was closed by the gateway's side.
	_ = stalled.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReaderSize(stalled, 1<<20).Discard(1 << 30); err == nil {
		t.Error("the stalled connection is still open")
	}
}
