package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStreamsClosedAtTheDrainTimeoutAreLogged: streams whose clients do
// not read cannot take the drain's retry hint, so they outlive the drain
// timeout and their connections are closed. Their access log lines must
// still be written before the process exits.
func TestStreamsClosedAtTheDrainTimeoutAreLogged(t *testing.T) {
	const clients = 5
	backend, _ := startBackend(t)
	cmd, base, stderr := startCommand(t, "--backend", backend, "--listen", "127.0.0.1:0", "--log-format", "json",
		"--drain-timeout", "500ms", "--write-timeout", "1m")
	for range clients {
		c := stallingClient(t, base, "/v1/symbols/"+strings.Repeat("S", 4<<10)+"/ticks?interval=0.001s")
		defer c.Close()
	}
	// The streams fill the socket buffers: wait until their writes wait,
	// the bytes sent standing still for a while.
	var sent float64
	since := time.Now()
	eventually(t, 30*time.Second, "the stream's writes waiting", func() bool {
		families := scrapeText(t, base+"/metrics")
		now := families[`ssegw_sent_bytes_total{backend="default",method="GET",route="/v1/symbols/{symbol}/ticks"}`]
		if now != sent {
			sent, since = now, time.Now()
		}
		return sent > 0 && time.Since(since) > 300*time.Millisecond
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr:\n%s", err, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the gateway did not exit after SIGTERM")
	}
	var streams []map[string]any
	for line := range strings.SplitSeq(stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "stream" {
			streams = append(streams, rec)
		}
	}
	if len(streams) != clients {
		t.Fatalf("%d access log lines, want one for each of the %d streams; stderr:\n%s", len(streams), clients, stderr)
	}
	for _, s := range streams {
		if s["route"] != "/v1/symbols/{symbol}/ticks" || s["reason"] != "drain" {
			t.Errorf("access log line %v, want the stream's, ended by the drain", s)
		}
	}
}
