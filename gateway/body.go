package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Defaults of the bounds on reading request bodies.
const (
	DefaultBodyReadTimeout    = 10 * time.Second
	DefaultMaxBodyBufferBytes = 32 << 20
)

// bodyBufferStart is the capacity of a body's first buffer, which does not
// count against the body buffer limit: a small body is never refused for
// the memory that large ones hold.
const bodyBufferStart = 4 << 10

// bodyDiscardGrace is how long the server may go on reading a body that
// was refused while its client may still be sending it (too large, not
// JSON, over the body buffer limit), so that the client gets the answer
// rather than a reset connection.
const bodyDiscardGrace = time.Second

// WithBodyReadTimeout bounds the time to read a request body, from the
// moment the gateway starts to read it, right after the request's headers,
// to its last byte (default 10s). Bodies are read before a stream is
// admitted, so a slow body holds no stream slot; one that takes longer is
// answered 408 Request Timeout (gRPC DEADLINE_EXCEEDED) and its connection
// is closed. The bound is a read deadline, which net/http's servers
// support for HTTP/1 and HTTP/2; once the body is read the deadline is
// cleared, and a server's own ReadTimeout no longer applies to the
// connection.
func WithBodyReadTimeout(d time.Duration) Option {
	return func(c *config) { c.ops.bodyReadTimeout = d }
}

// WithMaxBodyBufferBytes bounds the memory that request bodies hold while
// they are read, all requests together (default 32 MiB). A body's buffer
// starts at 4 KiB, which does not count, and doubles as bytes arrive; a
// body whose buffer cannot grow within the bound is answered 503 Service
// Unavailable with Retry-After, as a request over a stream limit is. It
// must be at least the maximum request size (WithMaxRequestBytes).
func WithMaxBodyBufferBytes(n int64) Option {
	return func(c *config) { c.ops.maxBodyBuffer = n }
}

// bodyError is why a request body was not read: the reason the request
// ends with, and the error it is answered with.
type bodyError struct {
	reason endReason
	err    error // a status error, or a *runtime.HTTPStatusError
}

func (e *bodyError) Error() string { return e.err.Error() }

func (e *bodyError) Unwrap() error { return e.err }

// Why fill stops before the end of a body.
var (
	errBodyTooLarge = errors.New("request body too large")
	errBodyBuffers  = errors.New("body buffers full")
)

// readBody reads the whole body of r, or returns nil for a request without
// one. The read is bounded in size (WithMaxRequestBytes, or the
// Content-Length), in time (WithBodyReadTimeout), and in the memory held by
// all bodies being read (WithMaxBodyBufferBytes); Drain aborts it. It
// fails with a *bodyError, after which what is left of the body is read
// for bodyDiscardGrace at most, or not at all when it was too slow or the
// gateway drains: the server then closes the connection after the answer
// rather than wait for the rest of the body.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, nil
	}
	rc := http.NewResponseController(w)
	switch {
	case g.ops.drainCtx.Err() != nil:
		return nil, abandonBody(rc, bodyDrained())
	case r.ContentLength > g.cfg.maxRequestBytes:
		return nil, abandonBody(rc, g.bodyTooLarge())
	}
	m := g.ops.metrics
	if m != nil {
		m.bodies.Inc()
		defer m.bodies.Dec()
	}

	// One deadline for the whole body; a drain moves it to now.
	_ = rc.SetReadDeadline(time.Now().Add(g.ops.cfg.bodyReadTimeout))
	var drained atomic.Bool
	moved := make(chan struct{})
	stop := context.AfterFunc(g.ops.drainCtx, func() {
		defer close(moved)
		drained.Store(true)
		_ = rc.SetReadDeadline(time.Now())
	})
	body, err := g.fill(r.Body, r.ContentLength, m)
	if !stop() {
		<-moved
	}
	if err != nil {
		return nil, abandonBody(rc, g.bodyFailure(err, drained.Load()))
	}
	// The deadline must not outlive the body. (net/http clears it itself
	// over HTTP/1, once the body is read, and over HTTP/2 it bounds only
	// the body; other servers may do neither.)
	_ = rc.SetReadDeadline(time.Time{})
	return body, nil
}

