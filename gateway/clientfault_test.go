//go:build unix

package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sse"
)

// Faults of clients: a client that vanishes without closing its connection,
// and many clients that stop reading. The gateway must notice both through
// its write deadline (WithWriteTimeout), which heartbeats exercise when the
// backend is quiet, cancel the backend calls, and give back what the
// streams held. (Unix only: the tests size socket buffers before
// connecting, with setsockopt; see smallWindowDialer.)

// faultWriteTimeout is the write deadline of the gateways in these tests.
const faultWriteTimeout = 200 * time.Millisecond

// detectionBound is how long a stalled client may go unnoticed, from the
// moment it stops reading until its backend call is cancelled.
const detectionBound = 10 * time.Second

// stallProxy is a TCP proxy on loopback between clients and a gateway. It
// forwards bytes both ways until cut; then, as a client whose network
// vanished, it goes silent: it forwards nothing more, reads nothing more
// from either side and closes nothing, so the gateway sees neither FIN nor
// RST, only a peer that takes no more data. With tiny, it dials the gateway
// with smallWindowDialer.
type stallProxy struct {
	lis    net.Listener
	target string
	tiny   bool

	mu   sync.Mutex
	ups  []net.Conn // toward the gateway
	pipe []net.Conn // every socket, both sides
	wg   sync.WaitGroup
}

func newStallProxy(t *testing.T, target string, tiny bool) *stallProxy {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{lis: lis, target: target, tiny: tiny}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) addr() string { return p.lis.Addr().String() }

func (p *stallProxy) accept() {
	for {
		down, err := p.lis.Accept()
		if err != nil {
			return
		}
		dialer := &net.Dialer{}
		if p.tiny {
			dialer = smallWindowDialer
		}
		up, err := dialer.Dial("tcp", p.target)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		p.ups = append(p.ups, up)
		p.pipe = append(p.pipe, down, up)
		p.mu.Unlock()
		// Each copy ends at the cut's deadlines, or when a side is
		// closed; it closes nothing itself.
		p.wg.Go(func() { _, _ = io.Copy(up, down) })
		p.wg.Go(func() { _, _ = io.Copy(down, up) })
	}
}

// cut stops accepting, forwarding and reading, and returns once nothing is
// copied any more. Every socket stays open.
func (p *stallProxy) cut() {
	p.lis.Close()
	p.mu.Lock()
	for _, c := range p.pipe {
		_ = c.SetDeadline(time.Unix(1, 0))
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// gatewayClosed reads, after a cut, what the gateway had sent toward the
// vanished client, and fails unless the gateway closed each connection
// within the detection bound.
func (p *stallProxy) gatewayClosed(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, up := range p.ups {
		_ = up.SetDeadline(time.Now().Add(detectionBound))
		if _, err := io.Copy(io.Discard, up); err != nil && !isReset(err) {
			t.Errorf("reading from the gateway after the cut: %v, want the connection closed by the gateway", err)
		}
	}
}

func (p *stallProxy) close() {
	p.lis.Close()
	p.mu.Lock()
	for _, c := range p.pipe {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// smallWindowDialer dials with the smallest receive buffer the kernel
// allows, set before connecting, so that the window the socket offers is
// small from the handshake on. Set after connecting, the buffer would
// shrink, but the peer's kernel would keep the handshake's window (64 KiB
// on loopback) as the most it may send at once, and would gather up to
// half of it from small writes into one unsent segment, past its own send
// buffer, before a write blocks.
var smallWindowDialer = &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1)
	}); cerr != nil {
		return cerr
	}
	return err
}}

// serveWithSendBuffer serves h on loopback like serveHTTP, with the send
// buffer of every connection it accepts set to size bytes (raised by the
// kernel to its minimum).
func serveWithSendBuffer(t *testing.T, h http.Handler, size int) string {
	t.Helper()
	hs := httptest.NewUnstartedServer(h)
	hs.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetWriteBuffer(size)
		}
		return ctx
	}
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.URL
}

// startIdleBackend serves a backend that accepts every call, sends its
// response headers and then nothing until the call is cancelled. Each call
// is sent on the returned channel.
func startIdleBackend(t *testing.T) (*grpc.ClientConn, <-chan *call) {
	t.Helper()
	calls := make(chan *call, 16)
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		c := &call{ended: make(chan struct{})}
		defer close(c.ended)
		calls <- c
		if err := ss.SendHeader(metadata.MD{}); err != nil {
			return err
		}
		<-ss.Context().Done()
		return ss.Context().Err()
	})
	return conn, calls
}

