//go:build unix

package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/sse"
)

// TestStalledHTTP2StreamDoesNotStallItsConnection: an HTTP/2 client (here
// cleartext, h2c) keeps several streams on one connection, and stops
// reading one of them, A, while it goes on reading another, B: a browser
// tab whose EventSource stalls beside a healthy one, or a proxy that
// multiplexes many clients over one connection and has one slow client.
// A's flow-control window fills and the gateway's writes to A block. The
// write deadline (WithWriteTimeout) must end A alone as a slow consumer
// and cancel its backend call, while B receives every event, with no gap
// and no pause as long as the deadline, before, during and after A is cut;
// the connection must stay the one it was and go on serving new streams;
// and once the streams are closed, the goroutines they used must be gone.
func TestStalledHTTP2StreamDoesNotStallItsConnection(t *testing.T) {
	// Longer than faultWriteTimeout, so that a pause of B as long as A's
	// deadline stands well clear of the scheduling hiccups of a loaded
	// machine under the race detector (a few hundred ms at worst).
	const writeTimeout = time.Second
	conn, rec := startBackend(t)
	reg := prometheus.NewRegistry()
	gw := newGateway(t, conn, gateway.WithMetrics(reg), gateway.WithWriteTimeout(writeTimeout))
	// The gateway is built (its backend connection open); what the test
	// starts from here on must be gone at its end, once the servers and
	// clients it starts later (such as waitMetric's) are closed.
	baseline := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if !t.Failed() {
			goleak.VerifyNone(t, baseline)
		}
	})

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted, closed atomic.Int32
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:   gw,
		Protocols: &protocols,
		ConnState: func(_ net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				accepted.Add(1)
			case http.StateClosed, http.StateHijacked:
				closed.Add(1)
			}
		},
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	shutdown := func() {
		_ = srv.Close()
		<-served
	}
	t.Cleanup(shutdown) // on failure; Close is idempotent and served stays closed

	// HTTP/2 with prior knowledge only: no HTTP/1.1 fallback, no second
	// connection that could hide a broken first one.
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	transport := &http.Transport{Protocols: &h2c}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	get := func(ctx context.Context, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+lis.Addr().String()+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			t.Fatalf("GET %.60s: %s %s, want HTTP/2 200", path, resp.Proto, resp.Status)
		}
		return resp
	}

	// B: the demo's numbered sequence, one small event a millisecond, read
	// all along on its own goroutine.
	ctxB, cancelB := context.WithCancel(ctx)
	defer cancelB()
	respB := get(ctxB, "/v1/streams/h2b/events?interval=0.001s")
	defer respB.Body.Close()
	callB := rec.next(t)
	b := &seqReader{events: sse.NewReader(respB.Body), last: time.Now()}
	readingB := make(chan struct{})
	go func() {
		defer close(readingB)
		b.run()
	}()
	b.waitFor(t, 20)

	// A: ticks with a 32 KiB symbol every millisecond, enough to fill
	// A's 4 MiB window (the transport's default) in a fraction of a second.
	ctxA, cancelA := context.WithCancel(ctx)
	defer cancelA()
	respA := get(ctxA, "/v1/symbols/"+strings.Repeat("S", 32<<10)+"/ticks?interval=0.001s")
	defer respA.Body.Close()
	callA := rec.next(t)
	eventsA := sse.NewReader(respA.Body)
	for range 3 {
		if _, err := eventsA.Next(); err != nil {
			t.Fatalf("stream A: %v", err)
		}
	}
	// From here on nothing reads A; its body stays open, its request is
	// not cancelled.
	stalled := time.Now()
	beforeCut := b.count()

	select {
	case <-callA.ended:
	case <-callB.ended:
		t.Fatal("stream B's backend call was cancelled while A stalled")
	case <-time.After(detectionBound):
		t.Fatalf("stream A's backend call was not cancelled %v after its client stopped reading", detectionBound)
	}
	cut := time.Now()
	atCut := b.count()

	// B goes on: a few hundred more events, all in sequence.
	const after = 300
	b.waitFor(t, atCut+after)
	select {
	case <-callB.ended:
		t.Fatal("stream B's backend call was cancelled")
	default:
	}
	if got := gw.OpenStreams(); got != 1 {
		t.Errorf("OpenStreams %d after A was cut, want 1 (B)", got)
	}
	metrics := waitMetric(t, reg, `ssegw_slow_consumer_disconnects_total{method="GET",route="/v1/symbols/{symbol}/ticks"}`, 1)
	if n := metrics[`ssegw_slow_consumer_disconnects_total{method="GET",route="/v1/{name=streams/*}/events"}`]; n != 0 {
		t.Errorf("%v slow consumers on B's route, want 0", n)
	}

	// The connection still takes new streams.
	respC := get(ctx, "/v1/streams/h2c/events?interval=0.001s&last_seq=3")
	evs, err := readAll(sse.NewReader(respC.Body), 10)
	respC.Body.Close()
	if err != nil || len(evs) != 4 || evs[3].Event != "end" {
		t.Errorf("stream C after A was cut: %d events (%v), want 3 and end", len(evs), err)
	}

	if n := accepted.Load(); n != 1 {
		t.Errorf("the server accepted %d connections, want 1", n)
	}
	if n := closed.Load(); n != 0 {
		t.Errorf("%d connections closed while the streams were open, want 0", n)
	}

	// What A's client sees: the events buffered before the stall, then
	// the reset of its stream, not a clean end.
	restA, errA := readAll(eventsA, 1<<20)
	if errA == nil || errors.Is(errA, io.EOF) {
		t.Errorf("stream A ended with %v after %d more events, want its reset", errA, len(restA))
	}

	cancelB()
	<-readingB
	n, maxGap, errB := b.result()
	if errB != nil && !errors.Is(errB, context.Canceled) {
		t.Errorf("stream B: %v", errB)
	}
	t.Logf("A cut %v after it stalled; B: %d events while A stalled, %d in all, longest gap %v; A: %d more events, then %v",
		cut.Sub(stalled).Round(time.Millisecond), atCut-beforeCut, n, maxGap.Round(time.Millisecond), len(restA), errA)
	if atCut-beforeCut < 10 {
		t.Errorf("B received %d events while A stalled, want it to go on", atCut-beforeCut)
	}
	// Were B's writes held up behind A's (not on the wire, where B's own
	// deadline would cut it, but inside the gateway), B would pause until
	// A's deadline reset A.
	if maxGap >= writeTimeout*3/4 {
		t.Errorf("B paused for %v, with a write deadline of %v", maxGap, writeTimeout)
	}

	select {
	case <-callB.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("stream B's backend call was not cancelled when its client left")
	}
	waitOpenStreams(t, gw)
}

