package faulttest

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"
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

// key names the side in test names.
func (s side) key() string {
	if s == clientSide {
		return "client"
	}
	return "backend"
}

// netFault is one row of the matrix.
type netFault struct {
	key  string // in test names
	name string // in the table
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
			key:    "latency",
			name:   "latency 40±20 ms each way",
			toxics: both("latency", map[string]int64{"latency": 40, "jitter": 20}),
			acted: func(t *testing.T, r *netRun) {
				if r.first < 40*time.Millisecond { // a request and a response, each delayed by at least 20 ms
					t.Errorf("first event after %v: the latency did not act", r.first)
				}
			},
		},
		{
			key:    "bandwidth",
			name:   fmt.Sprintf("bandwidth %d KB/s", rate),
			toxics: []toxic{down("bandwidth", map[string]int64{"rate": rate})},
			acted: func(t *testing.T, r *netRun) {
				if r.total < time.Second { // the stream is several times the bytes the rate lets through in a second
					t.Errorf("stream took %v: the bandwidth limit did not act", r.total)
				}
			},
		},
		{
			key:    "slicer",
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
			key:  "reset",
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
			key:    "cut",
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
			key:       "silence",
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
