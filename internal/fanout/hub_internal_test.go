package fanout

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestStarterHasTheFirstEvent: the subscriber whose Join starts a stream
// receives its first event, even when the producer publishes it before
// Join has placed the subscriber's cursor. The producer here publishes at
// once, and races Join for the stream's lock; many streams make the race
// come out both ways.
func TestStarterHasTheFirstEvent(t *testing.T) {
	h := NewHub()
	defer h.Close()
	produce := func(ctx context.Context, p *Publisher) ([]byte, error) {
		p.Publish("1", []byte("first"))
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 2000 {
		spec := Spec{Config: Config{QueueEvents: 4, QueueBytes: 1 << 10}, Produce: produce}
		sub, err := h.Join(fmt.Sprint(i), "", spec)
		if err != nil {
			t.Fatal(err)
		}
		events, err := sub.Next(ctx, nil)
		if err != nil || len(events) != 1 || string(events[0]) != "first" {
			t.Fatalf("stream %d: the subscriber that started it read %q, %v; want its first event", i, events, err)
		}
		if sub.Replayed() != 0 {
			t.Fatalf("stream %d: %d events replayed to the subscriber that started it", i, sub.Replayed())
		}
		sub.Close()
	}
}

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