// waitOpenStreams waits until the gateway serves no stream.
func waitOpenStreams(t *testing.T, gw *gateway.Gateway) {
	t.Helper()
	deadline := time.Now().Add(detectionBound)
	for gw.OpenStreams() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("OpenStreams %d after %v, want 0", gw.OpenStreams(), detectionBound)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHalfOpenConnectionIsDetected: a client receiving a stream vanishes
// without FIN or RST (its host lost power, its network went away), which
// a proxy between it and the gateway plays by going silent while keeping
// its sockets open. The gateway's writes, events or heartbeats, stop
// getting through; once one of them misses the write deadline the stream
// must end as a slow consumer, its backend call be cancelled, its
// connection be closed and OpenStreams come back to 0.
func TestHalfOpenConnectionIsDetected(t *testing.T) {
	t.Run("steady backend", func(t *testing.T) {
		// The demo's ticks with a 32 KiB symbol every millisecond: events
		// large enough to fill, within a second, the socket buffers that
		// the kernel sizes itself (on loopback, megabytes).
		conn, rec := startBackend(t)
		testHalfOpen(t, halfOpenCase{
			conn:   conn,
			path:   "/v1/symbols/" + strings.Repeat("S", 32<<10) + "/ticks?interval=0.001s",
			labels: `{method="GET",route="/v1/symbols/{symbol}/ticks"}`,
			next:   func() *call { return rec.next(t) },
		})
	})
	t.Run("idle backend", func(t *testing.T) {
		// A backend that sends nothing: only heartbeats, every 10ms, are
		// written, 13 bytes each on the wire. With the buffers the kernel
		// sizes itself (megabytes on loopback) it would take many
		// thousands of them before a write blocked, and the deadline
		// cannot fire before one does: that wait is the kernel's, not the
		// gateway's. So the sockets between the gateway and the proxy get
		// the smallest buffers here, standing for full ones, and what is
		// checked is that a heartbeat that cannot be written is detected
		// as an event is, with no backend message to trigger it.
		conn, calls := startIdleBackend(t)
		testHalfOpen(t, halfOpenCase{
			conn:   conn,
			path:   "/v1/streams/idle/events",
			labels: `{method="GET",route="/v1/{name=streams/*}/events"}`,
			next: func() *call {
				select {
				case c := <-calls:
					return c
				case <-time.After(5 * time.Second):
					t.Fatal("the backend received no call")
					return nil
				}
			},
			idle: true,
		})
	})
}

// halfOpenCase is a stream for testHalfOpen.
type halfOpenCase struct {
	conn   grpc.ClientConnInterface // to the backend
	path   string
	labels string       // of the route's metrics
	next   func() *call // waits for the stream's backend call
	// idle says that the backend sends nothing: only heartbeats can
	// detect the stall, and the sockets between the gateway and the proxy
	// get the smallest buffers.
	idle bool
}

// testHalfOpen opens a stream through a stall proxy, reads a few events or
// heartbeats, cuts the proxy and checks that the gateway detects it.
func testHalfOpen(t *testing.T, tc halfOpenCase) {
	t.Helper()
	reg := prometheus.NewRegistry()
	var logs logBuffer
	gw := newGateway(t, tc.conn,
		gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithMetrics(reg),
		gateway.WithAccessLog(slog.New(slog.NewJSONHandler(&logs, nil))),
		gateway.WithWriteTimeout(faultWriteTimeout),
		gateway.WithHeartbeat(10*time.Millisecond))
	var p *stallProxy
	if tc.idle {
		p = newStallProxy(t, strings.TrimPrefix(serveWithSendBuffer(t, gw, 1), "http://"), true)
	} else {
		p = newStallProxy(t, strings.TrimPrefix(serveHTTP(t, gw), "http://"), false)
	}

	s := open(t, "GET", "http://"+p.addr()+tc.path, nil, "", sse.WithCommentEvents())
	c := tc.next()
	for range 3 { // the stream flows through the proxy
		s.next(t)
	}
	if got := gw.OpenStreams(); got != 1 {
		t.Fatalf("OpenStreams %d before the cut, want 1", got)
	}
	p.cut()
	start := time.Now()

	select {
	case <-c.ended:
	case <-time.After(detectionBound):
		t.Fatalf("the backend call was not cancelled %v after the client vanished", detectionBound)
	}
	detected := time.Since(start)
	waitOpenStreams(t, gw)

	line := logs.waitLines(t, "stream", 1)[0]
	count := func(key string) int64 { f, _ := line[key].(float64); return int64(f) }
	t.Logf("detected %v after the cut; %d events, %d heartbeats, %d bytes sent in all",
		detected.Round(time.Millisecond), count("events"), count("heartbeats"), count("bytes"))
	if line["reason"] != "slow_consumer" {
		t.Errorf("access log reason %v, want slow_consumer", line["reason"])
	}
	if tc.idle && (count("events") != 0 || count("heartbeats") == 0) {
		t.Errorf("%d events and %d heartbeats sent, want only heartbeats", count("events"), count("heartbeats"))
	}
	got := waitMetric(t, reg, "ssegw_slow_consumer_disconnects_total"+tc.labels, 1)
	if open := got["ssegw_streams_open"+tc.labels]; open != 0 {
		t.Errorf("ssegw_streams_open %v, want 0", open)
	}
	p.gatewayClosed(t)
}

// TestManyStalledClientsKeepMemoryFlat: rounds of many clients that open a
// stream, read its first event and then stop reading, without closing
// their connections. Every round, each stream must end as a slow consumer
// and its backend call be cancelled; once the clients are gone, the
// gateway's goroutines must come back to where they were before the first
// round, and its heap must not grow from round to round.
func TestManyStalledClientsKeepMemoryFlat(t *testing.T) {
	const clients, rounds = 50, 5
	conn, rec := startBackend(t)
	reg := prometheus.NewRegistry()
	gw := newGateway(t, conn, gateway.WithMetrics(reg), gateway.WithWriteTimeout(faultWriteTimeout))
	// The kernel sizes a loopback socket's send buffer in megabytes, and
	// filling that many of them under the race detector would take
	// minutes; the smallest buffers on both sides make each stall show
	// within a few dozen events. Kernel buffers are not the gateway's
	// memory, which is what is measured here. (The recorder keeps each
	// call, under a kilobyte, well inside the heap's bound.)
	base := serveWithSendBuffer(t, gw, 1)
	addr := strings.TrimPrefix(base, "http://")
	path := "/v1/symbols/" + strings.Repeat("S", 1<<10) + "/ticks?interval=0.001s"
	transport := http.DefaultTransport.(*http.Transport)

	baseline, _ := settle(t, transport, 0)
	// A little slack for goroutines of the runtime and of the test's own
	// machinery, which come and go.
	const slack = 2
	var stalled []net.Conn // this round's clients
	closeStalled := func() {
		for _, c := range stalled {
			c.Close()
		}
		stalled = stalled[:0]
	}
	t.Cleanup(closeStalled)
	var heap []uint64
	for round := range rounds {
		start := time.Now()
		for range clients {
			stalled = append(stalled, stallingClient(t, addr, path))
		}
		deadline := time.Now().Add(detectionBound)
		for i := range clients {
			c := rec.next(t)
			select {
			case <-c.ended:
			case <-time.After(time.Until(deadline)):
				t.Fatalf("round %d: backend call %d of %d not cancelled within %v", round, i+1, clients, detectionBound)
			}
		}
		waitOpenStreams(t, gw)
		detected := time.Since(start)
		closeStalled()
		n, _ := settle(t, transport, baseline+slack)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapInuse)
		t.Logf("round %d: %d streams ended in %v; goroutines %d (baseline %d), heap in use %.1f MiB, live %.1f MiB",
			round, clients, detected.Round(time.Millisecond), n, baseline, float64(ms.HeapInuse)/(1<<20), float64(ms.HeapAlloc)/(1<<20))
		if n > baseline+slack {
			t.Fatalf("round %d: %d goroutines, want at most %d (baseline %d)", round, n, baseline+slack, baseline)
		}
	}
	if grew := int64(heap[len(heap)-1]) - int64(heap[0]); grew > 4<<20 {
		t.Errorf("heap in use grew by %.1f MiB from the first round to the last", float64(grew)/(1<<20))
	}
	got := waitMetric(t, reg, `ssegw_slow_consumer_disconnects_total{method="GET",route="/v1/symbols/{symbol}/ticks"}`, clients*rounds)
	if open := got[`ssegw_streams_open{method="GET",route="/v1/symbols/{symbol}/ticks"}`]; open != 0 {
		t.Errorf("ssegw_streams_open %v, want 0", open)
	}
	if n := rec.count(); n != clients*rounds {
		t.Errorf("the backend saw %d calls, want %d", n, clients*rounds)
	}
}

// stallingClient requests path over a raw connection with the smallest
// receive buffer (see smallWindowDialer), reads the response up to its first event, and then
// reads no more.
func stallingClient(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	c, err := smallWindowDialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			c.Close()
			t.Fatalf("reading the stream up to its first event: %v", err)
		}
		if strings.HasPrefix(line, "data:") {
			return c
		}
	}
}
