package faulttest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
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
	return "not-resumable"
}

// netRun is what a cell measured.
type netRun struct {
	delivered, duplicates, missing int
	reconnections                  int   // of the client
	backendConns                   int   // opened through the gateway's link to the backend
	reads                          int   // that returned data, on the faulty link's connections
	connErr                        error // that ended a connection through the faulty link, if one did
	cuts                           int   // connections through the faulty link that failed
	cutsInside                     int   // of them, cut inside an event (client side) or a gRPC message (backend side)
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
	runs := make([]*netRun, len(cells))
	t.Run("matrix", func(t *testing.T) {
		for i, c := range cells {
			t.Run(fmt.Sprintf("%s/%s/%s", c.side.key(), c.fault.key, c.stream()), func(t *testing.T) {
				t.Parallel()
				r := c.run(t)
				c.check(t, r)
				runs[i] = r
			})
		}
	})
	t.Logf("network fault matrix:\n%s", matrixTable(cells, runs))
}

// netRig is a cell's parts: the demo backend, a gateway, a link in front
// of each, and a client that reconnects.
type netRig struct {
	toGateway, toBackend *link
	faulty               *link // the one with the cell's fault
	client               *sseclient.Conn
	reconnections        atomic.Int32
}

// rig starts the parts of the cell, with the fault's toxics on its link.
func (c netCell) rig(t *testing.T) *netRig {
	rig := &netRig{}
	b := newBackend(t)
	b.start()
	rig.toBackend = newLink(t, "backend", b.addr)
	conn := dialBackend(t, rig.toBackend.addr,
		grpc.WithContextDialer(rig.toBackend.grpcDial),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}))
	gw := serveGateway(t, conn,
		gateway.WithHeartbeat(heartbeat),
		gateway.WithHeaderTimeout(500*time.Millisecond),
		gateway.WithWriteTimeout(2*time.Second))
	rig.toGateway = newLink(t, "gateway", gw.addr)
	rig.faulty = rig.toGateway
	if c.side == backendSide {
		rig.faulty = rig.toBackend
	}
	rig.faulty.add(c.fault.toxics...)

	transport := &http.Transport{DialContext: rig.toGateway.dial}
	t.Cleanup(transport.CloseIdleConnections)
	var err error
	rig.client, err = sseclient.NewConn("http://"+rig.toGateway.addr, reconnecting(
		sseclient.WithHTTPClient(&http.Client{Transport: transport}),
		sseclient.WithReadTimeout(readTimeout),
		sseclient.WithHooks(sseclient.Hooks{OnReconnect: func(string, int, time.Duration, error) { rig.reconnections.Add(1) }}),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	return rig
}

// run runs the cell's stream to its end and returns what it measured.
func (c netCell) run(t *testing.T) *netRun {
	rig := c.rig(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	next := c.open(t, ctx, demov1.NewDemoServiceClient(rig.client))

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
			rig.faulty.blackHole(c.fault.healAfter)
		}
	}
	r.total = time.Since(start)
	c.measureLinks(rig, r)
	return r
}

// measureLinks adds to r what the links and the client saw.
func (c netCell) measureLinks(rig *netRig, r *netRun) {
	r.reconnections = int(rig.reconnections.Load())
	r.backendConns = len(rig.toBackend.connections())
	inside := insideEvent
	if c.side == backendSide {
		inside = insideMessage
	}
	for _, tc := range rig.faulty.connections() {
		reads, data, err := tc.received()
		r.reads += reads
		if err != nil {
			r.cuts++
			r.connErr = cmp.Or(r.connErr, err)
			if inside(data) {
				r.cutsInside++
			}
		}
	}
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

// matrixTable formats the runs of the matrix as the table in
// docs/reliability.md: one row per fault, from its two cells (resumable,
// then not), which are next to each other in cells.
func matrixTable(cells []netCell, runs []*netRun) string {
	var b strings.Builder
	b.WriteString("| link | fault | resumable: events, repeated | client reconnections | backend connections | cuts inside an event or message | longest gap | not resumable: events | not resumable: end |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for i := 0; i+1 < len(cells); i += 2 {
		c, res, plain := cells[i], runs[i], runs[i+1]
		if res == nil || plain == nil {
			continue // the cell failed
		}
		cuts := "–"
		if c.fault.toxics != nil && c.fault.breaks {
			cuts = fmt.Sprintf("%d of %d", res.cutsInside, res.cuts)
		}
		fmt.Fprintf(&b, "| %s | %s | %d/%d, %d | %d | %d | %s | %s | %d | %s |\n",
			c.side, c.fault.name, res.delivered, netEvents, res.duplicates, res.reconnections, res.backendConns,
			cuts, roundDuration(res.longestGap), plain.delivered, plain.endText())
	}
	return b.String()
}

// endText says how a stream ended.
func (r *netRun) endText() string {
	if r.end == io.EOF {
		return "`end`"
	}
	how := "error event"
	switch {
	case errors.Is(r.end, sseclient.ErrReadTimeout):
		how = "read timeout"
	case errors.Is(r.end, sseclient.ErrConnectionLost):
		how = "connection lost"
	}
	return fmt.Sprintf("`%s` (%s) %s after the last event", code.Code(status.Code(r.end)), how, roundDuration(r.toEnd))
}

// roundDuration writes d in milliseconds below a second, else in tenths
// of a second.
func roundDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
