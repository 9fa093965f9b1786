package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// link is a network path to a peer: a toxiproxy TCP proxy on a loopback
// port in front of it. Toxics added to the link act on the connections
// through it; the peer's client connects with dial, which records each
// connection.
type link struct {
	t     *testing.T
	proxy *toxiproxy.Proxy
	addr  string

	mu     sync.Mutex
	conns  []*tap
	healAt int // connection count at which an open black hole closes; 0 when none is open
}

// newLink starts a proxy to upstream, stopped (with every connection
// through it closed) when the test ends.
func newLink(t *testing.T, name, upstream string) *link {
	t.Helper()
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(server, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &link{t: t, proxy: p, addr: p.Listen}
}

// toxic is a toxiproxy toxic, as its API takes it.
type toxic struct {
	Type string `json:"type"`
	// Stream is "downstream" (what the peer sends) or "upstream" (what
	// is sent to the peer).
	Stream     string           `json:"stream"`
	Toxicity   float32          `json:"toxicity"`
	Attributes map[string]int64 `json:"attributes"`
}

// down is a toxic on what the peer sends.
func down(typ string, attrs map[string]int64) toxic {
	return toxic{Type: typ, Stream: "downstream", Toxicity: 1, Attributes: attrs}
}

// both is a toxic on each direction.
func both(typ string, attrs map[string]int64) []toxic {
	up := down(typ, attrs)
	up.Stream = "upstream"
	return []toxic{down(typ, attrs), up}
}

// add puts toxics on the link, for the connections open now and those
// to come.
func (l *link) add(toxics ...toxic) {
	l.t.Helper()
	for _, tx := range toxics {
		b, err := json.Marshal(tx)
		if err != nil {
			l.t.Fatal(err)
		}
		if _, err := l.proxy.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
			l.t.Fatalf("adding %s: %v", b, err)
		}
	}
}

// blackHole makes the peer stop answering: from now on nothing passes in
// either direction and no connection is closed, until the client has
// opened healAfter more connections through the link; the last of them
// finds the path healed.
func (l *link) blackHole(healAfter int) {
	l.t.Helper()
	l.add(both("timeout", map[string]int64{"timeout": 0})...)
	l.mu.Lock()
	l.healAt = len(l.conns) + healAfter
	l.mu.Unlock()
}

// dial connects to addr (the link's address) as the peer's client, with
// the signature of http.Transport.DialContext.
func (l *link) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	l.mu.Lock()
	if l.healAt > 0 && len(l.conns)+1 >= l.healAt {
		l.healAt = 0
		for _, stream := range []string{"downstream", "upstream"} {
			// Removing a timeout toxic also closes the connections it held.
			if err := l.proxy.Toxics.RemoveToxic(context.Background(), "timeout_"+stream); err != nil {
				l.t.Errorf("healing the black hole: %v", err)
			}
		}
	}
	l.mu.Unlock()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &tap{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, tc)
	l.mu.Unlock()
	return tc, nil
}

// grpcDial is dial with the signature of grpc.WithContextDialer.
func (l *link) grpcDial(ctx context.Context, addr string) (net.Conn, error) {
	return l.dial(ctx, "tcp", addr)
}

// connections returns the connections made through the link so far.
func (l *link) connections() []*tap {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*tap(nil), l.conns...)
}

// maxTapBytes bounds what a tap keeps of what it received.
const maxTapBytes = 64 << 10

// tap is a client connection that records what it received: the number
// of reads that returned data, the first maxTapBytes bytes, and the error
// that ended reading.
type tap struct {
	net.Conn

	mu    sync.Mutex
	reads int
	data  []byte
	err   error
}

func (c *tap) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > 0 {
		c.reads++
		c.data = append(c.data, p[:min(n, maxTapBytes-len(c.data))]...)
	}
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// received returns what the connection received and the error that ended
// it (nil while it is open).
func (c *tap) received() (reads int, data []byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads, c.data, c.err
}
