package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssegw/ssegw/internal/fanout"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// cfg is a configuration with room for everything the tests publish.
var cfg = fanout.Config{QueueEvents: 64, QueueBytes: 1 << 20, ReplayEvents: 64}

// feed is a producer driven by a test: it publishes what the test sends
// on events, opens on open, and ends with what the test sends on end.
type feed struct {
	open   chan any
	events chan event
	end    chan result
	starts chan struct{}        // a value each time the producer starts
	ctxs   chan context.Context // the context of each start
	ids    chan string          // the id of each published event
}

type event struct {
	id   string // "auto": the hub's NextID
	data []byte
}

type result struct {
	final []byte
	err   error
}

func newFeed() *feed {
	return &feed{
		open: make(chan any), events: make(chan event), end: make(chan result),
		starts: make(chan struct{}, 16), ctxs: make(chan context.Context, 16), ids: make(chan string, 1024),
	}
}

func (f *feed) spec(c fanout.Config) fanout.Spec {
	return fanout.Spec{Config: c, Produce: f.produce}
}

func (f *feed) produce(ctx context.Context, p *fanout.Publisher) ([]byte, error) {
	f.starts <- struct{}{}
	f.ctxs <- ctx
	for {
		select {
		case h := <-f.open:
			p.Open(h)
		case ev := <-f.events:
			id := ev.id
			if id == "auto" {
				id = string(p.NextID(nil))
			}
			p.Publish(id, ev.data)
			f.ids <- id
		case r := <-f.end:
			return r.final, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// publish publishes data with id and waits until it is in the log.
func (f *feed) publish(t *testing.T, id, data string) string {
	t.Helper()
	f.events <- event{id: id, data: []byte(data)}
	return <-f.ids
}

func newHub(t *testing.T) *fanout.Hub {
	h := fanout.NewHub()
	t.Cleanup(h.Close)
	return h
}

func join(t *testing.T, h *fanout.Hub, key, after string, spec fanout.Spec) *fanout.Subscriber {
	t.Helper()
	sub, err := h.Join(key, after, spec)
	if err != nil {
		t.Fatalf("Join(%q, %q): %v", key, after, err)
	}
	t.Cleanup(sub.Close)
	return sub
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// read reads n events from sub.
func read(t *testing.T, ctx context.Context, sub *fanout.Subscriber, n int) []string {
	t.Helper()
	var out []string
	buf := make([][]byte, 0, 4)
	for len(out) < n {
		evs, err := sub.Next(ctx, buf[:0])
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		for _, ev := range evs {
			out = append(out, string(ev))
		}
	}
	if len(out) != n {
		t.Fatalf("read %d events, want %d: %q", len(out), n, out)
	}
	return out
}

func TestOneProducerManySubscribers(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	var subs []*fanout.Subscriber
	for range 5 {
		subs = append(subs, join(t, h, "k", "", f.spec(cfg)))
	}
	<-f.starts
	f.open <- "header"
	for i, sub := range subs {
		header, err := sub.Open(ctx)
		if err != nil || header != "header" {
			t.Fatalf("subscriber %d: Open = %v, %v", i, header, err)
		}
	}
	published := []byte("data: 1\n\n")
	f.events <- event{data: published}
	<-f.ids
	for i, sub := range subs {
		evs, err := sub.Next(ctx, nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("subscriber %d: Next = %q, %v", i, evs, err)
		}
		if &evs[0][0] != &published[0] {
			t.Errorf("subscriber %d got a copy of the event, not the published bytes", i)
		}
	}
	if n := h.Streams(); n != 1 {
		t.Errorf("Streams = %d, want 1", n)
	}
	select {
	case <-f.starts:
		t.Fatal("a second producer started")
	default:
	}
}

func TestEndReachesEverySubscriber(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{{"end", nil}, {"error", errors.New("backend failed")}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			h := newHub(t)
			f := newFeed()
			a := join(t, h, "k", "", f.spec(cfg))
			b := join(t, h, "k", "", f.spec(cfg))
			<-f.starts
			for i := range 3 {
				f.publish(t, "", strconv.Itoa(i))
			}
			final := []byte("event: " + tc.name + "\n\n")
			f.end <- result{final, tc.err}
			for _, sub := range []*fanout.Subscriber{a, b} {
				if got := read(t, ctx, sub, 3); fmt.Sprint(got) != "[0 1 2]" {
					t.Errorf("events %q", got)
				}
				if _, err := sub.Next(ctx, nil); !errors.Is(err, fanout.ErrEnded) {
					t.Fatalf("Next after the end = %v, want ErrEnded", err)
				}
				gotFinal, gotErr := sub.Outcome()
				if string(gotFinal) != string(final) || !errors.Is(gotErr, tc.err) {
					t.Errorf("Outcome = %q, %v; want %q, %v", gotFinal, gotErr, final, tc.err)
				}
			}
			// The ended stream is forgotten: the next subscriber starts
			// another.
			join(t, h, "k", "", f.spec(cfg))
			<-f.starts
		})
	}
}

func TestFailureBeforeOpenRefusesSubscribers(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	a := join(t, h, "k", "", f.spec(cfg))
	b := join(t, h, "k", "", f.spec(cfg))
	<-f.starts
	refused := errors.New("not found")
	f.end <- result{nil, refused}
	for _, sub := range []*fanout.Subscriber{a, b} {
		if _, err := sub.Open(ctx); !errors.Is(err, refused) {
			t.Errorf("Open = %v, want %v", err, refused)
		}
	}
}

func TestOpenWaitsForTheProducer(t *testing.T) {
	h := newHub(t)
	f := newFeed()
	sub := join(t, h, "k", "", f.spec(cfg))
	<-f.starts
	ctx, cancel := context.WithCancelCause(context.Background())
	gone := errors.New("client gone")
	cancel(gone)
	if _, err := sub.Open(ctx); !errors.Is(err, gone) {
		t.Errorf("Open with a cancelled context = %v, want its cause", err)
	}
	if _, err := sub.Next(ctx, nil); !errors.Is(err, gone) {
		t.Errorf("Next with a cancelled context = %v, want its cause", err)
	}
}

func TestKeysAreSeparate(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	fa, fb := newFeed(), newFeed()
	a := join(t, h, "a", "", fa.spec(cfg))
	b := join(t, h, "b", "", fb.spec(cfg))
	<-fa.starts
	<-fb.starts
	fa.publish(t, "", "for a")
	fb.publish(t, "", "for b")
	if got := read(t, ctx, a, 1); got[0] != "for a" {
		t.Errorf("a got %q", got)
	}
	if got := read(t, ctx, b, 1); got[0] != "for b" {
		t.Errorf("b got %q", got)
	}
	if n := h.Streams(); n != 2 {
		t.Errorf("Streams = %d, want 2", n)
	}
}

func TestSlowSubscriberIsCutAlone(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	small := fanout.Config{QueueEvents: 4, QueueBytes: 1 << 20}
	slow := join(t, h, "k", "", f.spec(small))
	fast := join(t, h, "k", "", f.spec(small))
	<-f.starts
	for i := range 10 {
		f.publish(t, "", strconv.Itoa(i))
		if got := read(t, ctx, fast, 1); got[0] != strconv.Itoa(i) {
			t.Fatalf("fast subscriber got %q, want %d", got, i)
		}
	}
	if _, err := slow.Next(ctx, nil); !errors.Is(err, fanout.ErrFellBehind) {
		t.Fatalf("slow subscriber's Next = %v, want ErrFellBehind", err)
	}
	f.publish(t, "", "10")
	if got := read(t, ctx, fast, 1); got[0] != "10" {
		t.Errorf("after the cut, fast subscriber got %q", got)
	}
}

func TestQueueBytesBound(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	c := fanout.Config{QueueEvents: 100, QueueBytes: 10}
	behind := join(t, h, "k", "", f.spec(c))
	within := join(t, h, "k", "", f.spec(c))
	<-f.starts
	f.publish(t, "", "aaaa")
	f.publish(t, "", "bbbb")
	if got := read(t, ctx, within, 2); fmt.Sprint(got) != "[aaaa bbbb]" {
		t.Fatalf("got %q", got)
	}
	// A third event takes the log over 10 bytes: the oldest leaves it,
	// and the subscriber that had not read it is cut.
	f.publish(t, "", "cccc")
	if _, err := behind.Next(ctx, nil); !errors.Is(err, fanout.ErrFellBehind) {
		t.Errorf("Next = %v, want ErrFellBehind", err)
	}
	if got := read(t, ctx, within, 1); got[0] != "cccc" {
		t.Fatalf("got %q", got)
	}
	// An event larger than the bound is still delivered.
	f.publish(t, "", "a large event, larger than the bound")
	if got := read(t, ctx, within, 1); got[0] != "a large event, larger than the bound" {
		t.Errorf("got %q", got)
	}
}

func TestReplayWindow(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	c := fanout.Config{QueueEvents: 4, QueueBytes: 1 << 20, ReplayEvents: 5}
	first := join(t, h, "k", "", f.spec(c))
	<-f.starts
	for i := 1; i <= 10; i++ {
		f.publish(t, strconv.Itoa(i), strconv.Itoa(i))
	}
	_ = first
	sub := join(t, h, "k", "7", f.spec(c))
	if sub.Replayed() != 3 {
		t.Errorf("Replayed = %d, want 3", sub.Replayed())
	}
	f.publish(t, "11", "11")
	if got := read(t, ctx, sub, 4); fmt.Sprint(got) != "[8 9 10 11]" {
		t.Errorf("after 7: %q", got)
	}
	// The newest event: nothing to replay, and the live ones follow.
	latest := join(t, h, "k", "11", f.spec(c))
	f.publish(t, "12", "12")
	if got := read(t, ctx, latest, 1); got[0] != "12" {
		t.Errorf("after 11: %q", got)
	}
	for _, id := range []string{"7", "1", "unknown", "8-1"} {
		if _, err := h.Join("k", id, f.spec(c)); !errors.Is(err, fanout.ErrNotInWindow) {
			t.Errorf("Join after %q (outside the window of 8…12) = %v, want ErrNotInWindow", id, err)
		}
	}
	// No stream of that key: an id is never in a window.
	if _, err := h.Join("other", "3", f.spec(c)); !errors.Is(err, fanout.ErrNotInWindow) {
		t.Errorf("Join after an id of a key with no stream = %v, want ErrNotInWindow", err)
	}
	if n := h.Streams(); n != 1 {
		t.Errorf("Streams = %d, want 1", n)
	}
}

func TestReplayAge(t *testing.T) {
	h := newHub(t)
	f := newFeed()
	old := join(t, h, "old", "", f.spec(fanout.Config{QueueEvents: 8, QueueBytes: 1 << 20, ReplayEvents: 8, ReplayAge: time.Nanosecond}))
	<-f.starts
	f.publish(t, "1", "1")
	f.publish(t, "2", "2")
	_ = old
	if _, err := h.Join("old", "1", f.spec(cfg)); !errors.Is(err, fanout.ErrNotInWindow) {
		t.Errorf("Join after an event older than the replay age = %v, want ErrNotInWindow", err)
	}
	g := newFeed()
	young := join(t, h, "young", "", g.spec(fanout.Config{QueueEvents: 8, QueueBytes: 1 << 20, ReplayEvents: 8, ReplayAge: time.Hour}))
	<-g.starts
	g.publish(t, "1", "1")
	g.publish(t, "2", "2")
	_ = young
	if _, err := h.Join("young", "1", g.spec(cfg)); err != nil {
		t.Errorf("Join after an event younger than the replay age = %v", err)
	}
}

func TestEpochIDs(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	sub := join(t, h, "k", "", f.spec(cfg))
	<-f.starts
	id1 := f.publish(t, "auto", "1")
	id2 := f.publish(t, "auto", "2")
	read(t, ctx, sub, 2)
	epoch, n, ok := cut(id2)
	if !ok || n != "2" || id1 != epoch+"-1" || len(epoch) != 13 {
		t.Fatalf("ids %q, %q: want <13 characters of epoch>-1 and -2", id1, id2)
	}
	again := join(t, h, "k", id1, f.spec(cfg))
	if got := read(t, ctx, again, 1); got[0] != "2" {
		t.Errorf("after %s: %q", id1, got)
	}

	// Another stream, on another hub as on another replica, has another
	// epoch: its ids are not found here, nor these there.
	h2 := newHub(t)
	g := newFeed()
	join(t, h2, "k", "", g.spec(cfg))
	<-g.starts
	other := g.publish(t, "auto", "x")
	if e, _, _ := cut(other); e == epoch {
		t.Fatalf("two streams have the same epoch %q", e)
	}
	if _, err := h.Join("k", other, f.spec(cfg)); !errors.Is(err, fanout.ErrNotInWindow) {
		t.Errorf("Join after an id of another epoch = %v, want ErrNotInWindow", err)
	}
	if _, err := h2.Join("k", id1, g.spec(cfg)); !errors.Is(err, fanout.ErrNotInWindow) {
		t.Errorf("Join after an id of another epoch = %v, want ErrNotInWindow", err)
	}
}

func cut(id string) (epoch, n string, ok bool) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '-' {
			return id[:i], id[i+1:], true
		}
	}
	return "", "", false
}

