package sseclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// Names of the gateway's terminal events.
const (
	// EndEvent is the event the gateway sends when the backend ended the
	// stream normally. Its data is {} or {"trailers": {...}}.
	EndEvent = "end"
	// ErrorEvent is the event the gateway sends when the backend failed
	// after the stream started. Its data is a google.rpc.Status as JSON,
	// possibly with a "trailers" member.
	ErrorEvent = "error"
)

// errNoContent is the outcome of a 204 response: the server asks the
// client not to reconnect.
var errNoContent = errors.New("sseclient: 204 No Content")

// minHealthyConnection is the shortest lifetime after which a connection
// that delivered no event still ends an outage.
const minHealthyConnection = time.Second

// errAttemptOver is the cause with which a finished connection's context
// is cancelled.
var errAttemptOver = errors.New("sseclient: connection closed")

// EventStream is one subscription to an event stream, read event by event
// with Next. It reconnects as the reconnection options allow, sending the
// last event ID, so that one EventStream may span several HTTP responses.
// It starts no goroutines: connecting, reading and waiting between
// attempts all happen inside Next.
//
// Next must not be called concurrently; Close, Restart, Header and
// LastEventID may be called from any goroutine.
type EventStream struct {
	ctx      context.Context
	stop     context.CancelCauseFunc
	cfg      config
	url      string
	method   string
	resolver typeResolver
	rdOpts   []sse.ReaderOption
	comments bool          // read comment lines as they arrive
	wake     chan struct{} // Restart wakes a reconnection wait; capacity 1

	mu     sync.Mutex
	busy   bool // Next is running
	closed bool
	header http.Header
	lastID string
	cancel context.CancelCauseFunc // cancels the latest request and its connection

	// restart is set by Restart and cleared when the next request starts,
	// both under mu, so that the request made after a Restart satisfies
	// it. It is read without mu.
	restart atomic.Bool

	// State owned by the goroutine calling Next.
	conn      *connection
	retry     time.Duration // most recent retry field, across connections
	attempts  int           // reconnection attempts in the current outage
	delivered bool          // a data event was returned
	lastType  string        // type of the last data event of the connection
	pending   error         // why the current outage started
	noContent bool          // ended by a 204 response
	err       error         // sticky; io.EOF at a normal end
}

// connection is one accepted HTTP response.
type connection struct {
	ctx       context.Context
	cancel    context.CancelCauseFunc
	timer     *time.Timer // read timeout; nil without one
	body      *timedBody
	rd        *sse.Reader
	since     time.Time // when the response was accepted
	delivered bool      // a data event was read from it
}

func newEventStream(ctx context.Context, cfg config, target string, resolver typeResolver) (*EventStream, error) {
	url, err := cfg.resolve(target)
	if err != nil {
		return nil, err
	}
	method := cfg.method
	if method == "" {
		method = http.MethodGet
		if cfg.hasBody {
			method = http.MethodPost
		}
	}
	opts := []sse.ReaderOption{sse.WithMaxEventSize(cfg.maxEventSize)}
	if cfg.retryEvents {
		opts = append(opts, sse.WithRetryEvents())
	}
	s := &EventStream{
		cfg:      cfg,
		url:      url,
		method:   method,
		resolver: resolver,
		rdOpts:   opts,
		comments: cfg.commentEvents || cfg.hooks.OnComment != nil,
		wake:     make(chan struct{}, 1),
		lastID:   cfg.lastEventID,
	}
	s.ctx, s.stop = context.WithCancelCause(ctx)
	cfg.restarter.add(s)
	return s, nil
}

// Next returns the next event. Its ID is the stream's last event ID, which
// persists across events without an id field and across reconnections.
// With [WithCommentEvents], Next also returns each comment line as soon as
// it has been read, as an event with only Comment and ID set, in order
// with the events around it.
//
// At the end of the stream Next returns io.EOF (see [Client.Events] for
// when a stream ends and which errors it reports). After an error or
// io.EOF, Next keeps returning it; after Close, it returns [ErrClosed].
func (s *EventStream) Next() (sse.Event, error) {
	if !s.enter() {
		return sse.Event{}, ErrClosed
	}
	defer s.leave()
	return s.next()
}

// Header returns the response headers of the current connection, or of
// the last one once the stream has ended; nil before the first.
func (s *EventStream) Header() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header
}

// LastEventID returns the stream's last event ID: the one a reconnection
// would send in the Last-Event-ID header.
func (s *EventStream) LastEventID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastID
}

