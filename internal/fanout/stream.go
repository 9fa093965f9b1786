package fanout

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// shared is one shared stream: its producer's state, its log, and the
// count of its subscribers.
type shared struct {
	hub     *Hub
	key     string
	cfg     Config
	start   string // the id the first event follows, or ""
	epoch   string
	born    time.Time
	cancel  context.CancelFunc
	maxLogN int

	mu sync.RWMutex
	// notify is closed, and replaced, whenever there is something new
	// to read: an event, the opening, the end.
	notify chan struct{}
	opened bool
	header any
	// The log holds the events tail…head; head is 0 before the first.
	log    ring
	head   uint64
	tail   uint64
	bytes  int
	done   bool
	final  []byte
	err    error
	subs   int
	linger *time.Timer
	// lingers counts the lingers started; a timer expires only its own.
	lingers uint64
}

// wake tells the waiting subscribers that something changed. s.mu is
// held for writing.
func (s *shared) wake() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// find returns the sequence number of the event with the given id, or 0
// for the start id, when a subscriber may join after it: the event is in
// the replay window and the events after it are all in the log. s.mu is
// held.
func (s *shared) find(id string) (seq uint64, ok bool) {
	if s.head == 0 && id == s.start {
		return 0, true // nothing to replay yet
	}
	if s.cfg.ReplayEvents == 0 {
		return 0, false
	}
	oldest := s.tail
	if s.head >= uint64(s.cfg.ReplayEvents) {
		oldest = max(oldest, s.head-uint64(s.cfg.ReplayEvents)+1)
	}
	now := time.Since(s.born).Nanoseconds()
	for seq := s.head; seq >= oldest && seq > 0; seq-- {
		e := s.log.at(int(seq - s.tail))
		if s.cfg.ReplayAge > 0 && now-e.at > s.cfg.ReplayAge.Nanoseconds() {
			break
		}
		if e.id == id {
			return seq, true
		}
	}
	if id == s.start && s.tail == 1 && s.head < uint64(s.cfg.ReplayEvents) &&
		(s.cfg.ReplayAge <= 0 || now <= s.cfg.ReplayAge.Nanoseconds()) {
		return 0, true
	}
	return 0, false
}

// Publisher is the producer's side of a shared stream. Its methods are
// called by the producer only.
type Publisher struct {
	s *shared
}

// Open tells the subscribers that the stream has started, with header, an
// opaque value their Open returns (such as the response headers of a
// backend call). Publish opens a stream that is not open yet, with a nil
// header.
func (p *Publisher) Open(header any) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opened {
		s.opened, s.header = true, header
		s.wake()
	}
}

// Publish adds an event to the stream: data is its encoding, written as
// it is to every subscriber, and must not be changed afterwards; id, when
// not empty, is what a subscriber names to join after it.
func (p *Publisher) Publish(id string, data []byte) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = true
	if s.log.n == s.maxLogN {
		s.drop()
	}
	s.log.push(entry{id: id, data: data, at: time.Since(s.born).Nanoseconds()})
	s.head++
	s.bytes += len(data)
	for s.bytes > s.cfg.QueueBytes && s.log.n > 1 {
		s.drop()
	}
	s.wake()
}

// drop removes the oldest event of the log. s.mu is held.
func (s *shared) drop() {
	s.bytes -= s.log.pop()
	s.tail++
}

// Epoch returns the name of the stream's epoch, which the ids of NextID
// begin with.
func (p *Publisher) Epoch() string { return p.s.epoch }

// NextID appends to dst the id the hub would give the next event: the
// stream's epoch, a dash, and the event's number, from 1, as in
// "2x7kq9vd1m0zs-42". Ids of another epoch are never found in this
// stream's window.
func (p *Publisher) NextID(dst []byte) []byte {
	s := p.s
	s.mu.RLock()
	n := s.head + 1
	s.mu.RUnlock()
	dst = append(dst, s.epoch...)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, n, 10)
}

// Subscribers returns the number of subscribers of the stream now.
func (p *Publisher) Subscribers() int {
	s := p.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.subs
}
