package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sseclient"
)

// The timing of every stream of the network fault matrix, and the
// timeouts of the parts. The bounds of the matrix come from these.
const (
	netEvents   = 60                     // events of each stream
	netInterval = 5 * time.Millisecond   // between events at the backend
	holeAt      = 20                     // the event after which a black hole opens
	heartbeat   = 250 * time.Millisecond // gateway heartbeat period
	readTimeout = 5 * time.Second        // client read timeout
	// keepaliveTime is the gateway's keepalive period on its backend
	// connection: the minimum grpc-go allows a client.
	keepaliveTime    = 10 * time.Second
	keepaliveTimeout = time.Second
	// slack is added to each bound for a loaded machine.
	slack = 10 * time.Second
)

// side is where a network fault is: between the client and the gateway,
// or between the gateway and the backend.
type side int

const (
	clientSide side = iota
	backendSide
)

func (s side) String() string {
	if s == clientSide {
		return "client–gateway"
	}
	return "gateway–backend"
}

// netFault is one row of the matrix.
type netFault struct {
	name string
	// toxics act on every connection through the link, from the start.
	toxics []toxic
	// blackHole: after event holeAt nothing passes through the link,
	// either way, until the peer's client has opened healAfter more
	// connections.
	blackHole bool
	healAfter int
	// breaks: the fault ends connections, so a stream that cannot be
	// resumed ends with a status, within bound (plus slack) of its last
	// event.
	breaks bool
	bound  time.Duration
	// acted fails the test when the fault did not act on the run.
	acted func(t *testing.T, r *netRun)
}

// netFaults returns the rows of the matrix for one side.
func netFaults(s side) []netFault {
	rate, cutAt, resetAt, healAfter, holeBound := int64(4), int64(700), int64(950), 2, readTimeout
	if s == backendSide {
		// gRPC messages are smaller than events; a new connection into
		// a black hole would wait for gRPC's connect timeout (20s).
		rate, cutAt, resetAt, healAfter, holeBound = 2, 600, 700, 1, keepaliveTime+keepaliveTimeout
	}
	return []netFault{
		{
			name:   "latency 40±20 ms each way",
			toxics: both("latency", map[string]int64{"latency": 40, "jitter": 20}),
			acted: func(t *testing.T, r *netRun) {
				if r.first < 40*time.Millisecond { // a request and a response, each delayed by at least 20 ms
					t.Errorf("first event after %v: the latency did not act", r.first)
				}
			},
		},
		{
			name:   fmt.Sprintf("bandwidth %d KB/s", rate),
			toxics: []toxic{down("bandwidth", map[string]int64{"rate": rate})},
			acted: func(t *testing.T, r *netRun) {
				if r.total < time.Second { // the stream is several times the bytes the rate lets through in a second
					t.Errorf("stream took %v: the bandwidth limit did not act", r.total)
				}
			},
		},
		{
			name:   "slices of 8±4 bytes",
			toxics: []toxic{down("slicer", map[string]int64{"average_size": 8, "size_variation": 4, "delay": 200})},
			acted: func(t *testing.T, r *netRun) {
				if r.reads < 2*r.delivered {
					t.Errorf("%d reads for %d events: the slicer did not act", r.reads, r.delivered)
				}
			},
		},
		{
			// reset_peer at toxicity 0 never fires itself; being on the
			// link when a connection opens makes toxiproxy close it
			// with SO_LINGER 0, so that the cut is a reset.
			name: fmt.Sprintf("reset (RST) after %d bytes", resetAt),
			toxics: []toxic{
				down("limit_data", map[string]int64{"bytes": resetAt}),
				{Type: "reset_peer", Stream: "downstream", Toxicity: 0, Attributes: map[string]int64{"timeout": 0}},
			},
			breaks: true,
			acted: func(t *testing.T, r *netRun) {
				if !errors.Is(r.connErr, syscall.ECONNRESET) {
					t.Errorf("connections through the link ended with %v, want a reset", r.connErr)
				}
			},
		},
		{
			name:   fmt.Sprintf("cut (FIN) after %d bytes", cutAt),
			toxics: []toxic{down("limit_data", map[string]int64{"bytes": cutAt})},
			breaks: true,
			acted: func(t *testing.T, r *netRun) {
				if !errors.Is(r.connErr, io.EOF) {
					t.Errorf("connections through the link ended with %v, want EOF", r.connErr)
				}
			},
		},
		{
			name:      "peer stops answering",
			blackHole: true,
			healAfter: healAfter,
			breaks:    true,
			bound:     holeBound,
			acted: func(t *testing.T, r *netRun) {
				if r.longestGap < holeBound/2 && r.toEnd < holeBound/2 {
					t.Errorf("longest silence %v, want about %v: the black hole did not act", max(r.longestGap, r.toEnd), holeBound)
				}
			},
		},
	}
}

