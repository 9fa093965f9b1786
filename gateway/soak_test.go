package gateway_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sse"
)

var soakCycles = flag.Int("soak", 1000, "connect/disconnect cycles of TestLeakSoak (the long run uses 10000)")

// TestLeakSoak opens and closes many streams, a mix of clean ends, client
// cancels and backend errors, and checks that goroutines return to their
// baseline and the heap stays flat.
func TestLeakSoak(t *testing.T) {
	// A backend without a recorder, which would keep every call.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := demo.NewServer()
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	base := startGateway(t, dial(t, lis.Addr().String()))
	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: transport}
	defer transport.CloseIdleConnections()

	cycle := func(i int) error {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var url, wantLast string
		switch i % 3 {
		case 0: // clean end
			url, wantLast = base+"/v1/streams/soak/events?last_seq=2&interval=0.001s", "end"
		case 1: // the client leaves mid-stream
			url = base + "/v1/symbols/SOAK/ticks?interval=0.001s"
		case 2: // the backend fails mid-stream
			url, wantLast = base+"/examples.demo.v1.DemoService/Fail?code=14&after=1", "error"
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		events := sse.NewReader(resp.Body)
		for range 10 {
			ev, err := events.Next()
			if err != nil {
				return fmt.Errorf("cycle %d: %w", i, err)
			}
			if wantLast == "" {
				cancel() // one tick is enough: leave
				_, _ = io.Copy(io.Discard, resp.Body)
				return nil
			}
			if ev.Event == wantLast {
				return nil
			}
		}
		return fmt.Errorf("cycle %d: no %s event", i, wantLast)
	}
	run := func(n int) {
		var wg sync.WaitGroup
		next := make(chan int)
		for range 8 {
			wg.Go(func() {
				for i := range next {
					if err := cycle(i); err != nil {
						t.Error(err)
					}
				}
			})
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
	}

	run(60) // warm up pools and connections
	goroutines, heap := settle(t, transport, 0)
	start := time.Now()
	run(*soakCycles)
	afterGoroutines, afterHeap := settle(t, transport, goroutines)
	t.Logf("%d cycles in %v: goroutines %d -> %d, live heap %.1f -> %.1f MiB",
		*soakCycles, time.Since(start).Round(time.Millisecond), goroutines, afterGoroutines,
		float64(heap)/(1<<20), float64(afterHeap)/(1<<20))
	if afterGoroutines > goroutines {
		t.Errorf("goroutines grew from %d to %d", goroutines, afterGoroutines)
	}
	if grew := int64(afterHeap) - int64(heap); grew > 2<<20 {
		t.Errorf("live heap grew by %.1f MiB", float64(grew)/(1<<20))
	}
}

// settle closes idle client connections and waits (boundedly) for the
// goroutine count to come down to at most target (any count when target is
// 0), then returns it and the live heap after a GC.
func settle(t *testing.T, transport *http.Transport, target int) (int, uint64) {
	t.Helper()
	n := 0
	for range 200 {
		transport.CloseIdleConnections()
		runtime.GC()
		runtime.GC() // the second empties the pools' victim caches
		n = runtime.NumGoroutine()
		if target == 0 || n <= target {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return n, ms.HeapAlloc
}