// Close ends the stream and closes its connection, interrupting a Next
// that is waiting. It always returns nil.
func (s *EventStream) Close() error {
	s.stop(ErrClosed)
	s.cfg.restarter.remove(s)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if !s.busy {
		s.release()
	}
	return nil
}

// enter marks the stream busy; it reports false after Close.
func (s *EventStream) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.busy = true
	return true
}

// leave ends what enter began, releasing the connection if Close was
// called meanwhile.
func (s *EventStream) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = false
	if s.closed {
		s.release()
	}
}

// start makes the first connection, for Open and typed streams. It returns
// the error that ended the stream, but not a normal end.
func (s *EventStream) start() error {
	if !s.enter() {
		return ErrClosed
	}
	defer s.leave()
	if s.conn == nil && s.err == nil {
		if err := s.connect(); err != nil {
			s.finish(err)
		}
	}
	if s.err == io.EOF {
		return nil
	}
	return s.err
}

func (s *EventStream) next() (sse.Event, error) {
	for {
		if s.err != nil {
			return sse.Event{}, s.err
		}
		if s.conn != nil && s.restartRequested() {
			s.restarted()
			continue
		}
		if s.conn == nil {
			if err := s.connect(); err != nil {
				s.finish(err)
				continue
			}
		}
		ev, isComment, err := s.read()
		s.sync()
		if err != nil {
			s.dropped(err)
			continue
		}
		ev.ID = s.lastID
		if isComment {
			s.cfg.commented(s.url, ev.Comment)
			if !s.cfg.commentEvents {
				continue
			}
			return ev, nil
		}
		if ev.Data != nil {
			s.delivered, s.conn.delivered = true, true
			s.lastType = ev.Event
		}
		return ev, nil
	}
}

// read returns the next event or, when comments are wanted, the next
// comment line of the current connection.
func (s *EventStream) read() (sse.Event, bool, error) {
	if s.comments {
		return s.conn.rd.NextOrComment()
	}
	ev, err := s.conn.rd.Next()
	return ev, false, err
}

// sync copies the last event ID and retry value of the current
// connection's reader into the stream's state, which outlives the reader.
// Each reader starts with the stream's last event ID, so its own is the
// stream's, including an empty id that resets it.
func (s *EventStream) sync() {
	rd := s.conn.rd
	if r := rd.Retry(); r > 0 {
		s.retry = r
	}
	if id := rd.LastEventID(); id != s.lastID {
		s.mu.Lock()
		s.lastID = id
		s.mu.Unlock()
	}
}

// finish ends the stream with err (io.EOF for a normal end).
func (s *EventStream) finish(err error) {
	s.err = err
	s.release()
	s.stop(errAttemptOver)
	s.cfg.restarter.remove(s)
}

// ctxErr is the error for a stream whose context is done.
func (s *EventStream) ctxErr() error {
	cause := context.Cause(s.ctx)
	switch {
	case errors.Is(cause, ErrClosed):
		return ErrClosed
	case cause == nil || cause == s.ctx.Err():
		return s.ctx.Err()
	}
	return fmt.Errorf("%w: %w", s.ctx.Err(), cause)
}

// resumable reports whether a dropped stream can be reconnected without
// repeating events: it has a last event ID to send, or it has not
// delivered any event yet, or the caller accepts repeats.
func (s *EventStream) resumable() bool {
	return s.lastID != "" || !s.delivered || s.cfg.reconnectWithoutID
}

// dropped handles the end of a connection that the reader reported with
// err: it ends the stream, or leaves the reason in s.pending for connect
// to reconnect.
func (s *EventStream) dropped(err error) {
	cause := context.Cause(s.conn.ctx)
	// A healthy connection ends the outage: the next failure starts a new
	// count.
	healthy := s.healthy()
	terminal := s.lastType == EndEvent || s.lastType == ErrorEvent
	s.release()
	switch {
	case s.ctx.Err() != nil:
		s.finish(s.ctxErr())
		return
	case errors.Is(err, sse.ErrEventTooLarge):
		s.finish(fmt.Errorf("sseclient: %s: %w", s.url, err))
		return
	case terminal:
		s.finish(io.EOF)
		return
	}
	if healthy {
		s.attempts = 0
	}
	if s.restartRequested() {
		// Restart closed the connection: connect makes a new one at once.
		return
	}
	var reason error
	switch {
	case errors.Is(cause, ErrReadTimeout):
		reason = fmt.Errorf("%w: %s: no data for %v", ErrReadTimeout, s.url, s.cfg.readTimeout)
	case err == io.EOF:
		reason = fmt.Errorf("%w: %s: the server closed the stream", ErrConnectionLost, s.url)
	default:
		reason = fmt.Errorf("%w: %s: %w", ErrConnectionLost, s.url, err)
	}
	switch {
	case s.cfg.maxAttempts != 0 && s.resumable():
		s.pending = reason
	case err == io.EOF:
		s.finish(io.EOF)
	default:
		s.finish(reason)
	}
}