func TestStartID(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	spec := f.spec(fanout.Config{QueueEvents: 8, QueueBytes: 1 << 20, ReplayEvents: 4})
	spec.Start = "41"
	a := join(t, h, "k@41", "41", spec)
	<-f.starts
	f.publish(t, "42", "42")
	f.publish(t, "43", "43")
	// Another subscriber resuming from the same id shares the stream
	// from its first event.
	b := join(t, h, "k@41", "41", spec)
	if got := read(t, ctx, b, 2); fmt.Sprint(got) != "[42 43]" {
		t.Errorf("second subscriber after 41: %q", got)
	}
	if got := read(t, ctx, a, 2); fmt.Sprint(got) != "[42 43]" {
		t.Errorf("first subscriber: %q", got)
	}
	// Once the first event has left the window, the start id is
	// outside it.
	for i := 44; i <= 47; i++ {
		f.publish(t, strconv.Itoa(i), strconv.Itoa(i))
	}
	if _, err := h.Join("k@41", "41", spec); !errors.Is(err, fanout.ErrNotInWindow) {
		t.Errorf("Join after the start id once the first event left the window = %v, want ErrNotInWindow", err)
	}
	select {
	case <-f.starts:
		t.Fatal("a second producer started")
	default:
	}
}

func TestStartIDWithoutReplay(t *testing.T) {
	h := newHub(t)
	f := newFeed()
	spec := f.spec(fanout.Config{QueueEvents: 8, QueueBytes: 1 << 20})
	spec.Start = "9"
	join(t, h, "k@9", "9", spec)
	<-f.starts
	// Nothing published yet: nothing to replay, so joining after the
	// start id is joining live.
	join(t, h, "k@9", "9", spec)
	f.publish(t, "10", "10")
	if _, err := h.Join("k@9", "9", spec); !errors.Is(err, fanout.ErrNotInWindow) {
		t.Errorf("Join after the start id with an event published and no window = %v, want ErrNotInWindow", err)
	}
}

