package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"

	"github.com/ssegw/ssegw/sse"
)

// TestMain runs the command itself when a test starts this binary as a
// child process with runMainEnv set.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	if os.Getenv(runBackendEnv) == "1" {
		serveChildBackend()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m,
		// Connections kept alive by http.DefaultClient between tests.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

const runMainEnv = "SSEGW_TEST_RUN_MAIN"

// startCommand runs the gateway binary with args and returns the base URL it
// prints.
func startCommand(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("the gateway printed nothing; stderr: %s", stderr.String())
	}
	base, ok := strings.CutPrefix(lines.Text(), "ssegw listening on ")
	if !ok {
		t.Fatalf("first line %q", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return cmd, base, &stderr
}

func TestDemoServesEventsAndExitsCleanlyOnSIGTERM(t *testing.T) {
	cmd, base, stderr := startCommand(t, "--demo", "--listen", "127.0.0.1:0")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/symbols/ACME/ticks?interval=0.1s", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ev, err := sse.NewReader(resp.Body).Next()
	if err != nil || ev.Event != "tick" {
		t.Fatalf("first event %+v (%v), want a tick within 2s", ev, err)
	}

	page, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(body), "EventSource") || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("demo page: %s %q", page.Header.Get("Content-Type"), body[:min(len(body), 100)])
	}

	// The open stream must not hold up the exit.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not exit after SIGTERM")
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--backend is required"},
		{[]string{"--demo", "--backend", "x:1"}, "exclude each other"},
		{[]string{"--demo", "--log-format", "xml"}, "--log-format"},
		{[]string{"--demo", "extra"}, "unexpected argument"},
		{[]string{"--nope"}, "flag provided but not defined"},
	} {
		err := run(t.Context(), tc.args, io.Discard, io.Discard)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q): %v, want a usage error mentioning %q", tc.args, err, tc.want)
		}
		if exitCode(err) != 2 {
			t.Errorf("run(%q): exit code %d, want 2", tc.args, exitCode(err))
		}
	}
}

func TestUnreachableBackendFailsClearly(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// A port where no gRPC server listens: discovery cannot succeed.
	err := run(ctx, []string{"--backend", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--discovery-timeout", "300ms"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not reachable") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("run: %v, want an error saying the backend is not reachable", err)
	}
}

func TestBackendWithoutReflectionFailsClearly(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// A gRPC server without reflection.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	// A long discovery timeout: an answer without reflection fails at once.
	err = run(ctx, []string{"--backend", lis.Addr().String(), "--listen", "127.0.0.1:0", "--discovery-timeout", "10m"}, io.Discard, io.Discard)
	if ctx.Err() != nil {
		t.Fatalf("run waited for the discovery timeout: %v", err)
	}
	if err == nil {
		t.Fatal("run: no error")
	}
	for _, want := range []string{lis.Addr().String(), "does not offer gRPC server reflection", "--descriptor-set", "--proto"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("run: %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("run: %q is not one line", err)
	}
}