// seqReader reads a stream whose event ids count up from 1, checking that
// none is skipped or repeated, and measures the longest wait between two
// events.
type seqReader struct {
	events *sse.Reader

	mu     sync.Mutex
	n      int
	last   time.Time // of the last event, or when reading began
	maxGap time.Duration
	err    error
	more   chan struct{} // closed and replaced at each event
}

func (r *seqReader) run() {
	for {
		ev, err := r.events.Next()
		now := time.Now()
		r.mu.Lock()
		switch {
		case err != nil:
			r.err = err
		case ev.ID != strconv.Itoa(r.n+1):
			r.err = errors.New("event id " + ev.ID + " after " + strconv.Itoa(r.n))
		default:
			if r.n > 0 {
				r.maxGap = max(r.maxGap, now.Sub(r.last))
			}
			r.last = now
			r.n++
		}
		if r.more != nil {
			close(r.more)
			r.more = nil
		}
		stop := r.err != nil
		r.mu.Unlock()
		if stop {
			return
		}
	}
}

func (r *seqReader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *seqReader) result() (int, time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n, r.maxGap, r.err
}

// waitFor waits until n events were read, failing on the stream's error
// or after a few seconds.
func (r *seqReader) waitFor(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		got, err, quiet := r.n, r.err, time.Since(r.last)
		if r.more == nil {
			r.more = make(chan struct{})
		}
		more := r.more
		r.mu.Unlock()
		switch {
		case got >= n:
			return
		case err != nil:
			t.Fatalf("stream B after %d events, the last %v ago: %v", got, quiet.Round(time.Millisecond), err)
		}
		select {
		case <-more:
		case <-timeout:
			t.Fatalf("stream B: %d events, the last %v ago; want %d", got, quiet.Round(time.Millisecond), n)
		}
	}
}

// readAll reads at most limit events until the stream ends, and returns
// them with the error that ended it (nil for a clean end).
func readAll(events *sse.Reader, limit int) ([]sse.Event, error) {
	var out []sse.Event
	for range limit {
		ev, err := events.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, errors.New("too many events")
}

// TestQuietHTTP2StreamOutlivesTheWriteTimeout: over HTTP/2 a write
// deadline that passes resets the stream even when nothing is being
// written, so the gateway must not leave one set between writes. A
// healthy stream that is quiet for longer than the write timeout (events
// every 500 ms, heartbeats every second, a 300 ms write timeout) must run
// to its end.
func TestQuietHTTP2StreamOutlivesTheWriteTimeout(t *testing.T) {
	conn, _ := startBackend(t)
	logs := &logBuffer{}
	gw := newGateway(t, conn,
		gateway.WithWriteTimeout(300*time.Millisecond),
		gateway.WithHeartbeat(time.Second),
		gateway.WithAccessLog(slog.New(slog.NewJSONHandler(logs, nil))),
	)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: gw, Protocols: &protocols}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	transport := &http.Transport{Protocols: &protocols}
	t.Cleanup(transport.CloseIdleConnections)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+lis.Addr().String()+"/v1/streams/quiet/events?interval=0.5s&last_seq=3", nil)
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("%s, want HTTP/2", resp.Proto)
	}
	events, err := readAll(sse.NewReader(resp.Body), 10)
	var ids []string
	for _, ev := range events {
		if ev.Event != "" {
			ids = append(ids, ev.Event)
		} else {
			ids = append(ids, ev.ID)
		}
	}
	if err != nil || strings.Join(ids, ",") != "1,2,3,end" {
		t.Fatalf("events %v, error %v; want 1,2,3,end", ids, err)
	}
	// The access line is written when the handler returns, just after the
	// last event.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if lines := logs.lines(t, "stream"); len(lines) == 1 {
			if lines[0]["reason"] != "end" {
				t.Fatalf("access line %v, want reason end", lines[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access line: %q", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
