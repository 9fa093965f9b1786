package fanout

import (
	"context"
)

// Subscriber is one subscriber of a shared stream: a cursor into the
// stream's log. Its methods are for one goroutine at a time.
type Subscriber struct {
	s        *shared
	next     uint64 // sequence number of the next event to read
	replayed int
	closed   bool
}

// Replayed returns the number of events that were in the window after the
// id the subscriber joined after: those its first reads return before the
// live ones.
func (sub *Subscriber) Replayed() int { return sub.replayed }

// Open waits until the stream has started, and returns the header its
// producer opened it with. It returns the producer's error when the
// stream failed before it started, and the cause of ctx when ctx ends
// first.
func (sub *Subscriber) Open(ctx context.Context) (header any, err error) {
	if sub.closed {
		return nil, ErrClosed
	}
	s := sub.s
	for {
		s.mu.RLock()
		switch {
		case s.opened:
			header = s.header
			s.mu.RUnlock()
			return header, nil
		case s.done:
			err = s.err
			s.mu.RUnlock()
			return nil, err
		}
		wait := s.notify
		s.mu.RUnlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// Next waits for events and appends them to dst, as many as are ready
// and fit in its capacity (at least one), in order. The returned slices
// are shared by every subscriber and must not be changed. Next returns
// ErrFellBehind when the subscriber's next event has left the log,
// ErrEnded once every event of an ended stream has been returned, and
// the cause of ctx when ctx ends first.
func (sub *Subscriber) Next(ctx context.Context, dst [][]byte) ([][]byte, error) {
	if sub.closed {
		return dst, ErrClosed
	}
	s := sub.s
	for {
		s.mu.RLock()
		switch {
		case sub.next < s.tail:
			s.mu.RUnlock()
			return dst, ErrFellBehind
		case sub.next <= s.head:
			n := min(s.head-sub.next+1, uint64(max(cap(dst)-len(dst), 1)))
			for i := range n {
				dst = append(dst, s.log.at(int(sub.next+i-s.tail)).data)
			}
			sub.next += n
			s.mu.RUnlock()
			return dst, nil
		case s.done:
			s.mu.RUnlock()
			return dst, ErrEnded
		}
		wait := s.notify
		s.mu.RUnlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return dst, context.Cause(ctx)
		}
	}
}

// Ready reports whether Next would return without waiting.
func (sub *Subscriber) Ready() bool {
	s := sub.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sub.next <= s.head || s.done || sub.next < s.tail
}

// Outcome returns how the stream ended, once Next has returned ErrEnded:
// the producer's final event (nil for none) and its error (nil for a
// normal end).
func (sub *Subscriber) Outcome() (final []byte, err error) {
	s := sub.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.final, s.err
}

// Close leaves the stream. Once its last subscriber has left, the
// stream's producer is cancelled after the linger. Close may be called
// more than once.
func (sub *Subscriber) Close() {
	if sub.closed {
		return
	}
	sub.closed = true
	sub.s.hub.leave(sub.s)
}