func TestLinger(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	f := newFeed()
	c := cfg
	c.Linger = time.Hour
	sub := join(t, h, "k", "", f.spec(c))
	<-f.starts
	pctx := <-f.ctxs
	id := f.publish(t, "auto", "1")
	sub.Close()
	// Within the linger the stream runs on, with its window.
	if pctx.Err() != nil {
		t.Fatal("the producer was cancelled within the linger")
	}
	back := join(t, h, "k", id, f.spec(c))
	f.publish(t, "auto", "2")
	if got := read(t, ctx, back, 1); got[0] != "2" {
		t.Errorf("after rejoining: %q", got)
	}
	select {
	case <-f.starts:
		t.Fatal("a subscriber joining within the linger started a new producer")
	default:
	}

	short := cfg
	short.Linger = 20 * time.Millisecond
	g := newFeed()
	s2 := join(t, h, "short", "", g.spec(short))
	<-g.starts
	gctx := <-g.ctxs
	s2.Close()
	select {
	case <-gctx.Done():
	case <-ctx.Done():
		t.Fatal("the producer was not cancelled after the linger")
	}
	join(t, h, "short", "", g.spec(short))
	select {
	case <-g.starts:
	case <-ctx.Done():
		t.Fatal("a subscriber after the linger did not start a new producer")
	}
}

