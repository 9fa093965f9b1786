package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
)

// Receiving ahead.
//
// A stream's pump flushes every event as soon as it is written, so that a
// lone message reaches the client at once. When messages arrive faster
// than they can be flushed one by one, the flushes (a system call each)
// cost more than the events, and the pump falls behind. It then receives
// ahead on a second goroutine and flushes only when no further message is
// ready, so that the events that are ready together leave in one write.
// gRPC cannot tell whether a message is ready without waiting for it, and
// the goroutine receiving ahead is what tells: its messages wait in a
// channel, bounded in number and in bytes, as gRPC flow control bounds
// what the backend sends, so that a slow client still slows the backend.
// It runs only while the stream is busy: it stops after the first receive
// that waited aheadIdle or more, so a stream that goes quiet holds it,
// parked in that receive, only until its next message or its end, and
// then keeps a single goroutine.
//
// Messages are frames of wire bytes in gRPC's pooled buffers, handed back
// as soon as the pump has written their event: a quiet stream holds no
// message, whatever the size of those it received before.
const (
	// readyWait is how long a receive may take and still count as having
	// found its message ready.
	readyWait = 20 * time.Microsecond
	// readyAfter is how many receives in a row must find their message
	// ready before the pump starts receiving ahead.
	readyAfter = 4
	// aheadMessages and aheadBytes bound the messages received ahead and
	// not yet written. A message larger than aheadBytes is received alone.
	aheadMessages = 256
	aheadBytes    = 64 << 10
	// aheadIdle ends receiving ahead: after a receive that waited this
	// long, the pump receives by itself again.
	aheadIdle = 100 * time.Millisecond
)

// aheadUnit counts one message in receiver.pending, whose low bits count
// bytes.
const aheadUnit = 1 << 40

// frames pools the frames of messages received ahead.
var frames = sync.Pool{New: func() any { return new(frame) }}

// receiver receives the backend's messages for a stream's pump.
type receiver struct {
	cs         grpc.ClientStream
	own        frame  // the frame of the pump's own receives
	prefetched bool   // own holds a message that next has not returned
	ready      int    // the pump's receives in a row that found a message ready
	cur        *frame // the frame next returned, until done
	// ownBytes is the size of own's message while it is held.
	ownBytes atomic.Int64

	// While receiving ahead, ahead carries the frames; it is nil
	// otherwise. pending counts the frames received ahead and not yet done
	// with, in aheadUnits, plus their bytes. When it is over a bound, the
	// goroutine receiving ahead waits for room, which done signals.
	ahead   chan *frame
	pending atomic.Int64
	waiting atomic.Bool
	room    chan struct{}
	quit    chan struct{} // closed by stop
	stopped atomic.Bool
}

// newReceiver receives the messages of cs.
func newReceiver(cs grpc.ClientStream) *receiver {
	return &receiver{cs: cs}
}

// prefetch receives the first message, which next returns first.
func (r *receiver) prefetch() error {
	if err := r.cs.RecvMsg(&r.own); err != nil {
		return err
	}
	r.ownBytes.Store(int64(r.own.size()))
	r.prefetched = true
	return nil
}

// next returns the next message, or the error that ended the stream. The
// frame is valid until done.
func (r *receiver) next() (*frame, error) {
	if r.ahead != nil {
		f := <-r.ahead
		if f.last {
			r.ahead, r.ready = nil, 0
		}
		r.cur = f
		if err := f.err; err != nil {
			r.done()
			return nil, err
		}
		return f, nil
	}
	if r.prefetched {
		r.prefetched = false
		r.cur = &r.own
		return &r.own, nil
	}
	start := time.Now()
	if err := r.cs.RecvMsg(&r.own); err != nil {
		return nil, err
	}
	if time.Since(start) < readyWait {
		r.ready++
	} else {
		r.ready = 0
	}
	r.ownBytes.Store(int64(r.own.size()))
	if r.ready >= readyAfter {
		r.receiveAhead()
	}
	r.cur = &r.own
	return &r.own, nil
}

// done hands back the frame next returned last.
func (r *receiver) done() {
	f := r.cur
	if f == nil {
		return
	}
	r.cur = nil
	n := int64(f.size())
	f.release()
	if f == &r.own {
		r.ownBytes.Store(0)
		return
	}
	*f = frame{}
	frames.Put(f)
	left := r.pending.Add(-aheadUnit - n)
	if r.waiting.Load() && left/aheadUnit <= aheadMessages/2 && left%aheadUnit <= aheadBytes/2 &&
		r.waiting.CompareAndSwap(true, false) {
		select {
		case r.room <- struct{}{}:
		default:
		}
	}
}

// more reports whether another message is ready now, so that the event
// just written need not be flushed yet.
func (r *receiver) more() bool {
	return r.ahead != nil && len(r.ahead) > 0
}

// holding returns the bytes of the messages received and not yet done
// with.
func (r *receiver) holding() int64 {
	return r.ownBytes.Load() + r.pending.Load()%aheadUnit
}

// receiveAhead starts the goroutine that receives ahead.
func (r *receiver) receiveAhead() {
	if r.quit == nil {
		r.quit = make(chan struct{})
		r.room = make(chan struct{}, 1)
	}
	r.ahead = make(chan *frame, aheadMessages)
	go r.run(r.ahead)
}

// run receives messages into ahead until the stream ends, or goes for
// aheadIdle without a message, or stop is called. Sending on ahead never
// blocks: it has room for all the messages there may be.
func (r *receiver) run(ahead chan<- *frame) {
	for r.waitForRoom() {
		f := frames.Get().(*frame)
		start := time.Now()
		f.err = r.cs.RecvMsg(f)
		last := f.err != nil || time.Since(start) >= aheadIdle
		f.last = last
		r.pending.Add(aheadUnit + int64(f.size()))
		ahead <- f // f is the pump's now
		if last {
			return
		}
	}
}

// waitForRoom waits while the messages received ahead are over a bound.
// It returns false when stop was called.
func (r *receiver) waitForRoom() bool {
	for r.full() {
		r.waiting.Store(true)
		if !r.full() {
			r.waiting.Store(false)
			break
		}
		select {
		case <-r.room:
		case <-r.quit:
			return false
		}
	}
	return !r.stopped.Load()
}

// full reports whether the messages received ahead are at a bound.
func (r *receiver) full() bool {
	p := r.pending.Load()
	return p/aheadUnit >= aheadMessages || p%aheadUnit >= aheadBytes
}

// stop ends receiving ahead; the pump calls it last. A receive in progress
// ends when the stream's context is cancelled.
func (r *receiver) stop() {
	r.done()
	r.own.release()
	r.ownBytes.Store(0)
	r.stopped.Store(true)
	if r.quit != nil {
		close(r.quit)
	}
}
