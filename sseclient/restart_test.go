package sseclient_test

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/internal/demo"
	"github.com/ssegw/ssegw/sse"
	"github.com/ssegw/ssegw/sseclient"
)

// sequenceReader reads the demo's Sequence stream through one of the
// client's APIs and restarts it.
type sequenceReader struct {
	recv    func() (*demov1.SequenceEvent, error)
	restart func() error
	close   func()
}

// rawSequence decodes the raw events of a Sequence stream, checking that
// each event's ID is its sequence number.
func rawSequence(next func() (sse.Event, error)) func() (*demov1.SequenceEvent, error) {
	return func() (*demov1.SequenceEvent, error) {
		ev, err := next()
		if err != nil {
			return nil, err
		}
		msg := &demov1.SequenceEvent{}
		if err := protojson.Unmarshal(ev.Data, msg); err != nil {
			return nil, fmt.Errorf("event %q: %w", ev.Data, err)
		}
		if ev.ID != strconv.FormatInt(msg.GetSeq(), 10) {
			return nil, fmt.Errorf("event %d has ID %q", msg.GetSeq(), ev.ID)
		}
		return msg, nil
	}
}

// nextAll calls next until it fails and returns the events, with the
// error (nil for io.EOF). It gives up after 10,000 events.
func nextAll(next func() (sse.Event, error)) ([]sse.Event, error) {
	var out []sse.Event
	for range 10_000 {
		ev, err := next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, errors.New("the stream did not end")
}

// restartOne restarts through a Restarter that should hold one stream.
func restartOne(r *sseclient.Restarter) func() error {
	return func() error {
		if n := r.Restart(); n != 1 {
			return fmt.Errorf("Restarter.Restart restarted %d streams, want 1", n)
		}
		return nil
	}
}

// sequenceReaders open the demo's Sequence stream named name through
// each API that can restart it.
var sequenceReaders = map[string]func(t *testing.T, env *demoEnv, name string, opts ...sseclient.Option) sequenceReader{
	"EventStream": func(t *testing.T, env *demoEnv, name string, opts ...sseclient.Option) sequenceReader {
		s, err := newClient(t, env.URL, env.HTTP, opts...).Open(testContext(t), "/v1/"+name+"/events?interval=2ms")
		if err != nil {
			t.Fatal(err)
		}
		return sequenceReader{recv: rawSequence(s.Next), restart: s.Restart, close: func() { s.Close() }}
	},
	"Events with a Restarter": func(t *testing.T, env *demoEnv, name string, opts ...sseclient.Option) sequenceReader {
		var r sseclient.Restarter
		c := newClient(t, env.URL, env.HTTP, opts...)
		next, stop := iter.Pull2(iter.Seq2[sse.Event, error](c.Events(testContext(t), "/v1/"+name+"/events?interval=2ms", sseclient.WithRestarter(&r))))
		return sequenceReader{
			recv: rawSequence(func() (sse.Event, error) {
				ev, err, ok := next()
				if !ok {
					return sse.Event{}, io.EOF
				}
				return ev, err
			}),
			restart: restartOne(&r),
			close:   stop,
		}
	},
	"Stream": func(t *testing.T, env *demoEnv, name string, opts ...sseclient.Option) sequenceReader {
		s, err := sseclient.Subscribe[*demov1.SequenceEvent](testContext(t), newClient(t, env.URL, env.HTTP, opts...), "/v1/"+name+"/events?interval=2ms")
		if err != nil {
			t.Fatal(err)
		}
		return sequenceReader{recv: s.Recv, restart: s.Restart, close: func() { s.Close() }}
	},
	"Conn with a Restarter": func(t *testing.T, env *demoEnv, name string, opts ...sseclient.Option) sequenceReader {
		var r sseclient.Restarter
		stream, err := demov1.NewDemoServiceClient(newConn(t, env, opts...)).Sequence(testContext(t),
			&demov1.SequenceRequest{Name: name, Interval: durationpb.New(2 * time.Millisecond)},
			sseclient.PerCall(sseclient.WithRestarter(&r)))
		if err != nil {
			t.Fatal(err)
		}
		return sequenceReader{recv: stream.Recv, restart: restartOne(&r), close: func() {}}
	},
}

// TestRestartResumesWithoutGapOrRepeat restarts the demo's resumable
// stream from another goroutine while it is being read, through each API:
// the client reconnects at once with Last-Event-ID, without counting a
// reconnection (reconnection is off), and the messages go on with nothing
// lost and nothing repeated.
func TestRestartResumesWithoutGapOrRepeat(t *testing.T) {
	for kind, open := range sequenceReaders {
		t.Run(kind, func(t *testing.T) {
			env := startDemo(t)
			var mu sync.Mutex
			var connects []string
			reconnects := 0
			hooks := sseclient.Hooks{
				OnConnect: func(_, lastEventID string, attempt int) {
					mu.Lock()
					defer mu.Unlock()
					connects = append(connects, fmt.Sprintf("%s@%d", lastEventID, attempt))
				},
				OnReconnect: func(string, int, time.Duration, error) {
					mu.Lock()
					defer mu.Unlock()
					reconnects++
				},
			}
			const name, restartAt = "streams/restart", 10
			s := open(t, env, name, sseclient.WithHooks(hooks))
			defer s.close()
			// Restart after message 10, from another goroutine, and read
			// on until 10 messages after it returned: the next Next after
			// a restart uses a new connection.
			restarted := make(chan error, 1)
			returnedAt := int64(0)
			for seq := int64(1); returnedAt == 0 || seq <= returnedAt+10; seq++ {
				if seq > 10_000 {
					t.Fatal("the restart did not return")
				}
				msg, err := s.recv()
				if err != nil {
					t.Fatalf("message %d: %v", seq, err)
				}
				if want := demo.SequenceEventAt(name, seq); !proto.Equal(msg, want) {
					t.Fatalf("message %d = %v, want %v", seq, msg, want)
				}
				if seq == restartAt {
					go func() { restarted <- s.restart() }()
				}
				select {
				case err := <-restarted:
					if err != nil {
						t.Fatalf("restart: %v", err)
					}
					returnedAt = seq
				default:
				}
			}
			reqs := env.Seen.all()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			id := reqs[1].Header.Get("Last-Event-ID")
			if n, err := strconv.Atoi(id); err != nil || n < restartAt || n > int(returnedAt) {
				t.Errorf("the restart sent Last-Event-ID %q, want the id of a message received (%d to %d)", id, restartAt, returnedAt)
			}
			select {
			case <-reqs[0].Done:
			case <-time.After(waitTimeout):
				t.Error("the first request did not end at the server")
			}
			mu.Lock()
			defer mu.Unlock()
			if want := []string{"@0", id + "@0"}; fmt.Sprint(connects) != fmt.Sprint(want) || reconnects != 0 {
				t.Errorf("OnConnect saw %v, want %v; OnReconnect called %d times, want 0", connects, want, reconnects)
			}
		})
	}
}

// TestRestartInterruptsWaitingNext restarts a quiet stream while Next is
// waiting for it: the connection ends at once and a new request carries
// the last event ID.
func TestRestartInterruptsWaitingNext(t *testing.T) {
	env := startDemo(t)
	s, err := newClient(t, env.URL, env.HTTP).Open(testContext(t), "/v1/streams/quiet/events?interval=1h", sseclient.WithLastEventID("5"))
	if err != nil {
		t.Fatal(err)
	}
	first := env.Seen.next(t)
	done := make(chan error, 1)
	go func() {
		_, err := s.Next()
		done <- err
	}()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.Done:
	case <-time.After(waitTimeout):
		t.Fatal("the connection did not end after Restart")
	}
	if second := env.Seen.next(t); second.Header.Get("Last-Event-ID") != "5" {
		t.Errorf("the restart sent Last-Event-ID %q, want 5", second.Header.Get("Last-Event-ID"))
	}
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, sseclient.ErrClosed) {
			t.Errorf("Next = %v, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Next did not return after Close")
	}
	if err := s.Restart(); !errors.Is(err, sseclient.ErrClosed) {
		t.Errorf("Restart after Close = %v, want ErrClosed", err)
	}
}

