package gateway

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Why the gateway cancels a backend call itself; read back with
// context.Cause.
var (
	errDrain        = errors.New("gateway: draining")
	errMaxLifetime  = errors.New("gateway: stream reached its maximum lifetime")
	errSlowConsumer = errors.New("gateway: write to the client missed its deadline")
	errClientGone   = errors.New("gateway: write to the client failed")
)

// comeBack reports whether cause asks the client to reconnect: a drain or
// the end of the stream's lifetime.
func comeBack(cause error) bool {
	return errors.Is(cause, errDrain) || errors.Is(cause, errMaxLifetime)
}

// streamTracker counts the streams a gateway serves, so that Drain can
// wait for them to end.
type streamTracker struct {
	mu       sync.Mutex
	open     int
	draining bool
	idle     chan struct{} // closed once draining with no stream open
}

// enter counts a new stream; it is false once draining has begun.
func (t *streamTracker) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.draining {
		return false
	}
	t.open++
	return true
}

// leave uncounts a stream that enter counted.
func (t *streamTracker) leave() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.open--
	if t.draining && t.open == 0 {
		close(t.idle)
	}
}

// startDrain refuses new streams from now on and returns a channel closed
// when no stream is open.
func (t *streamTracker) startDrain() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.draining {
		t.draining = true
		t.idle = make(chan struct{})
		if t.open == 0 {
			close(t.idle)
		}
	}
	return t.idle
}

func (t *streamTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}

// Drain tells every open stream to reconnect, and waits until all of them,
// and the unary calls in flight, have ended or ctx is done. Each stream gets a short "retry:" (see
// WithDrainRetry) and ends without an "end" event, so that its client
// reconnects, with its Last-Event-ID, to another replica or to this one once
// it is back; the backend call is cancelled. Shared backend calls are
// cancelled too, lingering ones included, once their subscribers have gone
// (or ctx is done). Unary calls in flight are answered. From the moment Drain is called, new requests, and those
// whose bodies are still being read, are answered 503 Service
// Unavailable with Retry-After: Drain does not wait for them. A drained
// Gateway does not serve streams again.
//
// Drain returns nil once no stream is open, or an error wrapping the cause
// of ctx when it ends first.
func (g *Gateway) Drain(ctx context.Context) error {
	idle := g.ops.tracker.startDrain()
	g.ops.drain()
	if g.hub != nil {
		// Streams end on their own; then no shared call may linger.
		defer g.hub.Close()
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gateway: drain: %d streams still open: %w", g.ops.tracker.count(), context.Cause(ctx))
	}
}

// OpenStreams returns the number of requests the gateway is serving now,
// streams and unary calls, from their admission (for streams, after their
// bodies are read) to their end.
func (g *Gateway) OpenStreams() int {
	return g.ops.tracker.count()
}

// jitter returns a random duration between d/2 and 3d/2.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d)
}

// lifetime returns a random lifetime between 90% and 100% of d.
func lifetime(d time.Duration) time.Duration {
	if spread := d / 10; spread > 0 {
		return d - rand.N(spread)
	}
	return d
}
