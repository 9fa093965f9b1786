package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ssegw/ssegw/sseclient"
)

// TestSIGTERMDrainsStreamsToTheOtherInstance runs two gateway processes in
// front of one backend, opens 100 resumable streams on the first, and
// sends it SIGTERM: every client must be told to reconnect, the process
// must exit 0 within its drain timeout, and every client must go on with
// the second instance without losing or repeating an event.
func TestSIGTERMDrainsStreamsToTheOtherInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two gateway processes and 100 streams")
	}
	backend, _ := startBackend(t)
	const drainTimeout = 10 * time.Second
	args := []string{"--backend", backend, "--listen", "127.0.0.1:0", "--drain-timeout", drainTimeout.String(),
		"--drain-retry", "200ms", "--log-level", "warn", "--access-log=false"}
	first, baseA, stderrA := startCommand(t, args...)
	_, baseB, _ := startCommand(t, args...)
	addrA, addrB := strings.TrimPrefix(baseA, "http://"), strings.TrimPrefix(baseB, "http://")

	// The clients' "load balancer": the first instance while it accepts
	// connections, the second once it does not.
	var toB atomic.Int64
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			if c, err := d.DialContext(ctx, network, addrA); err == nil {
				return c, nil
			}
			c, err := d.DialContext(ctx, network, addrB)
			if err == nil {
				toB.Add(1)
			}
			return c, err
		},
		MaxIdleConnsPerHost: 200,
	}
	defer transport.CloseIdleConnections()
	client, err := sseclient.New("http://gateway.test",
		sseclient.WithHTTPClient(&http.Client{Transport: transport}),
		sseclient.WithMaxReconnectionAttempts(20),
		sseclient.WithReconnectionTime(100*time.Millisecond),
		sseclient.WithMaxReconnectionDelay(time.Second),
		sseclient.WithRetryEvents())
	if err != nil {
		t.Fatal(err)
	}

	const streams, last = 100, 60
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	type result struct {
		seqs    []int64
		retries []time.Duration
		resumed []string // Last-Event-ID of each reconnection
		err     error
	}
	results := make([]result, streams)
	started := make(chan struct{}, streams)
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			res := &results[i]
			s, err := client.Open(ctx, fmt.Sprintf("/v1/streams/drain-%d/events?interval=0.05s&last_seq=%d", i, last),
				sseclient.WithHooks(sseclient.Hooks{OnConnect: func(_, lastEventID string, _ int) {
					if lastEventID != "" {
						res.resumed = append(res.resumed, lastEventID)
					}
				}}))
			if err != nil {
				res.err = err
				started <- struct{}{}
				return
			}
			defer s.Close()
			for range 10_000 {
				ev, err := s.Next()
				if err == io.EOF {
					return
				}
				if err != nil {
					res.err = err
					return
				}
				switch {
				case ev.Data == nil && ev.Retry > 0:
					res.retries = append(res.retries, ev.Retry)
				case ev.Event == "":
					var msg struct {
						Seq int64 `json:",string"`
					}
					if err := json.Unmarshal(ev.Data, &msg); err != nil {
						res.err = fmt.Errorf("event %s: %w", ev.Data, err)
						return
					}
					res.seqs = append(res.seqs, msg.Seq)
					if len(res.seqs) == 3 {
						started <- struct{}{}
					}
				}
			}
		})
	}
	for range streams {
		select {
		case <-started:
		case <-ctx.Done():
			t.Fatal("the streams did not start")
		}
	}
	if n := toB.Load(); n != 0 {
		t.Fatalf("%d connections went to the second instance before the drain", n)
	}

	begin := time.Now()
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("first instance: %v, want exit status 0; stderr:\n%s", err, stderrA)
		}
		if took := time.Since(begin); took >= drainTimeout {
			t.Errorf("exited after %v, not within the drain timeout %v", took, drainTimeout)
		}
	case <-time.After(drainTimeout + 5*time.Second):
		t.Fatal("the first instance did not exit")
	}
	wg.Wait()

	for i, res := range results {
		if res.err != nil {
			t.Errorf("stream %d: %v", i, res.err)
			continue
		}
		told := false
		for _, r := range res.retries {
			if r >= 100*time.Millisecond && r < 300*time.Millisecond {
				told = true
			}
		}
		if !told {
			t.Errorf("stream %d: retry hints %v, none from the drain (100ms to 300ms)", i, res.retries)
		}
		if len(res.resumed) == 0 {
			t.Errorf("stream %d never reconnected with a Last-Event-ID", i)
		}
		if len(res.seqs) != last {
			t.Errorf("stream %d: %d events, want %d: %v", i, len(res.seqs), last, res.seqs)
			continue
		}
		for j, seq := range res.seqs {
			if seq != int64(j+1) {
				t.Errorf("stream %d: events %v, want 1 to %d each once", i, res.seqs, last)
				break
			}
		}
	}
	if n := toB.Load(); n < streams/2 {
		t.Errorf("only %d connections to the second instance", n)
	}
}