// TestRestartDuringReconnectionWait restarts a stream that waits an hour
// before its next reconnection attempt: it reconnects at once, and the
// restarts count as no attempts, so that the one allowed attempt is never
// used up.
func TestRestartDuringReconnectionWait(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			writeSSE(w, "id: 1\ndata: a\n\n") // then drops
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			writeSSE(w, "id: 2\ndata: b\n\nevent: end\ndata: {}\n\n")
		}
	})
	waiting := make(chan int, 10)
	var connects []int
	hooks := sseclient.Hooks{
		OnReconnect: func(_ string, attempt int, delay time.Duration, _ error) {
			if delay >= time.Hour {
				waiting <- attempt
			}
		},
		OnConnect: func(_, _ string, attempt int) { connects = append(connects, attempt) },
	}
	c := newClient(t, srv.URL, nil, sseclient.WithMaxReconnectionAttempts(1),
		sseclient.WithReconnectionTime(time.Hour), sseclient.WithMaxReconnectionDelay(2*time.Hour), sseclient.WithHooks(hooks))
	s, err := c.Open(testContext(t), "/")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ev, err := s.Next(); err != nil || string(ev.Data) != "a" {
		t.Fatalf("Next = %s, %v", describe([]sse.Event{ev}), err)
	}
	type result struct {
		events []sse.Event
		err    error
	}
	done := make(chan result, 1)
	go func() {
		events, err := nextAll(s.Next)
		done <- result{events, err}
	}()
	var attempts []int
	for range 2 {
		// The connection dropped, then the restart's request failed:
		// each time the stream waits before attempt 1.
		select {
		case a := <-waiting:
			attempts = append(attempts, a)
		case <-time.After(waitTimeout):
			t.Fatal("the stream is not waiting to reconnect")
		}
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	res := <-done
	if res.err != nil || describe(res.events) != "[|2|b] [end|2|{}]" {
		t.Errorf("after the restarts: %s, %v", describe(res.events), res.err)
	}
	if fmt.Sprint(attempts) != "[1 1]" || fmt.Sprint(connects) != "[0 0]" {
		t.Errorf("waits before attempts %v, connections after %v failed attempts; want [1 1] and [0 0]", attempts, connects)
	}
	for i, r := range srv.Seen.all()[1:] {
		if id := r.Header.Get("Last-Event-ID"); id != "1" {
			t.Errorf("request %d sent Last-Event-ID %q, want 1", i+2, id)
		}
	}
}