// fill reads body into a buffer that starts small and doubles as bytes
// arrive, up to size (the Content-Length, when known) or the maximum
// request size. What the buffer holds beyond its first capacity is taken
// from the gateway's body buffers, and given back when fill returns.
func (g *Gateway) fill(body io.Reader, size int64, m *metrics) (buf []byte, err error) {
	limit := g.cfg.maxRequestBytes
	if size > 0 {
		limit = size
	}
	buf = make([]byte, 0, min(limit, bodyBufferStart))
	if m != nil {
		m.bodyBytes.Add(float64(cap(buf)))
	}
	defer func() {
		g.ops.bodies.give(cap(buf))
		if m != nil {
			m.bodyBytes.Sub(float64(cap(buf)))
		}
	}()
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) == limit {
				return buf, expectEnd(body)
			}
			next := int(min(2*int64(cap(buf)), limit))
			if !g.ops.bodies.take(cap(buf), next) {
				return buf, errBodyBuffers
			}
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			if m != nil {
				m.bodyBytes.Add(float64(next - cap(buf)))
			}
			buf = grown
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}

// expectEnd reads what follows a full buffer, which must be the end of the
// body.
func expectEnd(body io.Reader) error {
	var one [1]byte
	for {
		n, err := body.Read(one[:])
		switch {
		case n > 0:
			return errBodyTooLarge
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
}

// bodyFailure is the answer to a body that fill could not read.
func (g *Gateway) bodyFailure(err error, drained bool) *bodyError {
	switch {
	case errors.Is(err, errBodyTooLarge):
		return g.bodyTooLarge()
	case errors.Is(err, errBodyBuffers):
		return &bodyError{reasonLimit, status.Errorf(codes.Unavailable,
			"request bodies being read hold the gateway's maximum of %d bytes; retry later", g.ops.bodies.max)}
	case errors.Is(err, os.ErrDeadlineExceeded) && drained:
		return bodyDrained()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &bodyError{reasonBodyTimeout, &runtime.HTTPStatusError{
			HTTPStatus: http.StatusRequestTimeout,
			Err:        status.Errorf(codes.DeadlineExceeded, "request body not received within %v", g.ops.cfg.bodyReadTimeout),
		}}
	}
	return &bodyError{reasonClientClosed, status.Errorf(codes.Canceled, "reading request body: %v", err)}
}

func (g *Gateway) bodyTooLarge() *bodyError {
	return &bodyError{reasonRefused, &runtime.HTTPStatusError{
		HTTPStatus: http.StatusRequestEntityTooLarge,
		Err:        invalidArgument("request body is larger than %d bytes", g.cfg.maxRequestBytes),
	}}
}

func bodyDrained() *bodyError {
	return &bodyError{reasonDrain, status.Error(codes.Unavailable, "the gateway is shutting down; retry")}
}

// abandonBody bounds what the server reads of the request once it is
// answered with e: the rest of a refused body is read for
// bodyDiscardGrace at most, and that of a slow one, or one cut by a drain,
// not at all. Past the deadline the server closes the connection after the
// answer, rather than wait for a body that may never come. It returns e.
func abandonBody(rc *http.ResponseController, e *bodyError) *bodyError {
	deadline := time.Now()
	if e.reason == reasonRefused || e.reason == reasonLimit {
		deadline = deadline.Add(bodyDiscardGrace)
	}
	_ = rc.SetReadDeadline(deadline)
	return e
}

// refuseBody answers a request whose body was not read: over a limit or
// during a drain with Retry-After, otherwise with the error's status.
func (sr *streamRecord) refuseBody(w http.ResponseWriter, err error) {
	be, ok := errors.AsType[*bodyError](err)
	if !ok {
		sr.refuse(w, err)
		return
	}
	switch be.reason {
	case reasonLimit, reasonDrain:
		sr.reject(w, be.reason, be.err)
	default:
		sr.reason, sr.code = be.reason, statusCode(be.err)
		sr.g.writeStatus(w, be.err)
	}
}

// bodyBuffers bounds the memory that the buffers of bodies being read hold
// beyond their first capacity, all bodies together.
type bodyBuffers struct {
	max  int64
	held atomic.Int64
}

// beyondStart is what a buffer of capacity c counts.
func beyondStart(c int) int64 { return int64(max(c-bodyBufferStart, 0)) }

// take accounts for a buffer growing from capacity from to capacity to,
// if the bound allows it.
func (b *bodyBuffers) take(from, to int) bool {
	n := beyondStart(to) - beyondStart(from)
	for {
		held := b.held.Load()
		if held+n > b.max {
			return false
		}
		if b.held.CompareAndSwap(held, held+n) {
			return true
		}
	}
}

// give gives back what a buffer of capacity c held.
func (b *bodyBuffers) give(c int) { b.held.Add(-beyondStart(c)) }
