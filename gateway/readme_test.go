package gateway_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// readmeExample returns the output that README.md shows for the command
// line cmd, up to the next command or the end of the block.
func readmeExample(t *testing.T, cmd string) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "$ "+cmd+"\n")
	if !ok {
		t.Fatalf("README.md has no example of %s", cmd)
	}
	end := len(rest)
	for _, marker := range []string{"\n$ ", "\n```"} {
		if i := strings.Index(rest, marker); i >= 0 && i < end {
			end = i + 1
		}
	}
	return strings.TrimRight(rest[:end], "\n")
}

// TestREADMEExamplesAreExact runs the README's examples that do not
// depend on the time against the demo backend and checks that the
// gateway's output is exactly what the README shows: event data and error
// bodies are compact and stable.
func TestREADMEExamplesAreExact(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn)
	const host = "http://localhost:8080"
	for _, tc := range []struct {
		cmd    string
		url    string
		header http.Header
	}{
		{
			cmd:    `curl -N -H 'Last-Event-ID: 7' 'http://localhost:8080/v1/streams/demo/events?interval=0.2s&last_seq=9'`,
			url:    "/v1/streams/demo/events?interval=0.2s&last_seq=9",
			header: http.Header{"Last-Event-Id": {"7"}},
		},
		{
			cmd: `curl -N 'http://localhost:8080/examples.demo.v1.DemoService/Fail?code=5&message=gone&after=1&reason=DEMO'`,
			url: "/examples.demo.v1.DemoService/Fail?code=5&message=gone&after=1&reason=DEMO",
		},
	} {
		want := readmeExample(t, tc.cmd)
		resp, _ := do(t, "GET", base+tc.url, tc.header, "")
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimRight(string(body), "\n"); got != want {
			t.Errorf("%s:\ngot\n%s\nREADME.md shows\n%s", strings.ReplaceAll(tc.cmd, host, base), got, want)
		}
	}

	// The failure before the stream starts, with curl -i: the status
	// line, the headers but the date, and the body.
	want := readmeExample(t, `curl -i 'http://localhost:8080/examples.demo.v1.DemoService/Fail?code=7&message=denied'`)
	resp, _ := do(t, "GET", base+"/examples.demo.v1.DemoService/Fail?code=7&message=denied", nil, "")
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	head, wantBody, _ := strings.Cut(want, "\n\n")
	lines := strings.Split(head, "\n")
	if lines[0] != resp.Proto+" "+resp.Status {
		t.Errorf("status line %q, README.md shows %q", resp.Proto+" "+resp.Status, lines[0])
	}
	for _, line := range lines[1:] {
		name, value, _ := strings.Cut(line, ": ")
		if name != "Date" && resp.Header.Get(name) != value {
			t.Errorf("header %s: %q, README.md shows %q", name, resp.Header.Get(name), value)
		}
	}
	if len(lines)-1 != len(resp.Header) {
		t.Errorf("headers %v, README.md shows %q", resp.Header, lines[1:])
	}
	if string(body) != wantBody {
		t.Errorf("body %s, README.md shows %s", body, wantBody)
	}
}

// TestTerminalEventsAreCompact checks the exact data of the end and error
// events with trailers.
func TestTerminalEventsAreCompact(t *testing.T) {
	fail := make(chan bool, 2)
	fail <- false
	fail <- true
	conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
		if err := ss.SendHeader(nil); err != nil { // the stream starts
			return err
		}
		ss.SetTrailer(metadata.Pairs("x-trailer", "a <b>", "x-trailer", "c"))
		if <-fail {
			return status.Error(codes.NotFound, "no such <thing>")
		}
		return nil
	})
	base := startGateway(t, conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto),
		gateway.WithOutgoingMetadata("x-trailer"))
	for _, want := range []string{
		`{"trailers":{"x-trailer":["a <b>","c"]}}`,
		`{"code":5,"message":"no such <thing>","details":[],"trailers":{"x-trailer":["a <b>","c"]}}`,
	} {
		s := open(t, "GET", base+"/v1/symbols/X/ticks", nil, "")
		events := s.rest(t)
		if len(events) != 1 || string(events[0].Data) != want {
			t.Errorf("events %q, want one with data %s", events, want)
		}
	}
}