// netCell is one cell of the matrix: a fault on one side, under a
// resumable stream (Sequence) or one that cannot be resumed (Ticks).
type netCell struct {
	side      side
	fault     netFault
	resumable bool
}

func (c netCell) stream() string {
	if c.resumable {
		return "resumable"
	}
	return "not resumable"
}

// netRun is what a cell measured.
type netRun struct {
	delivered, duplicates, missing int
	reconnections                  int   // of the client
	backendConns                   int   // opened through the gateway's link to the backend
	reads                          int   // that returned data, on the faulty link's connections
	connErr                        error // that ended a connection through the faulty link, if one did
	cutsInside                     int   // connections cut inside an event (client side) or a gRPC message (backend side)
	first, longestGap, total       time.Duration
	end                            error         // the stream's error; io.EOF after its end event
	toEnd                          time.Duration // from the last event to the end
}

// TestNetworkFaults puts toxiproxy between the client and the gateway and
// between the gateway and the backend, and runs each fault under a
// resumable stream and one that cannot be resumed: the first must deliver
// every event exactly once, in order, through the client's reconnections;
// the second must end, by its end event or with a clear status within a
// bound, never hang. The figures of each cell are logged as a table.
func TestNetworkFaults(t *testing.T) {
	var cells []netCell
	for _, s := range []side{clientSide, backendSide} {
		for _, f := range netFaults(s) {
			for _, resumable := range []bool{true, false} {
				cells = append(cells, netCell{side: s, fault: f, resumable: resumable})
			}
		}
	}
	rows := make([]string, len(cells))
	t.Run("matrix", func(t *testing.T) {
		for i, c := range cells {
			t.Run(fmt.Sprintf("%s/%s/%s", c.side, c.fault.name, c.stream()), func(t *testing.T) {
				t.Parallel()
				r := c.run(t)
				c.check(t, r)
				rows[i] = c.row(r)
			})
		}
	})
	t.Logf("network fault matrix:\n"+
		"| link | fault | stream | events (distinct/expected) | duplicates | client reconnections | backend connections | cuts inside an event or message | longest gap | end |\n"+
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n%s", strings.Join(rows, "\n"))
}

// run sets up backend, gateway, links and client, runs the cell's stream
// to its end and returns what it measured.
func (c netCell) run(t *testing.T) *netRun {
	b := newBackend(t)
	b.start()
	toBackend := newLink(t, "backend", b.addr)
	conn := dialBackend(t, toBackend.addr,
		grpc.WithContextDialer(toBackend.grpcDial),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}))
	gw := serveGateway(t, conn,
		gateway.WithHeartbeat(heartbeat),
		gateway.WithHeaderTimeout(500*time.Millisecond),
		gateway.WithWriteTimeout(2*time.Second))
	toGateway := newLink(t, "gateway", gw.addr)
	faulty := toGateway
	if c.side == backendSide {
		faulty = toBackend
	}
	faulty.add(c.fault.toxics...)

	transport := &http.Transport{DialContext: toGateway.dial}
	t.Cleanup(transport.CloseIdleConnections)
	var reconnections atomic.Int32
	client, err := sseclient.NewConn("http://"+toGateway.addr, reconnecting(
		sseclient.WithHTTPClient(&http.Client{Transport: transport}),
		sseclient.WithReadTimeout(readTimeout),
		sseclient.WithHooks(sseclient.Hooks{OnReconnect: func(string, int, time.Duration, error) { reconnections.Add(1) }}),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	next := c.open(t, ctx, demov1.NewDemoServiceClient(client))

	r := &netRun{}
	start := time.Now()
	last, lastN := start, int64(0)
	for {
		n, err := next()
		now := time.Now()
		if err != nil {
			r.end, r.toEnd = err, now.Sub(last)
			break
		}
		if r.delivered+r.duplicates == 0 {
			r.first = now.Sub(start)
		} else {
			r.longestGap = max(r.longestGap, now.Sub(last))
		}
		last = now
		if n <= lastN {
			r.duplicates++
			continue
		}
		r.missing += int(n - lastN - 1)
		r.delivered, lastN = r.delivered+1, n
		if n == holeAt && c.fault.blackHole {
			faulty.blackHole(c.fault.healAfter)
		}
	}
	r.total = time.Since(start)
	r.reconnections = int(reconnections.Load())
	r.backendConns = len(toBackend.connections())
	inside := insideEvent
	if c.side == backendSide {
		inside = insideMessage
	}
	for _, tc := range faulty.connections() {
		reads, data, err := tc.received()
		r.reads += reads
		if err != nil && r.connErr == nil {
			r.connErr = err
		}
		if err != nil && inside(data) {
			r.cutsInside++
		}
	}
	return r
}

// open starts the cell's stream and returns a function that returns the
// number of each event in turn (the sequence number, or the tick number),
// after checking the event's content.
func (c netCell) open(t *testing.T, ctx context.Context, api demov1.DemoServiceClient) func() (int64, error) {
	if c.resumable {
		const name = "streams/net"
		stream, err := api.Sequence(ctx, &demov1.SequenceRequest{Name: name, LastSeq: netEvents, Interval: durationpb.New(netInterval)})
		if err != nil {
			t.Fatal(err)
		}
		return func() (int64, error) {
			ev, err := stream.Recv()
			if err == nil && !proto.Equal(ev, demo.SequenceEventAt(name, ev.GetSeq())) {
				t.Fatalf("event %v, want %v", ev, demo.SequenceEventAt(name, ev.GetSeq()))
			}
			return ev.GetSeq(), err
		}
	}
	const symbol = "NET"
	stream, err := api.Ticks(ctx, &demov1.TicksRequest{Symbol: symbol, Count: netEvents, Interval: durationpb.New(netInterval)})
	if err != nil {
		t.Fatal(err)
	}
	return func() (int64, error) {
		tick, err := stream.Recv()
		if err == nil && tick.GetSymbol() != symbol {
			t.Fatalf("tick %v of another symbol", tick)
		}
		return tick.GetNumber(), err
	}
}

// check asserts the promise of the cell's stream and that the fault acted.
func (c netCell) check(t *testing.T, r *netRun) {
	t.Helper()
	if r.duplicates > 0 || r.missing > 0 {
		t.Errorf("%d events repeated, %d lost", r.duplicates, r.missing)
	}
	switch {
	case c.resumable || !c.fault.breaks:
		if r.end != io.EOF || r.delivered != netEvents {
			t.Errorf("stream ended with %v after %d events, want its end after %d", r.end, r.delivered, netEvents)
		}
	default:
		if status.Code(r.end) != codes.Unavailable {
			t.Errorf("stream ended with %v, want UNAVAILABLE", r.end)
		}
		if r.delivered == netEvents {
			t.Errorf("all %d events delivered: the fault did not break the stream", r.delivered)
		}
		if bound := c.fault.bound + slack; r.toEnd > bound {
			t.Errorf("status %v after %v of silence, want it within %v", r.end, r.toEnd, bound)
		}
	}
	if c.resumable && c.fault.breaks && r.reconnections == 0 {
		t.Errorf("no reconnection: the fault did not break the stream")
	}
	if c.resumable && c.fault.toxics != nil && c.fault.breaks && r.cutsInside == 0 {
		t.Errorf("no connection was cut inside an event or a message")
	}
	c.fault.acted(t, r)
}

// row is the cell's line of the matrix table.
func (c netCell) row(r *netRun) string {
	end := "`end`"
	if r.end != io.EOF {
		how := "error event"
		switch {
		case errors.Is(r.end, sseclient.ErrReadTimeout):
			how = "read timeout"
		case errors.Is(r.end, sseclient.ErrConnectionLost):
			how = "connection lost"
		}
		end = fmt.Sprintf("%s (%s) %.1f s after the last event", status.Code(r.end), how, r.toEnd.Seconds())
	}
	return fmt.Sprintf("| %s | %s | %s | %d/%d | %d | %d | %d | %d | %d ms | %s |",
		c.side, c.fault.name, c.stream(), r.delivered, netEvents, r.duplicates, r.reconnections, r.backendConns, r.cutsInside, r.longestGap.Milliseconds(), end)
}

// insideEvent reports whether an HTTP response that was cut short ends
// inside an event: after at least one whole event, with bytes of the next
// one but not its blank line.
func insideEvent(response []byte) bool {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(response)), nil)
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body) // fails at the cut, after what came before it
	resp.Body.Close()
	rest := body[bytes.LastIndex(body, []byte("\n\n"))+2:]
	return bytes.Count(body, []byte("\n\n")) >= 2 && len(rest) > 0
}

// insideMessage reports whether what a connection received from a gRPC
// server (HTTP/2 frames, the server sends no preface) ends inside a DATA
// frame, that is inside a message.
func insideMessage(frames []byte) bool {
	const header, data = 9, 0
	for len(frames) >= header {
		n := int(frames[0])<<16 | int(frames[1])<<8 | int(frames[2])
		if len(frames) < header+n {
			return frames[3] == data
		}
		frames = frames[header+n:]
	}
	return false
}
