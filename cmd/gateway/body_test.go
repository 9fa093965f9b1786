package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStalledBodiesNeitherTakeStreamsNorHoldTheDrain: five clients send
// the headers of a POST to a --max-streams 5 gateway and one byte of a
// ten-byte body, and then nothing. Other clients still get streams, the
// metrics show five bodies being read, and each stalled client is
// answered 408 once --body-read-timeout has passed; or, when the gateway
// is stopped first, 503, without holding its drain open.
func TestStalledBodiesNeitherTakeStreamsNorHoldTheDrain(t *testing.T) {
	const stalled = 5
	backend, _ := startBackend(t)
	args := func(bodyTimeout string) []string {
		return []string{"--backend", backend, "--listen", "127.0.0.1:0", "--backend-name", "demo",
			"--max-streams", fmt.Sprint(stalled), "--body-read-timeout", bodyTimeout, "--drain-timeout", "20s"}
	}
	stall := func(t *testing.T, inst *instance) []net.Conn {
		t.Helper()
		addr := strings.TrimPrefix(inst.base, "http://")
		var conns []net.Conn
		for range stalled {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			fmt.Fprintf(c, "POST /v1/streams/s/events:watch HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{", addr)
			conns = append(conns, c)
		}
		eventually(t, 5*time.Second, "five bodies being read", func() bool {
			return scrapeText(t, inst.base+"/metrics")[`ssegw_request_bodies_reading{backend="demo"}`] == stalled
		})
		return conns
	}
	answer := func(t *testing.T, c net.Conn, within time.Duration) int {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(within))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer to a stalled body: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("timeout", func(t *testing.T) {
		const timeout = time.Second
		inst := startGateway(t, nil, args(timeout.String())...)
		start := time.Now()
		conns := stall(t, inst)
		if _, events := readStream(t, http.DefaultClient, inst.base+"/v1/streams/free/events?last_seq=1&interval=0.001s"); len(events) != 2 {
			t.Errorf("a stream beside the stalled bodies: %d events, want 1 and end", len(events))
		}
		for i, c := range conns {
			if got := answer(t, c, timeout+5*time.Second); got != http.StatusRequestTimeout {
				t.Errorf("stalled body %d: status %d, want 408", i, got)
			}
		}
		if took := time.Since(start); took < timeout {
			t.Errorf("answered after %v, before the body read timeout", took)
		}
	})

	t.Run("drain", func(t *testing.T) {
		inst := startGateway(t, nil, args("1m")...)
		conns := stall(t, inst)
		start := time.Now()
		inst.stop()
		select {
		case err := <-inst.done:
			inst.done <- err // for the cleanup's check
		case <-time.After(10 * time.Second):
			t.Fatal("the drain waited for the stalled bodies")
		}
		t.Logf("drained in %v", time.Since(start).Round(time.Millisecond))
		for i, c := range conns {
			if got := answer(t, c, 5*time.Second); got != http.StatusServiceUnavailable {
				t.Errorf("stalled body %d: status %d, want 503", i, got)
			}
		}
	})
}
