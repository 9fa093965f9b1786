package fanout

import (
	"context"
	"testing"
	"time"
)

// TestLingerIsNotCutShortByAnEarlierTimer: when the timer of a linger has
// fired but waits for the hub's lock while a subscriber joins and leaves
// again, the new linger must run its full length.
func TestLingerIsNotCutShortByAnEarlierTimer(t *testing.T) {
	h := NewHub()
	defer h.Close()
	produce := func(ctx context.Context, p *Publisher) ([]byte, error) {
		p.Open(nil)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	spec := Spec{Config: Config{QueueEvents: 1, QueueBytes: 1 << 10, Linger: time.Millisecond}, Produce: produce}
	sub, err := h.Join("k", "", spec)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	s := h.streams["k"]
	h.mu.Unlock()
	sub.Close() // the first linger, of a millisecond

	h.mu.Lock()
	time.Sleep(50 * time.Millisecond) // its timer fires, and its expire waits for h.mu
	s.mu.Lock()
	s.subs++ // a subscriber joins…
	s.cfg.Linger = time.Hour
	s.mu.Unlock()
	h.mu.Unlock()
	h.leave(s) // …and leaves: a linger of an hour starts

	time.Sleep(50 * time.Millisecond) // the first timer's expire has run
	if h.Streams() != 1 {
		t.Fatal("the stream was cancelled at once, not after its new linger")
	}
}
