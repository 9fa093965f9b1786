package fanout

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Errors of Join and of a Subscriber.
var (
	// ErrNotInWindow is returned by Join when the id to join after is
	// not that of an event in the stream's replay window. Nothing was
	// joined.
	ErrNotInWindow = errors.New("fanout: the last event id is not in the replay window")
	// ErrFellBehind is returned by Subscriber.Next when the subscriber's
	// next event has left the stream's log: it fell further behind than
	// its queue allows.
	ErrFellBehind = errors.New("fanout: the subscriber fell behind")
	// ErrEnded is returned by Subscriber.Next once the subscriber has
	// had every event of a stream that ended; Outcome says how.
	ErrEnded = errors.New("fanout: the stream ended")
	// ErrClosed is returned by Join once the hub is closed, and by the
	// methods of a closed Subscriber.
	ErrClosed = errors.New("fanout: closed")
)

// Producer runs a shared stream: typically a backend call whose messages
// it encodes and publishes. It calls p.Open once the stream has started,
// p.Publish for each event, and returns when the stream ends: final is
// the encoded last event every subscriber receives (nil for none), err
// nil for a normal end. A producer that returns an error before calling
// Open refuses the stream: Subscriber.Open returns the error. ctx is
// cancelled when the stream is no longer wanted (its linger after the
// last subscriber left) or the hub closes.
type Producer func(ctx context.Context, p *Publisher) (final []byte, err error)

// Spec describes a stream to start when a subscriber joins a key that has
// none.
type Spec struct {
	Config
	// Start, when not empty, is the id of the event the stream's first
	// event follows (the resume point of the producer's call): a
	// subscriber that joins after Start receives the stream from its
	// first event, while that is in the window.
	Start string
	// Produce runs the stream.
	Produce Producer
}

// Hub holds shared streams by key. It is safe for concurrent use. The
// zero value is not usable: use NewHub.
type Hub struct {
	ctx       context.Context // the producers' parent
	cancel    context.CancelFunc
	producers sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	streams map[string]*shared
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{ctx: ctx, cancel: cancel, streams: map[string]*shared{}}
}

// Streams returns the number of streams whose producers run for their
// subscribers now (lingering ones included).
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams)
}

// Join subscribes to the stream of key, starting it with spec when there
// is none.
//
// With after empty, the subscriber starts live: it receives the events
// published from now on. Otherwise it starts after the event whose id is
// after, which must be in the window of the stream of key, or be
// spec.Start for a stream that Join starts; if it is not, Join returns
// ErrNotInWindow and subscribes to nothing.
//
// The subscriber must be closed.
func (h *Hub) Join(key, after string, spec Spec) (*Subscriber, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	s := h.streams[key]
	started := s == nil
	if started {
		if after != "" && after != spec.Start {
			return nil, ErrNotInWindow
		}
		if err := spec.Config.Validate(); err != nil {
			return nil, err
		}
		s = h.start(key, spec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.head + 1
	switch {
	case started:
		// The subscriber that starts a stream has all of it, including
		// what its producer may have published already.
		next = 1
	case after != "":
		seq, ok := s.find(after)
		if !ok {
			return nil, ErrNotInWindow
		}
		next = seq + 1
	}
	s.subs++
	if s.linger != nil {
		s.linger.Stop()
	}
	sub := &Subscriber{s: s, next: next}
	if !started {
		sub.replayed = int(s.head + 1 - next)
	}
	return sub, nil
}

// Close cancels every producer, waits for them to return, and refuses
// new subscribers. Subscribers of the streams receive their ends.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.producers.Wait()
}

// start starts the stream of key and its producer. h.mu is held.
func (h *Hub) start(key string, spec Spec) *shared {
	ctx, cancel := context.WithCancel(h.ctx)
	s := &shared{
		hub:     h,
		key:     key,
		cfg:     spec.Config,
		start:   spec.Start,
		epoch:   newEpoch(),
		born:    time.Now(),
		cancel:  cancel,
		notify:  make(chan struct{}),
		tail:    1,
		maxLogN: spec.Config.logEvents(),
	}
	h.streams[key] = s
	h.producers.Add(1)
	go func() {
		defer h.producers.Done()
		defer cancel()
		final, err := spec.Produce(ctx, &Publisher{s: s})
		h.finish(s, final, err)
	}()
	return s
}

// finish records the end of s, which its subscribers read once they have
// had the events before it, and forgets s, so that the next subscriber of
// its key starts a new stream.
func (h *Hub) finish(s *shared, final []byte, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streams[s.key] == s {
		delete(h.streams, s.key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done, s.final, s.err = true, final, err
	if err == nil {
		s.opened = true
	}
	if s.linger != nil {
		s.linger.Stop()
	}
	s.wake()
}

// leave uncounts a subscriber of s, and once none is left, cancels the
// producer at once or after the linger.
func (h *Hub) leave(s *shared) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs--
	if s.subs > 0 || s.done {
		return
	}
	if s.cfg.Linger <= 0 {
		h.forget(s)
		return
	}
	// A timer of an earlier linger may have fired and wait for h.mu now:
	// the generation tells it that its linger is over.
	if s.linger != nil {
		s.linger.Stop()
	}
	s.lingers++
	gen := s.lingers
	s.linger = time.AfterFunc(s.cfg.Linger, func() { h.expire(s, gen) })
}

// expire runs when the linger gen of s has passed: unless a subscriber
// has joined meanwhile, or a later linger has started, the producer is
// cancelled.
func (h *Hub) expire(s *shared, gen uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs == 0 && !s.done && s.lingers == gen {
		h.forget(s)
	}
}

// forget takes s out of the hub and cancels its producer. h.mu and s.mu
// are held.
func (h *Hub) forget(s *shared) {
	if h.streams[s.key] == s {
		delete(h.streams, s.key)
	}
	s.cancel()
}

// newEpoch returns a random name for a stream's epoch: 13 characters of
// base 36.
func newEpoch() string {
	return strconv.FormatUint(rand.Uint64()|1<<63, 36)
}
