//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sse"
)

// runBackendEnv makes the test binary serve the demo backend (see
// startChildBackend).
const runBackendEnv = "SSEGW_TEST_RUN_BACKEND"

// serveChildBackend serves the demo backend on a loopback port, prints its
// address and serves until the process is killed. It accepts keepalive
// pings every second: an operator who lowers the gateway's keepalive time
// below a stock server's 5 minutes must allow that in the server too.
func serveChildBackend() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := demo.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second}))
	fmt.Println(lis.Addr())
	_ = srv.Serve(lis)
}

// startChildBackend runs the demo backend in a child process, which a test
// can stop with SIGSTOP as a frozen process, and returns it and its address.
func startChildBackend(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runBackendEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the backend printed no address: %v", err)
	}
	return cmd, addr[:len(addr)-1]
}

// keepaliveArgs make the gateway ping its backend after 10 seconds without
// reading from it (gRPC's minimum) and give up after one more.
var keepaliveArgs = []string{"--backend-keepalive-time", "10s", "--backend-keepalive-timeout", "1s"}

// frozenBound is how long a frozen backend may go unnoticed: the keepalive
// time and timeout, and time for the streams to end.
const frozenBound = 10*time.Second + time.Second + 5*time.Second

// TestFrozenBackendEndsStreams: the backend process is stopped (SIGSTOP):
// its connection stays open but nothing answers, not even keepalive pings.
// The gateway's keepalive must notice within its bounds: a resumable stream
// ends without a terminal event (its client resumes elsewhere), one that is
// not resumable ends with an UNAVAILABLE error event, and a new request is
// refused with 503 instead of getting 200 and heartbeats for as long as it
// waits.
func TestFrozenBackendEndsStreams(t *testing.T) {
	backend, addr := startChildBackend(t)
	args := append([]string{"--backend", addr, "--listen", "127.0.0.1:0", "--heartbeat", "200ms", "--log-level", "error"}, keepaliveArgs...)
	gw := startGateway(t, nil, args...)

	ctx, cancel := context.WithTimeout(t.Context(), frozenBound+20*time.Second)
	defer cancel()
	openStream := func(path string) *sse.Reader {
		req, _ := http.NewRequestWithContext(ctx, "GET", gw.base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		r := sse.NewReader(resp.Body)
		for range 2 { // the stream flows
			if _, err := r.Next(); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return r
	}
	resumable := openStream("/v1/streams/frozen/events?interval=0.02s&last_seq=1000000")
	final := openStream("/v1/symbols/ACME/ticks?interval=0.02s")

	if err := backend.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	type ending struct {
		last sse.Event // the last event before the end
		err  error
		took time.Duration
	}
	ends := make(chan ending, 2)
	for _, r := range []*sse.Reader{resumable, final} {
		go func() {
			var last sse.Event
			for {
				ev, err := r.Next()
				if err != nil {
					ends <- ending{last, err, time.Since(frozen)}
					return
				}
				last = ev
			}
		}()
	}
	got := map[bool]ending{} // by whether the stream ended with an error event
	for range 2 {
		select {
		case e := <-ends:
			if e.err != io.EOF {
				t.Errorf("a stream failed with %v, want its end", e.err)
			}
			if e.took > frozenBound {
				t.Errorf("a stream ended %v after the backend froze, want within %v", e.took, frozenBound)
			}
			got[e.last.Event == "error"] = e
		case <-time.After(frozenBound + 10*time.Second):
			t.Fatalf("the streams did not end within %v of the backend freezing", frozenBound+10*time.Second)
		}
	}
	if e, ok := got[false]; !ok || e.last.Event != "" || e.last.ID == "" {
		t.Errorf("the resumable stream's last event %+v, want a message with an id and no terminal event", e.last)
	}
	if e, ok := got[true]; !ok {
		t.Error("the stream without ids ended without an error event")
	} else {
		var st struct{ Code int }
		if err := json.Unmarshal(e.last.Data, &st); err != nil || st.Code != 14 {
			t.Errorf("error event %s, want UNAVAILABLE (14)", e.last.Data)
		}
		t.Logf("streams ended %v after the backend froze", e.took.Round(10*time.Millisecond))
	}

	// A new request is refused fast: the connection to the frozen
	// backend is gone, and a new one gets no answer to its handshake.
	start := time.Now()
	code, body := get(t, http.DefaultClient, gw.base+"/v1/streams/new/events")
	if code != http.StatusServiceUnavailable {
		t.Errorf("new request while the backend is frozen: %d %s, want 503", code, body)
	}
	if took := time.Since(start); took > 7*time.Second {
		t.Errorf("new request answered after %v, want within the connect timeout (5s)", took)
	}
}
