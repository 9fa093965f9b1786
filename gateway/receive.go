package gateway

import (
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
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
// bounded channel. It runs only while the stream is busy: it stops after
// the first receive that waited aheadIdle or more, so a stream that goes
// quiet holds it, parked in that receive, only until its next message or
// its end, and then keeps a single goroutine.
const (
	// readyWait is how long a receive may take and still count as having
	// found its message ready.
	readyWait = 20 * time.Microsecond
	// readyAfter is how many receives in a row must find their message
	// ready before the pump starts receiving ahead.
	readyAfter = 4
	// aheadDepth bounds the messages received ahead, as gRPC flow control
	// bounds what the backend sends: a slow client still slows the backend.
	// The pump hands messages back for reuse aheadDepth/2 at a time, so
	// that a receiving goroutine that is ahead sleeps and wakes once per
	// half batch, not once per message.
	aheadDepth = 16
	// aheadIdle ends receiving ahead: after a receive that waited this
	// long, the pump receives by itself again.
	aheadIdle = 100 * time.Millisecond
)

// receiver receives the backend's messages for a stream's pump.
type receiver struct {
	cs      grpc.ClientStream
	mt      protoreflect.MessageType
	msg     proto.Message // the message of the pump's own receives
	pending bool          // msg holds a message that next has not returned
	ready   int           // the pump's receives in a row that found a message ready

	// While receiving ahead, ahead carries the messages; it is nil
	// otherwise. free holds the messages to receive into (aheadDepth in
	// all, so that ahead never fills), held is the one the pump works on,
	// and used those it is done with.
	ahead   chan received
	free    chan proto.Message
	held    proto.Message
	used    []proto.Message
	stopped atomic.Bool
}

// received is a message received ahead.
type received struct {
	msg  proto.Message
	err  error
	last bool // the goroutine receiving ahead stopped after this one
}

// newReceiver receives messages of type mt from cs. msg is a message of
// that type; with pending, it holds a message received already, which
// next returns first.
func newReceiver(cs grpc.ClientStream, mt protoreflect.MessageType, msg proto.Message, pending bool) *receiver {
	return &receiver{cs: cs, mt: mt, msg: msg, pending: pending}
}

// next returns the next message, or the error that ended the stream. The
// message is valid until the following call.
func (r *receiver) next() (proto.Message, error) {
	if r.held != nil {
		r.used = append(r.used, r.held)
		r.held = nil
		if len(r.used) >= aheadDepth/2 || r.ahead == nil {
			for _, m := range r.used {
				r.free <- m
			}
			r.used = r.used[:0]
		}
	}
	if r.ahead != nil {
		res := <-r.ahead
		if res.last {
			r.ahead, r.ready = nil, 0
		}
		r.held = res.msg
		return res.msg, res.err
	}
	if r.pending {
		r.pending = false
		return r.msg, nil
	}
	start := time.Now()
	if err := r.cs.RecvMsg(r.msg); err != nil {
		return nil, err
	}
	if time.Since(start) < readyWait {
		r.ready++
	} else {
		r.ready = 0
	}
	if r.ready >= readyAfter {
		r.receiveAhead()
	}
	return r.msg, nil
}

// more reports whether another message is ready now, so that the event
// just written need not be flushed yet.
func (r *receiver) more() bool {
	return r.ahead != nil && len(r.ahead) > 0
}

// receiveAhead starts the goroutine that receives ahead.
func (r *receiver) receiveAhead() {
	if r.free == nil {
		r.free = make(chan proto.Message, aheadDepth)
		for range aheadDepth {
			r.free <- r.mt.New().Interface()
		}
		r.used = make([]proto.Message, 0, aheadDepth/2)
	}
	r.ahead = make(chan received, aheadDepth)
	go r.run(r.ahead)
}

// run receives messages into ahead until the stream ends, or goes for
// aheadIdle without a message, or stop is called. Sending on ahead never
// blocks: it has room for all the messages there are.
func (r *receiver) run(ahead chan<- received) {
	prev := time.Now()
	for m := range r.free {
		err := r.cs.RecvMsg(m)
		now := time.Now()
		last := err != nil || now.Sub(prev) >= aheadIdle || r.stopped.Load()
		prev = now
		ahead <- received{msg: m, err: err, last: last}
		if last {
			return
		}
	}
}

// stop ends receiving ahead; the pump calls it last. A receive in progress
// ends when the stream's context is cancelled.
func (r *receiver) stop() {
	if r.free != nil {
		r.stopped.Store(true)
		close(r.free)
	}
}
