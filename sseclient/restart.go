package sseclient

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"
)

// errRestart is the cause with which Restart cancels a connection.
var errRestart = errors.New("sseclient: restarted")

// Restart drops the stream's connection and connects again at once,
// sending the last event ID in the Last-Event-ID header, so that a server
// that resumes from it continues after the last event Next returned, with
// nothing lost and nothing repeated. Use it when the application finds
// the stream stale (a watchdog), or when the credentials that the HTTP
// client adds to its requests have changed. Events that had arrived but
// not yet been returned by Next are dropped with the connection; the
// server sends them again.
//
// Restart may be called from any goroutine and returns at once: it
// interrupts a Next that is waiting for data, for a response, or between
// reconnection attempts, and that Next carries on with the new
// connection. The restart counts neither as a failure nor as a
// reconnection attempt: OnReconnect is not called, the wait before a
// reconnection attempt is cut short, and the connection is made even when
// reconnection is off; if it fails, the stream goes on as after any
// failed connection. A stream without ids restarts from the beginning, as
// a new subscription would. A stream whose terminal "end" or "error"
// event has arrived ends rather than restart.
//
// Restart returns [ErrClosed] once the stream has been closed or has
// ended; it is then a no-op.
func (s *EventStream) Restart() error {
	s.mu.Lock()
	if s.closed || s.ctx.Err() != nil {
		s.mu.Unlock()
		return ErrClosed
	}
	s.restart.Store(true)
	if s.cancel != nil {
		s.cancel(errRestart)
	}
	lastID := s.lastID
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.cfg.logger.LogAttrs(s.ctx, slog.LevelDebug, "sse restart",
		slog.String("url", s.url), slog.String("last_event_id", lastID))
	return nil
}

// restartRequested reports whether Restart was called since the latest
// request was made.
func (s *EventStream) restartRequested() bool {
	return s.restart.Load()
}

// restarted drops the current connection for Restart; connect then makes
// a new one at once.
func (s *EventStream) restarted() {
	if s.lastType == EndEvent || s.lastType == ErrorEvent {
		s.finish(io.EOF) // as when the server closes after a terminal event
		return
	}
	if s.healthy() {
		s.attempts = 0
	}
	s.release()
}

// wait waits for d before a reconnection attempt. It returns early, with
// restarted true, when Restart is called, and with the context's error
// when the stream's context ends.
func (s *EventStream) wait(d time.Duration) (restarted bool, err error) {
	if s.restartRequested() {
		return true, nil
	}
	if d <= 0 {
		return false, s.ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return false, s.ctx.Err()
		case <-t.C:
			return false, nil
		case <-s.wake:
			// The token may be left over from a Restart that an earlier
			// request satisfied.
			if s.restartRequested() {
				return true, nil
			}
		}
	}
}

// A Restarter restarts streams on demand from any goroutine, for the
// streams whose Restart method the application cannot reach: those of
// [Client.Events] and of the generated client of a [Conn]. Give it to the
// streams with [WithRestarter]; Restart then restarts each of them that is
// open, as [EventStream.Restart] does. Given to [New] or [NewConn], it
// restarts every open stream of the client.
//
// The zero value is ready to use. A Restarter must not be copied after
// first use.
type Restarter struct {
	mu      sync.Mutex
	streams map[*EventStream]struct{}
}

// Restart restarts every open stream that uses r and returns how many it
// restarted: 0 when none is open (not yet started, ended or closed).
func (r *Restarter) Restart() int {
	r.mu.Lock()
	streams := make([]*EventStream, 0, len(r.streams))
	for s := range r.streams {
		streams = append(streams, s)
	}
	r.mu.Unlock()
	n := 0
	for _, s := range streams {
		if s.Restart() == nil {
			n++
		} else {
			r.remove(s) // ended without Close, its context done
		}
	}
	return n
}

// add registers a new stream; r may be nil.
func (r *Restarter) add(s *EventStream) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.streams == nil {
		r.streams = make(map[*EventStream]struct{})
	}
	r.streams[s] = struct{}{}
}

// remove forgets a stream that has ended; r may be nil.
func (r *Restarter) remove(s *EventStream) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.streams, s)
}