// TestRestartDuringConnect restarts streams that are not connected yet,
// through a Restarter: one waiting for the response to its first request,
// with reconnection off, and one waiting before a reconnection attempt.
// Each makes a new request at once, and the interrupted request is no
// failure.
func TestRestartDuringConnect(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.URL.Path == "/slow" && n == 1:
			<-r.Context().Done() // no response until the client goes away
		case r.URL.Path == "/failing" && n == 3:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			writeSSE(w, "id: 1\ndata: x\n\n")
		}
	})
	var r sseclient.Restarter
	waiting := make(chan struct{}, 1)
	hooks := sseclient.Hooks{OnReconnect: func(string, int, time.Duration, error) { waiting <- struct{}{} }}
	c := newClient(t, srv.URL, nil, sseclient.WithRestarter(&r), sseclient.WithHooks(hooks))
	for _, tc := range []struct {
		path string
		opts []sseclient.Option
	}{
		{"/slow", nil},
		{"/failing", []sseclient.Option{sseclient.WithMaxReconnectionAttempts(1), sseclient.WithReconnectionTime(time.Hour)}},
	} {
		type result struct {
			s   *sseclient.EventStream
			err error
		}
		done := make(chan result, 1)
		go func() {
			s, err := c.Open(testContext(t), tc.path, tc.opts...)
			done <- result{s, err}
		}()
		first := srv.Seen.next(t)
		for first.URL != tc.path {
			first = srv.Seen.next(t) // the restart's request of the previous case
		}
		if tc.path == "/failing" {
			select {
			case <-waiting:
			case <-time.After(waitTimeout):
				t.Fatal("the stream is not waiting to reconnect")
			}
		}
		if n := r.Restart(); n != 1 {
			t.Errorf("%s: Restart restarted %d streams, want 1", tc.path, n)
		}
		res := <-done
		if res.err != nil {
			t.Fatalf("%s: Open = %v", tc.path, res.err)
		}
		if ev, err := res.s.Next(); err != nil || string(ev.Data) != "x" {
			t.Errorf("%s: Next = %s, %v", tc.path, describe([]sse.Event{ev}), err)
		}
		res.s.Close()
		select {
		case <-first.Done:
		case <-time.After(waitTimeout):
			t.Fatalf("%s: the first request did not end", tc.path)
		}
		if n := r.Restart(); n != 0 {
			t.Errorf("%s: Restart after Close restarted %d streams, want 0", tc.path, n)
		}
	}
	if n := len(srv.Seen.all()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

// TestRestartDropsBufferedEvents restarts a stream whose connection has
// delivered more than Next returned: the new connection resumes after the
// last event returned, so the events held back are received once.
func TestRestartDropsBufferedEvents(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			writeSSE(w, "id: 1\ndata: a\n\nid: 2\ndata: b\n\n")
			<-r.Context().Done()
			return
		}
		after, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		var b strings.Builder
		for i := after + 1; i <= 3; i++ {
			fmt.Fprintf(&b, "id: %d\ndata: %c\n\n", i, 'a'+i-1)
		}
		writeSSE(w, b.String()+"event: end\ndata: {}\n\n")
	})
	s, err := newClient(t, srv.URL, nil).Open(testContext(t), "/")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ev, err := s.Next()
	if err != nil || string(ev.Data) != "a" {
		t.Fatalf("Next = %s, %v", describe([]sse.Event{ev}), err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	events, err := nextAll(s.Next)
	if err != nil || describe(events) != "[|2|b] [|3|c] [end|3|{}]" {
		t.Errorf("after the restart: %s, %v", describe(events), err)
	}
	if reqs := srv.Seen.all(); len(reqs) != 2 || reqs[1].Header.Get("Last-Event-ID") != "1" {
		t.Errorf("requests %+v", reqs)
	}
}

// TestRestartAfterEndEvent: a stream whose "end" event has arrived ends
// rather than restart.
func TestRestartAfterEndEvent(t *testing.T) {
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "id: 1\ndata: a\n\nevent: end\ndata: {}\n\n")
		<-r.Context().Done()
	})
	s, err := newClient(t, srv.URL, nil).Open(testContext(t), "/")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, want := range []string{"a", "{}"} {
		if ev, err := s.Next(); err != nil || string(ev.Data) != want {
			t.Fatalf("Next = %s, %v; want %s", describe([]sse.Event{ev}), err, want)
		}
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("Next after the end and a restart = %v, want io.EOF", err)
	}
	if err := s.Restart(); !errors.Is(err, sseclient.ErrClosed) {
		t.Errorf("Restart of an ended stream = %v, want ErrClosed", err)
	}
	if n := len(srv.Seen.all()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestRestarterRestartsEveryStream gives one Restarter to a client: it
// restarts every open stream of the client, and forgets closed ones.
func TestRestarterRestartsEveryStream(t *testing.T) {
	env := startDemo(t)
	var r sseclient.Restarter
	if n := r.Restart(); n != 0 {
		t.Errorf("Restart of an unused Restarter = %d", n)
	}
	c := newClient(t, env.URL, env.HTTP, sseclient.WithRestarter(&r))
	a, err := c.Open(testContext(t), "/v1/streams/a/events?interval=1h")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := c.Open(testContext(t), "/v1/streams/b/events?interval=1h")
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Restart(); n != 2 {
		t.Errorf("Restart restarted %d streams, want 2", n)
	}
	b.Close()
	if n := r.Restart(); n != 1 {
		t.Errorf("Restart restarted %d streams, want 1", n)
	}
	a.Close()
	if n := r.Restart(); n != 0 {
		t.Errorf("Restart restarted %d streams, want 0", n)
	}
}

// TestRestartConcurrentWithClose restarts a stream from several
// goroutines, directly and through a Restarter, while it is read, and
// closes it in the middle: the messages stay in sequence, the reader ends
// with ErrClosed, every Restart after Close returns ErrClosed, and no
// goroutine is left behind.
func TestRestartConcurrentWithClose(t *testing.T) {
	env := startDemo(t)
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	c := newClient(t, env.URL, hc)
	// Let the gateway connect to the backend before the snapshot.
	if _, err := collect(t, c.Events(testContext(t), "/v1/streams/warm/events?last_seq=1&interval=1ms")); err != nil {
		t.Fatal(err)
	}
	tr.CloseIdleConnections()
	before := goleak.IgnoreCurrent()

	var r sseclient.Restarter
	const name = "streams/concurrent"
	s, err := c.Open(testContext(t), "/v1/"+name+"/events?interval=1ms", sseclient.WithRestarter(&r))
	if err != nil {
		t.Fatal(err)
	}
	progress := make(chan struct{}, 1)
	readerDone := make(chan error, 1)
	go func() {
		next := rawSequence(s.Next)
		for seq := int64(1); ; seq++ {
			msg, err := next()
			if err != nil {
				readerDone <- err
				return
			}
			if msg.GetSeq() != seq {
				readerDone <- fmt.Errorf("message %d after %d", msg.GetSeq(), seq-1)
				return
			}
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	}()

	var restarts atomic.Int64
	enough := make(chan struct{})
	var enoughOnce sync.Once
	closed := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	restarters := []func() error{s.Restart, s.Restart, func() error {
		if r.Restart() == 0 {
			return sseclient.ErrClosed
		}
		return nil
	}}
	for _, restart := range restarters {
		wg.Go(func() {
			for range 1000 {
				if err := restart(); err != nil {
					if !errors.Is(err, sseclient.ErrClosed) {
						errs <- err
					}
					return
				}
				if restarts.Add(1) >= 30 {
					enoughOnce.Do(func() { close(enough) })
				}
				// Let an event through between restarts.
				select {
				case <-progress:
				case <-closed:
				}
			}
		})
	}
	select {
	case <-enough:
	case err := <-readerDone:
		t.Fatalf("the reader stopped: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("the restarts did not happen")
	}
	s.Close()
	close(closed)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Restart: %v", err)
	}
	select {
	case err := <-readerDone:
		if !errors.Is(err, sseclient.ErrClosed) {
			t.Errorf("the reader ended with %v, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Next did not return after Close")
	}
	if err := s.Restart(); !errors.Is(err, sseclient.ErrClosed) {
		t.Errorf("Restart after Close = %v", err)
	}
	if n := r.Restart(); n != 0 {
		t.Errorf("Restarter after Close restarted %d streams", n)
	}
	if n := len(env.Seen.all()); n < 10 {
		t.Errorf("%d requests reached the gateway, want one per restart", n)
	}
	tr.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}
