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
// long, and the stream ends as a slow consumer (the server's reader
// usually finds the closed connection first, but the heartbeats found
// data waiting for the client). A client beside it that keeps reading is
// not affected.
func TestQuietStalledClientIsClosedByTheUserTimeout(t *testing.T) {
	backend, _ := startBackend(t)
	gw := startGateway(t, nil, "--backend", backend, "--backend-name", "demo", "--listen", "127.0.0.1:0",
		"--write-timeout", "1s", "--heartbeat", "10ms")
	path := "/v1/streams/quiet/events?interval=1h" // the backend sends nothing for an hour
	labels := `backend="demo",method="GET",route="/v1/{name=streams/*}/events"`

	stalled := stallingClient(t, gw.base, path)
	defer stalled.Close()

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
	checkSlowConsumers(t, families, labels, 1)

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

// TestBusyStalledClientsAreSlowConsumers: clients of a busy stream that
// stop reading fill the socket buffers; the next write waits, and the TCP
// user timeout (the write timeout) closes the connection about when that
// write's deadline passes, often just before, so that the server's reader
// or the write itself finds a closed connection rather than a missed
// deadline. Every one of them must still be counted as a slow consumer.
func TestBusyStalledClientsAreSlowConsumers(t *testing.T) {
	const clients = 10
	backend, _ := startBackend(t)
	gw := startGateway(t, nil, "--backend", backend, "--backend-name", "demo", "--listen", "127.0.0.1:0",
		"--write-timeout", "1s")
	path := "/v1/symbols/" + strings.Repeat("S", 4<<10) + "/ticks?interval=0.001s"
	labels := `backend="demo",method="GET",route="/v1/symbols/{symbol}/ticks"`
	for range clients {
		c := stallingClient(t, gw.base, path)
		defer c.Close()
	}
	var families map[string]float64
	eventually(t, 30*time.Second, "the stalled streams ended", func() bool {
		families = scrapeText(t, gw.base+"/metrics")
		return families[`ssegw_streams_open{`+labels+`}`] == 0
	})
	checkSlowConsumers(t, families, labels, clients)
}

// stallingClient opens a stream with the smallest receive window, so that
// the window shuts after a few kilobytes, reads its status line, and then
// reads nothing more.
func stallingClient(t *testing.T, base, path string) net.Conn {
	t.Helper()
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	c, err := dialer.DialContext(t.Context(), "tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: gateway\r\nAccept: text/event-stream\r\n\r\n", path)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		c.Close()
		t.Fatalf("stalled client: status line %q, %v", status, err)
	}
	return c
}

// checkSlowConsumers checks that n streams of the route ended, all as slow
// consumers, and that the slow-consumer counter says so.
func checkSlowConsumers(t *testing.T, families map[string]float64, labels string, n float64) {
	t.Helper()
	ended := func(reason string) float64 {
		// The labels in their order: backend, code, method, reason, route.
		// The code is whichever the end had (Canceled, or the status of the
		// write that failed); the reason is what is checked.
		backend, rest, _ := strings.Cut(labels, ",")
		method, route, _ := strings.Cut(rest, ",")
		sum := 0.0
		for name, v := range families {
			if strings.HasPrefix(name, `ssegw_streams_ended_total{`+backend+`,code="`) &&
				strings.HasSuffix(name, `",`+method+`,reason="`+reason+`",`+route+`}`) {
				sum += v
			}
		}
		return sum
	}
	if slow, gone := ended("slow_consumer"), ended("client_closed"); slow != n || gone != 0 {
		t.Errorf("streams ended as slow consumers: %v, as closed by their clients: %v; want %v and 0", slow, gone, n)
	}
	if got := families[`ssegw_slow_consumer_disconnects_total{`+labels+`}`]; got != n {
		t.Errorf("ssegw_slow_consumer_disconnects_total %v, want %v", got, n)
	}
}
