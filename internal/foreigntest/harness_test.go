package foreigntest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// build compiles the main packages pkgs, of this module or of modules it
// requires, concurrently, and returns the binaries by package.
func build(t *testing.T, pkgs ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	bins := map[string]string{}
	errs := make([]error, len(pkgs))
	var wg sync.WaitGroup
	for i, pkg := range pkgs {
		out := filepath.Join(dir, strconv.Itoa(i)+"-"+filepath.Base(pkg))
		bins[pkg] = out
		wg.Go(func() {
			if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return bins
}

// moduleDir returns the directory of a required module in the module
// cache.
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatalf("module %s is not in the module cache", module)
	}
	return dir
}

// output collects what a process writes, safe for concurrent use.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// process is a running child process.
type process struct {
	cmd    *exec.Cmd
	stderr *output
	done   chan struct{} // closed when it has exited
	err    error         // its exit, once done is closed
}

func start(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, stderr: &output{}, done: make(chan struct{})}
	if cmd.Stderr == nil {
		cmd.Stderr = p.stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// startServer runs a gRPC server binary that listens on the port given
// with -port, and waits until localhost:port accepts connections. A port
// taken between choosing it and the server's listen is chosen again.
func startServer(t *testing.T, bin string, args ...string) (addr string) {
	t.Helper()
	for range 3 {
		port := freePort(t)
		p := start(t, exec.Command(bin, append(args, "-port", strconv.Itoa(port))...))
		addr = net.JoinHostPort("localhost", strconv.Itoa(port))
		switch err := waitListening(p, addr, 30*time.Second); {
		case err == nil:
			return addr
		case strings.Contains(p.stderr.String(), "address already in use"):
			continue
		default:
			t.Fatalf("%s: %v; stderr:\n%s", filepath.Base(bin), err, p.stderr)
		}
	}
	t.Fatalf("%s: no free port", filepath.Base(bin))
	return ""
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().(*net.TCPAddr).Port
}

// waitListening waits until addr accepts a connection, p exits, or the
// timeout passes.
func waitListening(p *process, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s within %v: %w", addr, timeout, err)
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v", p.err)
		case <-tick.C:
		}
	}
}

// gateway is the gateway command running as a process.
type gateway struct {
	*process
	base  string      // "http://127.0.0.1:port"
	lines chan string // what it printed after the address: the routes
}

// printed waits for a printed line that contains text.
func (g *gateway) printed(t *testing.T, text string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-g.lines:
			if !ok {
				t.Fatalf("the gateway printed no line with %q", text)
			}
			if strings.Contains(l, text) {
				return
			}
		case <-timeout:
			t.Fatalf("the gateway printed no line with %q", text)
		}
	}
}

// startGateway runs the gateway binary with args, listening on a free
// loopback port (set through the environment, so that args stay as an
// operator writes them), and waits until it serves. The test's end stops
// it with SIGTERM and checks that it exits cleanly.
func startGateway(t *testing.T, bin string, args ...string) *gateway {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SSEGW_LISTEN=127.0.0.1:0", "SSEGW_LOG_LEVEL=warn")
	// A pipe of our own rather than StdoutPipe, which Wait would close
	// under the reader.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	g := &gateway{process: start(t, cmd)}
	w.Close()
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		defer stdout.Close()
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			select {
			case lines <- s.Text():
			default:
			}
		}
	}()
	timeout := time.After(30 * time.Second)
	for g.base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				<-g.done
				t.Fatalf("the gateway exited before serving: %v; stderr:\n%s", g.err, g.stderr)
			}
			if base, found := strings.CutPrefix(l, "ssegw listening on "); found {
				g.base = base
			}
		case <-timeout:
			t.Fatalf("the gateway did not start; stderr:\n%s", g.stderr)
		}
	}
	g.lines = lines
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.done:
			if g.err != nil {
				t.Errorf("the gateway exited with %v; stderr:\n%s", g.err, g.stderr)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("the gateway did not exit after SIGTERM")
		}
	})
	return g
}

// get requests url and returns the status, and the events of an SSE
// response or the body of another.
func get(t *testing.T, url string) (int, []sse.Event, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, nil, string(body)
	}
	r := sse.NewReader(resp.Body)
	var events []sse.Event
	for range 10_000 {
		ev, err := r.Next()
		if err == io.EOF {
			return resp.StatusCode, events, ""
		}
		if err != nil {
			t.Fatalf("GET %s: reading events: %v", url, err)
		}
		events = append(events, ev)
	}
	t.Fatalf("GET %s: the stream did not end", url)
	return 0, nil, ""
}
