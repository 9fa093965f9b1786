package gateway

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ssegw/ssegw/internal/connstate"
)

// Limiter bounds the number of concurrent streams, in total and per client
// address. Unary calls, which end by themselves, are not counted. One Limiter can be shared by several gateways (one per backend)
// served on one listener, with WithLimiter. A Limiter is safe for
// concurrent use.
type Limiter struct {
	max, perClient int

	mu      sync.Mutex
	total   int
	clients map[string]int // open streams per client address; no zero entries
}

// NewLimiter returns a Limiter that allows at most maxStreams concurrent
// streams in all, and at most maxPerClient from one client address. Zero
// or less means no limit.
//
// A request over the total limit is answered 503 Service Unavailable (gRPC
// Unavailable); one over its client's limit 429 Too Many Requests (gRPC
// ResourceExhausted); both with Retry-After and a JSON google.rpc.Status
// body.
func NewLimiter(maxStreams, maxPerClient int) *Limiter {
	return &Limiter{max: max(maxStreams, 0), perClient: max(maxPerClient, 0), clients: map[string]int{}}
}

// WithLimiter makes the gateway count its streams with l.
func WithLimiter(l *Limiter) Option {
	return func(c *config) { c.ops.limiter = l }
}

// WithStreamLimits limits the gateway's concurrent streams to maxStreams
// in all and maxPerClient per client address (zero or less: no limit). It
// is WithLimiter(NewLimiter(maxStreams, maxPerClient)).
func WithStreamLimits(maxStreams, maxPerClient int) Option {
	return WithLimiter(NewLimiter(maxStreams, maxPerClient))
}

// WithClientAddress sets how the address of a request's client is found,
// for the per-client stream limit and the access log. The default,
// RemoteAddress, is the peer's IP address: behind a proxy or load balancer
// every client then has the proxy's address, unless the proxy is trusted
// with ForwardedFor.
func WithClientAddress(f func(r *http.Request) string) Option {
	return func(c *config) { c.ops.clientAddress = f }
}

// Open returns the number of streams the limiter counts now.
func (l *Limiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// acquire takes a slot for a stream of client, or returns the status error
// that refuses it.
func (l *Limiter) acquire(client string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return status.Errorf(codes.Unavailable, "the gateway serves its maximum of %d concurrent streams; retry later", l.max)
	}
	if l.perClient > 0 && l.clients[client] >= l.perClient {
		return status.Errorf(codes.ResourceExhausted, "client %s has its maximum of %d concurrent streams open", client, l.perClient)
	}
	l.total++
	if l.perClient > 0 {
		l.clients[client]++
	}
	return nil
}

// release gives back the slot acquire took.
func (l *Limiter) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perClient > 0 {
		if n := l.clients[client] - 1; n > 0 {
			l.clients[client] = n
		} else {
			delete(l.clients, client)
		}
	}
}

// RemoteAddress returns the IP address of the request's peer, from
// r.RemoteAddr. It is the default client address.
func RemoteAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ForwardedFor returns a client address function that trusts the
// X-Forwarded-For header of requests from peers in the trusted prefixes
// (the proxies in front of the gateway): the client is the rightmost
// address in the header that is not itself trusted. Requests from other
// peers, whose header anyone could forge, are known by their peer address,
// as with RemoteAddress. WithTrustedProxies trusts the same proxies for the
// scheme too.
func ForwardedFor(trusted ...netip.Prefix) func(r *http.Request) string {
	p := proxies(trusted)
	return func(r *http.Request) string {
		peer := RemoteAddress(r)
		addr, err := netip.ParseAddr(peer)
		if err != nil || !p.trust(addr) {
			return peer
		}
		client := addr.Unmap()
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			client = hop.Unmap()
			if !p.trust(client) {
				break
			}
		}
		return client.String()
	}
}

// deadline sets the deadline of the write that follows. ew.mu is held.
func (ew *eventWriter) deadline() {
	if ew.writeTimeout > 0 {
		ew.writeStart = time.Now()
		ew.armed = true
		_ = ew.rc.SetWriteDeadline(ew.writeStart.Add(ew.writeTimeout))
		ew.check(ew.writeStart)
	}
}

// check looks at the client's connection, when it is known (see
// ConnContext), at most every quarter of the write timeout: backlogged
// records whether data written to it has been waiting for the client, with
// no acknowledgement, for a quarter of the write timeout or more. ew.mu is
// held.
func (ew *eventWriter) check(now time.Time) {
	if ew.conn == nil || now.Sub(ew.checked) < ew.writeTimeout/4 {
		return
	}
	ew.checked = now
	ew.backlogged = connstate.Backlogged(ew.conn, ew.writeTimeout/4)
}

// disarm removes the write deadline after a flush. It must not stay set
// while the stream is quiet: over HTTP/2 a deadline that passes resets the
// stream even when nothing is being written, and after the response it
// would outlive it on a kept-alive connection. ew.mu is held.
func (ew *eventWriter) disarm() {
	if ew.armed {
		ew.armed = false
		_ = ew.rc.SetWriteDeadline(time.Time{})
	}
}

// failure is the cause with which a failed write cancels the stream:
// errSlowConsumer when it missed its deadline, or found the connection
// closed by a TCP user timeout (ETIMEDOUT: the client took nothing for
// that long), or when the client had stopped taking data (see stopped);
// errClientGone otherwise.
func (ew *eventWriter) failure(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) || ew.stopped() {
		ew.sr.slow = true
		return fmt.Errorf("%w: %w", errSlowConsumer, err)
	}
	return fmt.Errorf("%w: %w", errClientGone, err)
}

// stopped reports, for a stream whose connection failed or closed, whether
// its client had stopped taking data. The TCP user timeout, which
// cmd/gateway sets to the write timeout, closes such a connection about
// when a waiting write's deadline passes, often just before: the server's
// reader or the write then finds a closed connection, not a missed
// deadline. So the client had stopped when a write had waited a quarter of
// the write timeout or more; or, with the connection known (see
// ConnContext), when a look at it found data waiting for the client that
// long (see check), or when the kernel closed it (a timeout or a reset)
// with data still waiting and no acknowledgement from the client for that
// long. ew.mu is held.
func (ew *eventWriter) stopped() bool {
	if ew.writeTimeout <= 0 {
		return false
	}
	patience := ew.writeTimeout / 4
	return (ew.armed && time.Since(ew.writeStart) >= patience) || ew.backlogged ||
		(ew.conn != nil && connstate.Abandoned(ew.conn, patience))
}
