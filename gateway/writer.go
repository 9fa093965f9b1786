package gateway

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// eventWriter writes the events of one stream to its HTTP response and
// sends heartbeats when the stream has been idle for a period. The stream's
// goroutine writes messages; heartbeats are written from a timer, so an
// idle stream costs no goroutine of its own. A failed write cancels the
// stream.
type eventWriter struct {
	mu        sync.Mutex
	enc       *sse.Writer
	batch     batchWriter  // under enc: gathers events written without a flush
	gz        *gzip.Writer // nil unless the stream is compressed
	rc        *http.ResponseController
	cancel    context.CancelCauseFunc
	err       error
	closed    bool
	lastWrite time.Time

	sr           *streamRecord // counts heartbeats
	writeTimeout time.Duration // deadline of each write; 0 for none
	writeStart   time.Time     // when the current write began
	armed        bool          // a write deadline is set

	period    time.Duration
	heartbeat sse.Event // named heartbeat event; zero for a comment
	timer     *time.Timer

	conn       net.Conn  // the client's connection, when known (ConnContext)
	checked    time.Time // when the connection was last looked at
	backlogged bool      // then, data had been waiting for the client a while
}

// newEventWriter writes to w, through gz when it is not nil.
func newEventWriter(w http.ResponseWriter, gz *gzip.Writer, cancel context.CancelCauseFunc, period time.Duration, heartbeatEvent string, sr *streamRecord) *eventWriter {
	var out io.Writer = w
	if gz != nil {
		out = gz
	}
	ew := &eventWriter{
		gz:        gz,
		rc:        http.NewResponseController(w),
		cancel:    cancel,
		lastWrite: time.Now(),
		period:    period,
		heartbeat: sse.Event{Event: heartbeatEvent},

		sr:           sr,
		writeTimeout: sr.g.ops.cfg.writeTimeout,
	}
	if sr.r != nil {
		ew.conn = connOf(sr.r.Context())
	}
	ew.batch.w = out
	ew.batch.beforeWrite = ew.deadline
	ew.enc = sse.NewWriter(&ew.batch)
	if period > 0 {
		// Under the lock, which beat takes: the timer may fire before
		// AfterFunc has returned it.
		ew.mu.Lock()
		ew.timer = time.AfterFunc(period, ew.beat)
		ew.mu.Unlock()
	}
	return ew
}

// write writes ev and flushes it.
func (ew *eventWriter) write(ev *sse.Event) error {
	return ew.send(ev, false)
}

// send writes ev, and flushes it unless more says that another event
// follows at once: events that are ready together leave in one write.
func (ew *eventWriter) send(ev *sse.Event, more bool) error {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if ew.err != nil {
		return ew.err
	}
	if more {
		// Gathered until the flush; a batch that fills goes out before,
		// under a deadline of its own (batch.beforeWrite).
		ew.batch.begin()
	} else {
		ew.deadline()
	}
	err := ew.enc.WriteEvent(ev)
	switch {
	case errors.Is(err, sse.ErrInvalidField):
		// Nothing was written and the stream is intact: the caller may
		// send the event without the offending field.
		return err
	case more && err == nil:
		return nil
	}
	return ew.done(err)
}

// start flushes the committed response headers, with a retry hint when
// retry is positive, so that the client sees the stream open before the
// first message.
func (ew *eventWriter) start(retry time.Duration) error {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	ew.deadline()
	if retry > 0 {
		return ew.done(ew.enc.WriteRetry(retry))
	}
	return ew.done(nil)
}

// done flushes after a write and records the outcome. ew.mu is held.
func (ew *eventWriter) done(err error) error {
	if err == nil {
		err = ew.batch.flush()
	}
	if err == nil && ew.gz != nil {
		err = ew.gz.Flush()
	}
	if err == nil {
		err = ew.rc.Flush()
	}
	if err != nil {
		ew.err = err
		ew.cancel(ew.failure(err))
		return err
	}
	ew.disarm()
	ew.lastWrite = time.Now()
	return nil
}

// beat runs on the heartbeat timer: it writes a heartbeat when nothing was
// written for a whole period, and arms the timer for the next one.
func (ew *eventWriter) beat() {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if ew.closed || ew.err != nil {
		return
	}
	if idle := time.Since(ew.lastWrite); idle < ew.period {
		ew.timer.Reset(ew.period - idle)
		return
	}
	var err error
	ew.deadline()
	if ew.heartbeat.Event != "" {
		err = ew.enc.WriteEvent(&ew.heartbeat)
	} else {
		err = ew.enc.WriteComment("ping")
	}
	if ew.done(err) == nil {
		ew.sr.heartbeat()
		ew.timer.Reset(ew.period)
	}
}

// close stops heartbeats and ends the compressed stream, if any. Once it
// returns, nothing more is written.
func (ew *eventWriter) close() {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	ew.closed = true
	if ew.err == nil && ew.sr.reason == reasonNone && ew.stopped() {
		// The stream may end because the connection closed, found by the
		// server's reader rather than by a write: a client that had
		// stopped taking data is a slow consumer all the same.
		ew.sr.slow = true
	}
	if ew.err == nil && ew.batch.open() {
		// Events received ahead and written without a flush, when the
		// stream ends without a last event (the backend became
		// unavailable mid-stream): they go out before the response ends.
		ew.deadline()
		_ = ew.done(nil)
	}
	ew.batch.release()
	if ew.timer != nil {
		ew.timer.Stop()
	}
	if ew.gz != nil && ew.err == nil {
		_ = ew.gz.Close()
	}
	if ew.err == nil {
		ew.disarm()
	}
}