func TestNoLingerCancelsAtOnce(t *testing.T) {
	h := newHub(t)
	f := newFeed()
	sub := join(t, h, "k", "", f.spec(cfg))
	<-f.starts
	pctx := <-f.ctxs
	sub.Close()
	if pctx.Err() == nil {
		t.Fatal("the producer runs on after its last subscriber left, with no linger")
	}
	if n := h.Streams(); n != 0 {
		t.Errorf("Streams = %d, want 0", n)
	}
	sub.Close() // a second Close does nothing
	if _, err := sub.Next(context.Background(), nil); !errors.Is(err, fanout.ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
}

func TestClosedHub(t *testing.T) {
	h := fanout.NewHub()
	f := newFeed()
	sub, err := h.Join("k", "", f.spec(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	<-f.starts
	h.Close()
	if _, err := sub.Next(context.Background(), nil); !errors.Is(err, fanout.ErrEnded) {
		t.Errorf("Next after the hub closed = %v, want ErrEnded", err)
	}
	if _, err := h.Join("k", "", f.spec(cfg)); !errors.Is(err, fanout.ErrClosed) {
		t.Errorf("Join on a closed hub = %v, want ErrClosed", err)
	}
}

func TestInvalidConfig(t *testing.T) {
	h := newHub(t)
	for _, c := range []fanout.Config{
		{QueueBytes: 1},
		{QueueEvents: 1},
		{QueueEvents: 1, QueueBytes: 1, ReplayEvents: -1},
		{QueueEvents: 1, QueueBytes: 1, ReplayAge: -1},
		{QueueEvents: 1, QueueBytes: 1, Linger: -1},
	} {
		if _, err := h.Join("k", "", newFeed().spec(c)); err == nil {
			t.Errorf("Join with %+v: no error", c)
		}
	}
}

// TestJoinWhilePublishing joins subscribers after the id of the newest
// event a reference subscriber has read, while the producer publishes as
// fast as it can: each must receive exactly the events after that id,
// none lost between the window and the live events, none repeated.
func TestJoinWhilePublishing(t *testing.T) {
	ctx := testContext(t)
	h := newHub(t)
	const total = 3000
	c := fanout.Config{QueueEvents: total, QueueBytes: 1 << 30, ReplayEvents: total}
	started, release := make(chan struct{}), make(chan struct{})
	spec := fanout.Spec{Config: c, Produce: func(ctx context.Context, p *fanout.Publisher) ([]byte, error) {
		<-started
		for i := 1; i <= total; i++ {
			p.Publish(strconv.Itoa(i), []byte(strconv.Itoa(i)))
		}
		<-release // the stream ends once every subscriber has joined
		return nil, nil
	}}
	ref := join(t, h, "k", "", spec)
	close(started)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	seen := 0
	buf := make([][]byte, 0, 16)
	for seen < total {
		evs, err := ref.Next(ctx, buf[:0])
		if err != nil {
			t.Fatal(err)
		}
		seen += len(evs)
		if seen%97 > 10 || seen == total {
			continue
		}
		from := seen
		after := strconv.Itoa(from)
		sub, err := h.Join("k", after, spec)
		if err != nil {
			t.Fatalf("Join after %s: %v", after, err)
		}
		wg.Go(func() {
			defer sub.Close()
			want := from + 1
			buf := make([][]byte, 0, 16)
			for {
				evs, err := sub.Next(ctx, buf[:0])
				if errors.Is(err, fanout.ErrEnded) {
					if want != total+1 {
						errs <- fmt.Errorf("after %s: ended at %d", after, want)
					}
					return
				}
				if err != nil {
					errs <- err
					return
				}
				for _, ev := range evs {
					if string(ev) != strconv.Itoa(want) {
						errs <- fmt.Errorf("after %s: got %s, want %d", after, ev, want)
						return
					}
					want++
				}
			}
		})
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