// healthy reports whether the current connection ends an outage: it
// delivered an event, or stayed up for a while. A server that accepts and
// closes at once does not, so it cannot keep the client reconnecting
// forever.
func (s *EventStream) healthy() bool {
	c := s.conn
	return c.delivered || time.Since(c.since) >= max(s.cfg.maxDelay, minHealthyConnection)
}

// connect makes a connection, retrying as the reconnection options allow.
// s.pending, when set, is the failure that started the current outage. A
// restart asked for meanwhile makes the next request at once, and that
// request counts as no attempt.
func (s *EventStream) connect() error {
	err := s.pending
	s.pending = nil
	for {
		if err != nil && s.restartRequested() {
			err = nil
		}
		if err != nil {
			if s.cfg.maxAttempts == 0 {
				return err
			}
			if s.cfg.maxAttempts > 0 && s.attempts >= s.cfg.maxAttempts {
				err = fmt.Errorf("%w (%d): %w", ErrMaxReconnectionAttempts, s.attempts, err)
				s.cfg.gaveUp(s.ctx, s.url, s.attempts, err)
				return err
			}
			s.attempts++
			delay := s.backoff(s.attempts, err)
			s.cfg.reconnecting(s.ctx, s.url, s.attempts, delay, err)
			restarted, werr := s.wait(delay)
			if werr != nil {
				return s.ctxErr()
			}
			if restarted {
				s.attempts-- // the request is made at once, as no attempt
			}
		}
		err = s.dial()
		switch {
		case err == nil:
			return nil
		case s.ctx.Err() != nil:
			return s.ctxErr()
		case err == errNoContent:
			s.noContent = true
			return io.EOF
		case !retryable(err) && !s.restartRequested():
			return err
		}
	}
}

// dial makes one request and accepts its response if it is an event
// stream.
func (s *EventStream) dial() error {
	ctx, cancel := context.WithCancelCause(s.ctx)
	s.mu.Lock()
	s.restart.Store(false)
	s.cancel = cancel
	s.mu.Unlock()
	var timer *time.Timer
	if d := s.cfg.readTimeout; d > 0 {
		timer = time.AfterFunc(d, func() { cancel(ErrReadTimeout) })
	}
	fail := func(err error) error {
		if timer != nil {
			timer.Stop()
		}
		cancel(errAttemptOver)
		return err
	}

	var body io.Reader
	if s.cfg.hasBody {
		body = bytes.NewReader(s.cfg.body)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, s.url, body)
	if err != nil {
		return fail(permanentError{fmt.Errorf("sseclient: %w", err)})
	}
	for k, v := range s.cfg.header {
		req.Header[k] = slices.Clone(v)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Del("Last-Event-ID")
	lastID := s.LastEventID()
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}

	resp, err := s.cfg.httpClient.Do(req)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrReadTimeout) {
			return fail(fmt.Errorf("%w: %s %s: no response within %v", ErrReadTimeout, s.method, s.url, s.cfg.readTimeout))
		}
		return fail(fmt.Errorf("sseclient: %w", err))
	}
	if resp.StatusCode == http.StatusNoContent {
		resp.Body.Close()
		return fail(errNoContent)
	}
	if resp.StatusCode != http.StatusOK || !isEventStream(resp.Header.Get("Content-Type")) {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxStatusBodyBytes))
		resp.Body.Close()
		return fail(newResponseError(s.method, s.url, resp, b, s.resolver))
	}

	tb := &timedBody{rc: resp.Body, timer: timer, timeout: s.cfg.readTimeout}
	s.conn = &connection{ctx: ctx, cancel: cancel, timer: timer, body: tb, rd: sse.NewReader(tb, append(s.rdOpts[:len(s.rdOpts):len(s.rdOpts)], sse.WithLastEventID(lastID))...), since: time.Now()}
	s.lastType = ""
	s.mu.Lock()
	s.header = resp.Header
	s.mu.Unlock()
	s.cfg.connected(s.ctx, s.url, lastID, s.attempts)
	return nil
}

// release closes the current connection, if any.
func (s *EventStream) release() {
	c := s.conn
	if c == nil {
		return
	}
	s.conn = nil
	if c.timer != nil {
		c.timer.Stop()
	}
	c.cancel(errAttemptOver)
	c.body.rc.Close()
}
